"""Offline dependency audit: every installed distribution against the vendored snapshot
of the Python Packaging Advisory Database (``tools/advisories/``, refreshed with
``tools/advisories_refresh.py``).

CI has no route to a vulnerability service, so the check reads the snapshot only. It
fails when an installed version falls inside an advisory's affected ranges, unless the
advisory is listed in ``tools/advisories/accepted.json`` with a reason (e.g. the
vulnerable function is not used). It always prints the snapshot's date: advisories
published after it are unknown to this check.

    python tools/dep_audit.py            # audit this environment
    python tools/dep_audit.py --json     # machine-readable findings
    python tools/dep_audit.py --requirements requirements/lock.txt   # audit the lock's pins
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.version import InvalidVersion, Version

HERE = Path(__file__).resolve().parent / "advisories"
SNAPSHOT = HERE / "pypa-advisory-db.json"
ACCEPTED = HERE / "accepted.json"


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV ECOSYSTEM range semantics: walk the events in version order; ``introduced``
    opens an affected span, ``fixed`` closes it (exclusive), ``last_affected`` closes it
    after that version."""
    points = []
    for event in events:
        ((kind, value),) = event.items()
        point = Version("0") if value == "0" else _version(str(value))
        if point is not None:
            points.append((point, kind))
    affected = False
    for point, kind in sorted(points, key=lambda p: p[0]):
        if kind == "introduced" and version >= point:
            affected = True
        elif (kind == "fixed" and version >= point
              or kind == "last_affected" and version > point):
            affected = False
    return affected


def affects(advisory: dict, version_text: str) -> bool:
    version = _version(version_text)
    if advisory["ranges"]:
        return version is not None and any(in_range(version, r) for r in advisory["ranges"])
    return version_text in advisory["versions"]


def installed() -> dict[str, str]:
    found = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name:
            found[name] = dist.version
    return found


def pinned(text: str) -> dict[str, str]:
    """The ``name==version`` pins of a requirements file (pip-compile's lock: hashes on
    continuation lines, comments, extras and markers ignored)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)",
                         line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def audit(packages: dict[str, str], snapshot: dict, accepted: dict) -> list[dict]:
    findings = []
    for advisory in snapshot["advisories"]:
        version = packages.get(advisory["package"])
        if version is not None and affects(advisory, version):
            findings.append({
                "package": advisory["package"], "version": version, "id": advisory["id"],
                "aliases": advisory["aliases"], "summary": advisory["summary"],
                "accepted": accepted.get(advisory["id"]),
            })
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--requirements", type=Path, metavar="FILE",
                        help="audit the pins of this requirements file, not this environment")
    args = parser.parse_args(argv)
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    accepted = json.loads(ACCEPTED.read_text(encoding="utf-8")) if ACCEPTED.exists() else {}
    if args.requirements:
        packages = pinned(args.requirements.read_text(encoding="utf-8"))
        what = f"pinned distributions in {args.requirements}"
    else:
        packages = installed()
        what = "installed distributions"
    findings = audit(packages, snapshot, accepted)
    open_findings = [f for f in findings if not f["accepted"]]
    if args.json:
        print(json.dumps({"snapshot": snapshot["date"], "findings": findings}, indent=2))
    else:
        age = (dt.date.today() - dt.date.fromisoformat(snapshot["date"])).days
        print(f"dependency audit: {len(packages)} {what} against "
              f"{len(snapshot['advisories'])} advisories of {snapshot['date']} "
              f"({age} days old; newer advisories are not known to this check)")
        for f in findings:
            mark = "accepted" if f["accepted"] else "VULNERABLE"
            print(f"  {mark}: {f['package']} {f['version']} {f['id']} "
                  f"{' '.join(f['aliases'])}: {f['summary']}")
            if f["accepted"]:
                print(f"    reason: {f['accepted']}")
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
