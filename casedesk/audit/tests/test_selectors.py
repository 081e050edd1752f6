import json

import pytest

from casedesk.audit.selectors import (
    checkpoint_current,
    checkpoints_read,
    verify_chain,
    verify_checkpoints,
)
from casedesk.audit.services import audit_record

from .tampering import tamper

pytestmark = pytest.mark.django_db


def sql(statement: str, params=()) -> None:
    tamper(statement, params)  # the table refuses UPDATE and DELETE otherwise


@pytest.fixture
def chain():
    return [audit_record(action="case.read", object_type="case", object_id=str(n),
                         data={"count": n}) for n in range(1, 7)]


def test_an_intact_chain_verifies(chain):
    assert verify_chain(batch=2) == (True, None, f"6 entries, head {chain[-1].hash}")


def test_an_empty_log_verifies():
    assert verify_chain() == (True, None, "0 entries, head " + "0" * 64)


def test_editing_one_entry_names_it(chain):
    sql("UPDATE audit_auditentry SET data = %s WHERE seq = 3", [json.dumps({"count": 99})])
    assert verify_chain(batch=2) == (False, 3, "hash does not match the entry's contents")


def test_editing_an_entry_and_its_hash_is_caught_at_the_next(chain):
    sql("UPDATE audit_auditentry SET object_id = '99', hash = %s WHERE seq = 3", ["f" * 64])
    ok, seq, reason = verify_chain()
    assert (ok, seq) == (False, 3)  # its own hash no longer matches its contents
    sql("UPDATE audit_auditentry SET hash = %s WHERE seq = 3",
        [_rehash(3)])
    ok, seq, reason = verify_chain()
    assert (ok, seq, reason) == (False, 4, "prev_hash does not match the hash of the "
                                           "previous entry")


def _rehash(seq):
    from casedesk.audit.models import AuditEntry
    from casedesk.audit.services import entry_hash

    row = AuditEntry.objects.filter(seq=seq).values().get()
    row.pop("hash")
    return entry_hash(version=row.pop("hash_version"), **row)


def test_deleting_an_entry_is_detected(chain):
    sql("DELETE FROM audit_auditentry WHERE seq = 4")
    ok, seq, reason = verify_chain()
    assert (ok, seq) == (False, 4)
    assert "missing" in reason


def test_deleting_the_first_entry_is_detected(chain):
    sql("DELETE FROM audit_auditentry WHERE seq = 1")
    assert verify_chain()[:2] == (False, 1)


def test_swapping_two_entries_is_detected(chain):
    sql("UPDATE audit_auditentry SET seq = -1 WHERE seq = 3")
    sql("UPDATE audit_auditentry SET seq = 3 WHERE seq = 4")
    sql("UPDATE audit_auditentry SET seq = 4 WHERE seq = -1")
    assert verify_chain()[:2] == (False, 3)


def test_a_consistently_rewritten_history_is_caught_by_a_checkpoint(chain):
    checkpoint = checkpoint_current()
    assert (checkpoint["seq"], checkpoint["hash"], checkpoint["count"]) == (6, chain[-1].hash, 6)
    sql("DELETE FROM audit_auditentry")
    for n in range(1, 8):  # a forger rebuilds the chain without the entry they dislike
        audit_record(action="case.read", object_type="case", object_id=str(n + 100))
    assert verify_chain()[0]  # internally consistent...
    ok, seq, reason = verify_checkpoints([checkpoint])
    assert (ok, seq) == (False, 6)  # ...but not what was recorded elsewhere
    assert "checkpoint" in reason


def test_entries_removed_from_the_end_are_caught_by_a_checkpoint(chain):
    checkpoint = checkpoint_current()
    sql("DELETE FROM audit_auditentry WHERE seq >= 5")
    assert verify_chain()[0]
    assert verify_checkpoints([checkpoint])[:2] == (False, 6)


def test_checkpoints_that_still_match(chain):
    early = {"seq": 2, "hash": chain[1].hash, "at": "x"}
    assert verify_checkpoints([checkpoint_current(), early]) == (True, None, "2 checkpoints match")
    assert verify_checkpoints([{"seq": 0, "hash": "0" * 64, "at": "x"}])[0]


def test_checkpoint_lines_are_parsed_strictly():
    assert checkpoints_read(['{"seq": 3, "hash": "ab", "at": "t", "count": 3}', "", "\n"]) == [
        {"seq": 3, "hash": "ab", "at": "t", "source": ":1"}]
    with pytest.raises(ValueError, match="line 1"):
        checkpoints_read(["not json"])
    with pytest.raises(ValueError):
        checkpoints_read(['{"hash": "ab"}'])
