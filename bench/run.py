"""`make bench`: load the data set, measure everything issue 8 asks for, write the results.

    make bench                              # BENCH_CASES=100000
    BENCH_CASES=1000000 make bench          # the figures that count

1. bench/seed.py loads BENCH_CASES cases into BENCH_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/casedesk_bench, key store "<name>_keys").
2. bench/pages.py: p50/p95 of the staff and public pages, in-process, as the right role.
3. bench/intake.py: appeals/s through the public API under concurrent clients, with a
   multi-process server on loopback.
4. bench/import_csv.py: rows/s of a CSV import and the raw COPY rate of the same rows.
5. bench/duplicates.py: CPU and database time of the duplicate flag per new appeal
   (rolled back: writes nothing).
6. bench/facts.py: facts from the text (issue 19): appeals/s and characters/s per core,
   the NER model's load time and memory (a process of its own; no database).
7. bench/triage.py: category suggestions: train time, model load time and memory, p95 per
   appeal once loaded (issue 19: < 20 ms; rolled back: writes nothing).

Prints a table and writes bench/results.json (or bench/$BENCH_RESULTS; commit it after the
1M run) with the number of cases, the machine (CPU count), the date and one entry per
figure. Set BENCH_SKIP=intake,import to leave parts out of a quick run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pages  # noqa: E402 - sets the environment for Django before it is set up
from common import machine  # noqa: E402


def main() -> None:
    skip = {s.strip() for s in os.environ.get("BENCH_SKIP", "").split(",") if s.strip()}
    pages.setup()
    import seed

    started = time.perf_counter()
    loaded = seed.load(pages.CASES)
    results: dict = {"load": loaded, "pages": pages.run(pages.REQUESTS)}
    if "intake" not in skip:
        import intake

        results["intake"] = intake.run(
            clients=intake.CLIENTS,
            seconds=float(os.environ.get("BENCH_INTAKE_SECONDS", "20")))
    if "import" not in skip:
        import import_csv

        results["import"] = import_csv.run(int(os.environ.get("BENCH_IMPORT_ROWS", "100000")))
    if "duplicates" not in skip:  # issue 18: the duplicate check's CPU per appeal
        import duplicates

        results["duplicates"] = duplicates.run()
    if "facts" not in skip:  # issue 19: extraction per core, model load time and memory
        import facts

        results["facts"] = facts.run()
    if "triage" not in skip:  # issue 19: category suggestions (train, load, p95)
        import triage

        results["triage"] = triage.run()
    info = {"cases": loaded["cases"], **pages.database_info(), **machine(),
            "date": time.strftime("%Y-%m-%d"),
            "bench_seconds": round(time.perf_counter() - started)}
    report = {"machine": info, **results}
    print(json.dumps(info, ensure_ascii=False))
    print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in results["pages"].items():
        print(f"{name:<40} {r['p50_ms']:>8} {r['p95_ms']:>8}")
    for part in ("intake", "import", "duplicates", "facts", "triage"):
        if part in results:
            print(part, json.dumps(results[part], ensure_ascii=False))
    out = BENCH / os.environ.get("BENCH_RESULTS", "results.json")
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
