"""Issue 15, finding 8b: the chain is keyed.

Before: each hash was SHA-256 of the entry, so whoever could write the table could
rewrite an entry and recompute its hash and every later one, and ``audit_verify`` passed.
Now entries are HMAC-SHA256 under a key kept outside the database (``audit/keys.py``);
entries written before the change (hash version 1) are still checked as before, and an
unkeyed entry after a keyed one is refused.
"""

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casedesk.audit.keys import chain_key
from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain
from casedesk.audit.services import audit_record, canonical, entry_hash

from .tampering import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return [audit_record(action="case.read", object_type="case", object_id=str(n),
                         data={"count": n}) for n in range(1, 6)]


def _fields(row: dict) -> dict:
    return {k: row[k] for k in ("seq", "at", "actor_id", "actor_kind", "action",
                                "object_type", "object_id", "ip", "data", "prev_hash")}


def forge_from(seq: int, *, object_id: str, version: int, keyed: bool = False) -> None:
    """Rewrite entry ``seq`` and re-chain every later one, as a forger with write access
    would: with plain SHA-256 (no key) or, for ``keyed``, with the key itself."""
    prev = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for row in AuditEntry.objects.filter(seq__gte=seq).order_by("seq").values():
        fields = _fields(row)
        fields["prev_hash"] = prev
        if row["seq"] == seq:
            fields["object_id"] = object_id
        if keyed:
            new = entry_hash(version=2, **fields)
        else:  # what the forger can compute without the key
            new = hashlib.sha256(canonical(**fields, version=version)).hexdigest()
        tamper("UPDATE audit_auditentry SET object_id = %s, prev_hash = %s, hash = %s, "
               "hash_version = %s WHERE seq = %s",
               [fields["object_id"], prev, new, 2 if keyed else version, row["seq"]])
        prev = new


def test_new_entries_are_keyed(chain):
    assert set(AuditEntry.objects.values_list("hash_version", flat=True)) == {2}
    assert verify_chain() == (True, None, f"5 entries, head {chain[-1].hash}")


def test_a_rewritten_entry_with_recomputed_sha256_hashes_is_caught(chain):
    """The forger keeps the version, rewrites entry 3 and recomputes SHA-256 for 3, 4, 5."""
    forge_from(3, object_id="99", version=2)
    assert verify_chain() == (False, 3, "hash does not match the entry's contents")


def test_a_rewritten_tail_passed_off_as_unkeyed_entries_is_caught(chain):
    """The forger marks 3, 4, 5 as old unkeyed entries, whose SHA-256 anyone can compute."""
    forge_from(3, object_id="99", version=1)
    assert verify_chain() == (False, 3, "unkeyed entry after keyed entries")


def test_a_whole_history_passed_off_as_unkeyed_needs_a_checkpoint(chain):
    """Rewriting every entry as unkeyed is internally consistent: only a checkpoint kept
    outside the database shows it (test_checkpoints.py)."""
    forge_from(1, object_id="99", version=1)
    assert verify_chain()[0]


def test_entries_written_before_the_key_still_verify(chain):
    """An upgraded database: its old entries are version 1 (plain SHA-256), the new ones
    keyed and chained onto them."""
    forge_from(1, object_id="1", version=1)  # as the migration leaves them
    later = audit_record(action="case.read")
    assert (later.hash_version, later.prev_hash) == (2, AuditEntry.objects.get(seq=5).hash)
    assert verify_chain() == (True, None, f"6 entries, head {later.hash}")


def test_another_key_does_not_verify(chain, settings):
    settings.CASEDESK_AUDIT_KEY = "a-different-key-of-at-least-32-characters"
    assert verify_chain() == (False, 1, "hash does not match the entry's contents")


def test_the_key_comes_from_the_setting_or_from_the_secret_key_by_hkdf(settings):
    settings.CASEDESK_AUDIT_KEY = ""
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"casedesk audit chain").derive(settings.SECRET_KEY.encode())
    assert chain_key() == expected
    assert chain_key() != hashlib.sha256(settings.SECRET_KEY.encode()).digest()
    settings.CASEDESK_AUDIT_KEY = "k" * 40
    assert chain_key() == b"k" * 40


def test_a_short_audit_key_is_a_system_check_error(settings):
    from casedesk.audit.keys import check_audit_key

    settings.CASEDESK_AUDIT_KEY = "short"
    assert [e.id for e in check_audit_key()] == ["audit.E001"]
    settings.CASEDESK_AUDIT_KEY = ""
    assert check_audit_key() == []
