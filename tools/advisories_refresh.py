"""Rebuild the vendored vulnerability snapshot that ``tools/dep_audit.py`` reads offline.

Run it by hand where the network reaches GitHub, on a clone of the Python Packaging
Advisory Database (https://github.com/pypa/advisory-database, CC-BY 4.0)::

    git clone --depth 1 https://github.com/pypa/advisory-database /tmp/padb
    python tools/advisories_refresh.py /tmp/padb

It keeps, per advisory, only what the check needs (id, aliases, package, version
ranges, fixed versions, a one-line summary), so the snapshot stays small and readable
in a diff, and records the source commit and its date.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent / "advisories" / "pypa-advisory-db.json"


def _git(repo: Path, *args: str) -> str:
    # A maintainer's own command on a clone they made: no untrusted input.
    return subprocess.run(["git", "-C", str(repo), *args],  # noqa: S603, S607
                          check=True, capture_output=True, text=True).stdout.strip()


def _compact(record: dict) -> list[dict]:
    rows = []
    summary = (record.get("summary") or record.get("details") or "").strip().split("\n")[0]
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != "PyPI":
            continue
        ranges = [r["events"] for r in affected.get("ranges") or []
                  if r.get("type") == "ECOSYSTEM"]
        rows.append({
            "id": record["id"],
            "aliases": sorted(record.get("aliases") or []),
            "package": package["name"].lower().replace("_", "-"),
            "ranges": ranges,
            # Only where no range says it: an explicit list of affected versions.
            "versions": [] if ranges else [str(v) for v in affected.get("versions") or []],
            "summary": summary[:160],
        })
    return rows


def main(repo: str) -> int:
    root = Path(repo)
    advisories = []
    for path in sorted((root / "vulns").rglob("*.yaml")):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        if record.get("withdrawn"):
            continue
        advisories.extend(_compact(record))
    advisories.sort(key=lambda a: (a["package"], a["id"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    head = {
        "source": "https://github.com/pypa/advisory-database",
        "licence": "CC-BY-4.0",
        "commit": _git(root, "rev-parse", "HEAD"),
        "date": _git(root, "log", "-1", "--format=%cs"),
    }
    # One advisory a line: small, and a refresh reads as a diff of advisories.
    lines = ",\n".join(json.dumps(a, ensure_ascii=False, separators=(",", ":"))
                       for a in advisories)
    body = json.dumps(head, ensure_ascii=False)[:-1]
    OUT.write_text(f'{body}, "advisories": [\n{lines}\n]}}\n', encoding="utf-8")
    print(f"{len(advisories)} advisories written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
