"""Issue 15, finding 8c: checkpoints outside the database, written automatically.

Before: a checkpoint was written only if someone ran ``audit_checkpoint`` and stored its
output; ``audit_verify`` read none by itself, and entries cut off after the last one went
unnoticed. Now a task worker appends one to ``CASEDESK_AUDIT_CHECKPOINT_DIR`` after audit
writes (and ``audit_checkpoint`` from cron), and ``audit_verify`` reads the directory and
names the checkpoint that shows a truncated tail or a rewritten entry.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from casedesk.audit import services
from casedesk.audit.checkpoints import FILE_NAME, checkpoint_dir, checkpoint_write
from casedesk.audit.models import AuditEntry
from casedesk.audit.services import audit_record, entry_hash

from .tampering import tamper

pytestmark = pytest.mark.django_db


def verify(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue().strip(), err.getvalue().strip()


def write(n):
    return [audit_record(action="case.read", object_type="case", object_id=str(i))
            for i in range(n)]


def checkpoint_file():
    return checkpoint_dir() / FILE_NAME


def test_a_truncated_tail_after_a_checkpoint_is_reported(settings):
    """The finding: entries deleted after the last checkpoint went unnoticed."""
    write(6)
    call_command("audit_checkpoint", stdout=io.StringIO())
    assert verify()[:2] == (0, "audit chain intact: 6 entries, head "
                               + AuditEntry.objects.get(seq=6).hash + ", 1 checkpoints match")
    tamper("DELETE FROM audit_auditentry WHERE seq >= 5")  # the attacker cuts the tail
    code, out, err = verify()
    assert code == 1
    assert err.startswith("audit chain broken at entry 6: tail truncated: the checkpoint of ")
    assert f"({checkpoint_file()}:1) recorded entry 6 (6 entries), the log ends at entry 4 " \
           "(4 entries)" in err


def test_a_rewritten_entry_is_reported_even_by_a_forger_holding_the_key():
    write(4)
    checkpoint_write()
    # a forger with the key rewrites entry 2 and re-chains 3 and 4: the chain is consistent
    prev = AuditEntry.objects.get(seq=1).hash
    for row in AuditEntry.objects.order_by("seq").filter(seq__gte=2).values():
        fields = {k: row[k] for k in ("seq", "at", "actor_id", "actor_kind", "action",
                                      "object_type", "object_id", "ip", "data")}
        if row["seq"] == 2:
            fields["object_id"] = "999"
        new = entry_hash(version=2, prev_hash=prev, **fields)
        tamper("UPDATE audit_auditentry SET object_id = %s, prev_hash = %s, hash = %s "
               "WHERE seq = %s", [fields["object_id"], prev, new, row["seq"]])
        prev = new
    code, _out, err = verify()
    assert code == 1
    assert err.startswith("audit chain broken at entry 4: hash differs from the checkpoint of")
    assert err.endswith(f"({checkpoint_file()}:1): entry rewritten")


def test_checkpoint_lines_are_appended_never_rewritten():
    write(2)
    first = checkpoint_write()
    before = checkpoint_file().read_bytes()
    write(1)
    second = checkpoint_write()
    after = checkpoint_file().read_bytes()
    assert after.startswith(before)
    lines = [json.loads(line) for line in after.splitlines()]
    assert [(r["seq"], r["version"], r["count"]) for r in lines] == [(2, 2, 2), (3, 2, 3)]
    assert lines == [first, second]
    assert oct(checkpoint_file().stat().st_mode & 0o777) == "0o600"


def test_a_checkpoint_line_without_the_key_is_refused():
    write(2)
    record = checkpoint_write()
    forged = {**record, "seq": 1, "hash": AuditEntry.objects.get(seq=1).hash}
    with open(checkpoint_file(), "a") as file:
        file.write(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match=r"checkpoint line 2 .*mac does not match"):
        verify()


def test_the_worker_writes_checkpoints_while_entries_are_written(settings, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """After an audit write commits, a checkpoint task is queued (once per interval per
    process); ``db_worker`` runs it and the line lands in the directory."""
    settings.CASEDESK_AUDIT_CHECKPOINT_SECONDS = 600
    monkeypatch.setattr(services, "_checkpoint_queued_at", None)
    with django_capture_on_commit_callbacks(execute=True):
        write(3)
    with django_capture_on_commit_callbacks(execute=True):
        write(2)  # within the interval: nothing more queued
    queued = DBTaskResult.objects.filter(task_path__endswith="checkpoint_write_task")
    assert queued.count() == 1
    assert not checkpoint_file().exists()

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    assert queued.get().status == "SUCCESSFUL"
    record = json.loads(checkpoint_file().read_text())
    assert (record["seq"], record["hash"]) == (5, AuditEntry.objects.get(seq=5).hash)
    assert verify()[0] == 0


def test_with_the_interval_at_0_nothing_is_queued(settings, django_capture_on_commit_callbacks):
    settings.CASEDESK_AUDIT_CHECKPOINT_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        write(1)
    assert not DBTaskResult.objects.exists()
