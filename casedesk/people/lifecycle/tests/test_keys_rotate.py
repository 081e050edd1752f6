"""keys_rotate: every data key is re-wrapped under the new master key, data written before
stays readable, and then the old master key can go."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from casedesk.accounts.models import User
from casedesk.audit.models import AuditEntry
from casedesk.core import crypto
from casedesk.core.models import DataKey
from casedesk.people.models import Person

OLD = f"old:{base64.b64encode(os.urandom(32)).decode()}"
NEW = f"new:{base64.b64encode(os.urandom(32)).decode()}"
AAD = "test.rotation"


@pytest.fixture
def written_under_old(settings, register):
    """Data sealed while ``old`` was the current master key: a registered case and seven
    bare keys with a text each."""
    settings.CASEDESK_MASTER_KEYS = OLD
    crypto.cache_clear()
    case = register()
    ids = crypto.keys_new(7)
    texts = {key_id: crypto.seal_text(key_id, f"текст {n}", AAD) for n, key_id in enumerate(ids)}
    assert set(DataKey.objects.values_list("master_key", flat=True)) == {"old"}
    yield case, texts
    crypto.cache_clear()


def readable(case, texts) -> bool:
    crypto.cache_clear()  # read through the key store, not the process cache
    person = Person.objects.get(pk=case.service_member_id)
    return (person.full_name == "Иванов Пётр Сергеевич"
            and all(crypto.open_text(token, AAD) == f"текст {n}"
                    for n, token in enumerate(texts.values())))


def test_rotation_rewraps_everything_and_the_old_master_key_can_go(settings,
                                                                   written_under_old):
    case, texts = written_under_old
    total = DataKey.objects.count()
    assert total == 7 + 2  # the service member and the applicant
    settings.CASEDESK_MASTER_KEYS = f"{NEW},{OLD}"
    assert readable(case, texts)  # control: both master keys configured

    out = io.StringIO()
    call_command("keys_rotate", operator="administrator", batch=2, stdout=out)
    assert f"{total} data key(s) re-wrapped under new; 0 still under" in out.getvalue()
    assert f"  {total} re-wrapped" in out.getvalue()  # in batches: 2, 4, 6, 8, 9
    assert set(DataKey.objects.values_list("master_key", flat=True)) == {"new"}
    assert readable(case, texts)

    settings.CASEDESK_MASTER_KEYS = NEW
    assert readable(case, texts)

    entry = AuditEntry.objects.get(action="keys.rotated")
    # the system rotates; the entry names the operator who ran it (audit/operator.py)
    admin = User.objects.get(username="administrator")
    assert (entry.actor_id, entry.actor_kind) == (admin.pk, "command")
    assert entry.data == {"count": total, "target": "new", "result": "complete",
                          "operator": admin.pk, "os_uid": os.getuid()}


def test_without_rotation_the_old_master_key_cannot_go(settings, written_under_old):
    """The negative control: what the rotation makes possible fails without it."""
    case, texts = written_under_old
    settings.CASEDESK_MASTER_KEYS = NEW
    with pytest.raises(ImproperlyConfigured, match="'old'"):
        readable(case, texts)


def test_a_second_run_rewraps_nothing(settings, written_under_old):
    settings.CASEDESK_MASTER_KEYS = f"{NEW},{OLD}"
    call_command("keys_rotate", operator="administrator", stdout=io.StringIO())
    before = dict(DataKey.objects.values_list("pk", "wrapped"))
    out = io.StringIO()
    call_command("keys_rotate", operator="administrator", stdout=out)
    assert "0 data key(s) re-wrapped" in out.getvalue()
    assert dict(DataKey.objects.values_list("pk", "wrapped")) == before
    assert [e.data["count"] for e in AuditEntry.objects.filter(action="keys.rotated")
            .order_by("seq")] == [9, 0]


def test_a_key_under_an_unknown_master_key_stops_the_rotation_loudly(settings,
                                                                     written_under_old):
    case, texts = written_under_old
    settings.CASEDESK_MASTER_KEYS = NEW  # "old" forgotten before rotating
    with pytest.raises(CommandError, match="'old'"):
        call_command("keys_rotate", operator="administrator", stdout=io.StringIO())
    assert set(DataKey.objects.values_list("master_key", flat=True)) == {"old"}
    assert AuditEntry.objects.get(action="keys.rotated").data["result"] == "failed"
    settings.CASEDESK_MASTER_KEYS = f"{NEW},{OLD}"
    assert readable(case, texts)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("keys_rotate", operator="administrator", batch=0)
