"""The offline dependency audit (tools/dep_audit.py) reads OSV ranges the way the OSV
schema defines them, and finds a known-vulnerable version in the vendored snapshot."""

import importlib.util
import json
from pathlib import Path

from packaging.version import Version

TOOLS = Path(__file__).resolve().parents[3] / "tools"
spec = importlib.util.spec_from_file_location("dep_audit", TOOLS / "dep_audit.py")
dep_audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dep_audit)


def test_ranges_open_at_introduced_and_close_at_fixed_or_after_last_affected():
    events = [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"},
              {"fixed": "4.2.15"}]
    assert dep_audit.in_range(Version("4.2.14"), events)
    assert not dep_audit.in_range(Version("4.2.15"), events)
    assert dep_audit.in_range(Version("5.0"), events)
    assert not dep_audit.in_range(Version("5.0.8"), events)
    assert not dep_audit.in_range(Version("4.1.9"), events)
    assert dep_audit.in_range(Version("0.1"), [{"introduced": "0"}, {"fixed": "1.0"}])
    last = [{"introduced": "1.0"}, {"last_affected": "1.4"}]
    assert dep_audit.in_range(Version("1.4"), last)
    assert not dep_audit.in_range(Version("1.4.1"), last)


def test_the_snapshot_knows_old_django_and_setuptools_flaws():
    snapshot = json.loads(dep_audit.SNAPSHOT.read_text(encoding="utf-8"))
    found = dep_audit.audit({"django": "4.2.14", "setuptools": "65.5.0"}, snapshot, {})
    ids = {(f["package"], f["id"]) for f in found}
    assert ("django", "PYSEC-2024-70") in ids
    assert any(package == "setuptools" for package, _ in ids)
    assert not dep_audit.audit({"django": "5.2.8", "setuptools": "80.0"}, snapshot, {})


def test_an_accepted_advisory_is_reported_but_does_not_fail():
    snapshot = {"date": "2024-10-10", "advisories": [
        {"id": "X-1", "aliases": [], "package": "demo", "ranges": [[{"introduced": "0"}]],
         "versions": [], "summary": "s"}]}
    found = dep_audit.audit({"demo": "1.0"}, snapshot, {"X-1": "not reachable"})
    assert found[0]["accepted"] == "not reachable"


def test_the_pins_of_a_lock_file_are_read_as_the_packages_to_audit():
    lock = """# pip-compile's header
django==4.2.14 \\
    --hash=sha256:aa \\
    --hash=sha256:bb
    # via casedesk (pyproject.toml)
Pydantic_Core==2.50.5 ; python_version >= "3.11"
psycopg[binary]==3.2.1
"""
    assert dep_audit.pinned(lock) == {"django": "4.2.14", "pydantic-core": "2.50.5",
                                      "psycopg": "3.2.1"}
    snapshot = json.loads(dep_audit.SNAPSHOT.read_text(encoding="utf-8"))
    assert any(f["id"] == "PYSEC-2024-70"
               for f in dep_audit.audit(dep_audit.pinned(lock), snapshot, {}))


def test_the_lock_has_no_open_advisory():
    lock = TOOLS.parent / "requirements" / "lock.txt"
    assert dep_audit.main(["--requirements", str(lock)]) == 0
