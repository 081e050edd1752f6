import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from casedesk.accounts.roles import Role
from casedesk.audit.middleware import AuditContextMiddleware
from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain
from casedesk.audit.services import GENESIS_HASH, audit_record, entry_hash

pytestmark = pytest.mark.django_db


def test_entries_chain_from_the_genesis_hash(staff):
    worker = staff[Role.CASEWORKER]
    first = audit_record(action="case.read", actor=worker, object_type="case", object_id=7,
                         ip="10.0.0.1")
    second = audit_record(action="case.transition", actor=worker, object_type="case",
                          object_id="7", data={"transition": "register", "source": "received",
                                               "target": "registered"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert (first.actor_id, first.actor_kind, first.object_id) == (worker.pk, "staff", "7")
    stored = AuditEntry.objects.get(seq=2)
    assert stored.hash_version == 2
    assert stored.hash == entry_hash(
        version=2, seq=2, at=stored.at, actor_id=stored.actor_id, actor_kind=stored.actor_kind,
        action=stored.action, object_type=stored.object_type, object_id=stored.object_id,
        ip=stored.ip, data=stored.data, prev_hash=stored.prev_hash)
    assert verify_chain() == (True, None, f"2 entries, head {second.hash}")


def test_without_an_actor_the_entry_is_the_systems():
    entry = audit_record(action="deadline.sweep")
    assert (entry.actor_id, entry.actor_kind) == (None, "system")


def test_an_entry_exists_only_if_the_callers_transaction_commits():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="case.transition", object_type="case", object_id="1")
        raise RuntimeError
    assert not AuditEntry.objects.exists()
    assert audit_record(action="case.transition").seq == 1  # no gap left behind


def test_the_hash_does_not_depend_on_the_time_zone_of_at():
    moment = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    moscow = moment.astimezone(dt.timezone(dt.timedelta(hours=3)))
    fields = dict(seq=1, actor_id=None, actor_kind="system", action="x", object_type="",
                  object_id="", ip="", data={}, prev_hash=GENESIS_HASH)
    assert entry_hash(at=moment, **fields) == entry_hash(at=moscow, **fields)
    entry = audit_record(action="x", at=moscow)
    assert verify_chain()[0]
    assert AuditEntry.objects.get(seq=entry.seq).at == moment


@pytest.mark.parametrize("kwargs", [
    {"data": {"name": "x"}},                                  # key not allowed
    {"data": {"reason": "because"}},                          # free text key not allowed
    {"data": {"state": "Иванова Анна"}},                      # a name as a value
    {"data": {"state": "anna@example.org"}},                  # an email as a value
    {"data": {"state": "two words"}},                         # free text
    {"data": {"state": "a" * 101}},                           # too long
    {"data": {"state": {"nested": "x"}}},                     # nested objects
    {"data": {"state": 1.5}},                                 # floats
    {"data": {"offices_added": ["ok", "not ok"]}},            # one bad list item
    {"data": {"offices_added": list(range(101))}},            # list too long
    {"object_id": "Иванова"},
    {"object_type": "case file"},
    {"ip": "somewhere"},
    {"action": "Case Read"},
    {"actor_kind": "robot"},
    {"at": dt.datetime(2026, 1, 1)},                          # naive
])
def test_audit_record_refuses_anything_but_codes(kwargs):
    with pytest.raises(ValueError):
        audit_record(**{"action": "case.read", **kwargs})
    assert not AuditEntry.objects.exists()


def test_codes_dates_ids_and_lists_of_them_are_accepted():
    entry = audit_record(action="permission.change", object_type="user", object_id="12",
                         data={"role": "supervisor", "previous_role": "caseworker",
                               "offices_added": [3, 4], "offices_removed": [],
                               "is_active": True, "due_on": "2026-03-01", "count": 12,
                               "previous": None})
    assert entry.data["offices_added"] == [3, 4]
    assert verify_chain()[0]


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audit_record(action="export")
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_the_middleware_supplies_the_client_address():
    def view(request):
        audit_record(action="case.read", object_type="case", object_id="5")
        return None

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    AuditContextMiddleware(view)(request)
    entry = AuditEntry.objects.get()
    assert entry.ip == "192.0.2.7"
    # and nothing leaks into the next piece of work
    assert audit_record(action="case.read").ip == ""


def test_canonical_form_is_documented_json():
    """An outside verifier can rebuild the hash from the row with any JSON library (and,
    for a keyed entry, the audit key)."""
    import hashlib
    import hmac

    from casedesk.audit.keys import chain_key

    entry = audit_record(action="export", object_type="case", object_id="9",
                         data={"format": "csv", "count": 3})
    row = AuditEntry.objects.get(seq=entry.seq)
    payload = {"seq": row.seq, "at": row.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
               "actor_id": None, "actor_kind": "system", "action": "export",
               "object_type": "case", "object_id": "9", "ip": "", "data": row.data,
               "prev_hash": GENESIS_HASH, "v": 2}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert row.hash_version == 2
    assert hmac.new(chain_key(), text.encode(), hashlib.sha256).hexdigest() == row.hash
    assert connection.vendor in {"postgresql", "sqlite"}
