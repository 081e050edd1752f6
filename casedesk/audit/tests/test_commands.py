import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from casedesk.audit.services import audit_record

from .tampering import tamper, tampering

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def entries():
    return [audit_record(action="export", data={"format": "csv"}) for _ in range(3)]


def test_verify_exits_0_on_an_intact_chain(entries):
    code, out, err = run("audit_verify")
    assert code == 0
    assert out.strip() == f"audit chain intact: 3 entries, head {entries[-1].hash}"
    assert err.startswith("warning: no checkpoints")  # none written yet


def test_verify_exits_1_naming_the_first_bad_entry(entries):
    tamper("UPDATE audit_auditentry SET action = 'login' WHERE seq = 2")
    code, out, err = run("audit_verify")
    assert (code, out) == (1, "")
    assert err.strip() == "audit chain broken at entry 2: hash does not match the entry's contents"


def test_checkpoint_prints_or_appends_a_json_line(entries, tmp_path):
    code, out, _ = run("audit_checkpoint", "--print")
    record = json.loads(out)
    assert code == 0
    assert {k: record[k] for k in ("seq", "hash", "count")} == {
        "seq": 3, "hash": entries[-1].hash, "count": 3}
    assert record["at"]
    target = tmp_path / "checkpoints.jsonl"
    run("audit_checkpoint", "--output", str(target))
    audit_record(action="export")
    run("audit_checkpoint", "--output", str(target))
    lines = target.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [3, 4]

    code, out, _ = run("audit_verify", "--checkpoint", str(target))
    assert code == 0
    assert out.strip().endswith(", 2 checkpoints match")


def test_verify_with_a_checkpoint_catches_a_rewritten_history(entries, tmp_path):
    target = tmp_path / "checkpoints.jsonl"
    run("audit_checkpoint", "--output", str(target))
    tamper("DELETE FROM audit_auditentry")
    for _ in range(3):
        audit_record(action="case.read")
    assert run("audit_verify")[0] == 0
    code, _, err = run("audit_verify", "--checkpoint", str(target))
    assert code == 1
    assert err.startswith("audit chain broken at entry 3: hash differs from the checkpoint of")


def test_an_unreadable_checkpoint_file_is_an_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nonsense\n")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot read checkpoints"):
        call_command("audit_verify", "--checkpoint", str(bad))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_process_exit_codes(tmp_path):
    """The real command line, against the test database, as cron would run it."""
    audit_record(action="export")
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs a database another process can reach")
    env = {
        "PATH": "/usr/bin:/bin", "DJANGO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    ok = subprocess.run([*manage, "audit_verify"], env=env,  # noqa: S603 - fixed arguments
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("audit chain intact: 1 entries")
    with tampering(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET ip = '10.9.9.9' WHERE seq = 1")
    bad = subprocess.run([*manage, "audit_verify"], env=env,  # noqa: S603 - fixed arguments
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "audit chain broken at entry 1: hash does not match the entry's contents")
