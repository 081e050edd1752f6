"""Issue 15, finding 17: backup and restore as docs/deployment.md gives them.

Both databases are dumped with pg_dump (the data first, then the key store), restored
into fresh databases with createdb and pg_restore, and ``manage.py backup_verify`` runs
against them in a process of its own, as an operator would run it: OK. Then the key
store is restored from a dump made before the newest case (the wrong order):
backup_verify fails and names that case, and only that one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connections

from casedesk.intake.services import PersonData

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not all(shutil.which(tool) for tool in
                               ("pg_dump", "pg_restore", "createdb", "dropdb")),
                       reason="the PostgreSQL client tools are not installed"),
]


def _server(alias: str) -> tuple[list[str], dict[str, str], dict]:
    db = connections[alias].settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    options = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            options += [option, str(db[key])]
    return options, env, db


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=300, check=False)


def _dump(alias: str, path) -> None:
    """docs/deployment.md: pg_dump --format=custom --file=… <database>."""
    options, env, db = _server(alias)
    done = _run(["pg_dump", *options, "--format=custom", f"--file={path}", db["NAME"]], env)
    assert done.returncode == 0, done.stderr


def _url(db: dict, name: str) -> str:
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


@pytest.fixture
def restored(tmp_path):
    """Restore dumps into fresh databases (createdb, pg_restore); all dropped after."""
    options, env, db = _server("default")
    made: list[str] = []

    def restore(path) -> str:
        name = f"casedesk_restore_{uuid.uuid4().hex[:12]}"
        done = _run(["createdb", *options, name], env)
        assert done.returncode == 0, done.stderr
        made.append(name)
        done = _run(["pg_restore", *options, "--no-owner", "--no-privileges",
                     f"--dbname={name}", str(path)], env)
        assert done.returncode == 0, done.stderr
        return _url(db, name)

    yield restore
    for name in made:
        _run(["dropdb", *options, "--if-exists", name], env)


def _backup_verify(data_url: str, keys_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": data_url, "CASEDESK_KEYSTORE_URL": keys_url}
    env.pop("CASEDESK_REPLICA_URL", None)
    return subprocess.run([sys.executable, "manage.py", "backup_verify"],  # noqa: S603
                          env=env, capture_output=True, text=True, timeout=300,
                          check=False, cwd=settings.BASE_DIR)


def test_a_restore_in_order_verifies_and_one_in_the_wrong_order_names_the_case(
        register, restored, tmp_path):
    if connections["default"].vendor != "postgresql" or \
            connections["keys"].vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    first = register()
    _dump("keys", tmp_path / "keys-old.dump")  # a key store backup from before…
    newest = register(service_member=PersonData(full_name="Новейший Тимур Ильич",
                                                service_type="contract"))  # …this case
    # docs/deployment.md: the data first, then the key store (keys newer than data).
    _dump("default", tmp_path / "data.dump")
    _dump("keys", tmp_path / "keys.dump")

    data = restored(tmp_path / "data.dump")
    good = _backup_verify(data, restored(tmp_path / "keys.dump"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OK" in good.stdout

    bad = _backup_verify(data, restored(tmp_path / "keys-old.dump"))
    report = bad.stdout + bad.stderr
    assert bad.returncode == 1, report
    # The keys of the newest case's two people (service member, applicant) are missing.
    assert "MISSING: 2 data key" in report
    assert newest.number in report and first.number not in report
    assert "Новейший" not in report
