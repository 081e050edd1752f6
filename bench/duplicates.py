"""The duplicate check: CPU and database time of the flag task per new appeal (issue 18:
at most 5 ms of CPU per appeal).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench \\
        BENCH_DUPLICATE_CASES=300 python bench/duplicates.py

Takes the latest BENCH_DUPLICATE_CASES cases of the seeded database as if they had just
been received and runs ``intake.services.duplicates_flag`` on them: once as one batch (an
import's task), then one case at a time (the web's batches of one), each timed with
``time.process_time`` (the CPU of this process: scoring, hashing, decrypting the new
member) and ``time.perf_counter`` (wall; the difference is mostly the database), and the
CPU time of this connection's PostgreSQL backend over all of them (/proc, when the
database runs on this machine: the check's CPU is both). Nothing
lasts: everything runs in one transaction that is rolled back (the flags' table too, if
the database predates it), after a VACUUM of the flags' table (what earlier runs rolled
back leaves dead index entries) and of the people, cases and case people (what the intake
step removes leaves them too), and run alone it neither migrates nor seeds, so it may
run against a database others measure.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pages  # noqa: E402, F401 - sets the environment for Django before it is set up
from common import cpu_seconds, percentile, print_alone  # noqa: E402

CASES = int(os.environ.get("BENCH_DUPLICATE_CASES", "300"))


def run(count: int = CASES) -> dict:
    from django.db import connection, transaction

    from casedesk.cases.models import Case
    from casedesk.core import crypto
    from casedesk.intake import services
    from casedesk.intake.models import DuplicateFlag

    ids = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:count])
    if DuplicateFlag._meta.db_table in connection.introspection.table_names():
        # The flags a run inserts are rolled back, but their index entries stay until a
        # vacuum: each run would find the unique index fuller than the last (PostgreSQL's
        # time per case in a batch went from 2.9 to 4.5 ms over a few runs).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {connection.ops.quote_name(DuplicateFlag._meta.db_table)}")
    # The tables the check reads, likewise: the intake step of `make bench` just before
    # stored and then removed ~7,000 cases and their people, whose dead index entries
    # (until autovacuum comes) made PostgreSQL's CPU per check 4.2-4.6 ms instead of 2.2
    # (measured at 1M cases, same code), a state a database with autovacuum is seldom in.
    from casedesk.cases.models import CasePeople
    from casedesk.people.models import Person

    with connection.cursor() as cursor:
        for model in (Person, Case, CasePeople):
            if model._meta.db_table in connection.introspection.table_names():
                cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")
    cpu: list[float] = []
    wall: list[float] = []
    with transaction.atomic():
        if DuplicateFlag._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:  # rolled back with the rest
                editor.create_model(DuplicateFlag)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = [cursor.fetchone()[0]]
        crypto.cache_clear()
        began_cpu, began = time.process_time(), time.perf_counter()
        began_db = cpu_seconds(backend)
        batch_flags = len(services.duplicates_flag(case_ids=ids))
        batch_db = cpu_seconds(backend) - began_db
        batch_cpu = time.process_time() - began_cpu
        batch_wall = time.perf_counter() - began
        DuplicateFlag.objects.all().delete()
        crypto.cache_clear()
        flags = 0
        began_db = cpu_seconds(backend)
        for pk in ids:
            began_cpu, began = time.process_time(), time.perf_counter()
            flags += len(services.duplicates_flag(case_ids=[pk]))
            cpu.append(time.process_time() - began_cpu)
            wall.append(time.perf_counter() - began)
        one_db = cpu_seconds(backend) - began_db
        transaction.set_rollback(True)
    return {
        "cases": len(ids),
        "flags_per_case": round(flags / max(len(ids), 1), 2),
        "one_cpu_ms_p50": round(statistics.median(cpu) * 1000, 2),
        "one_cpu_ms_p95": round(percentile(cpu, 0.95) * 1000, 2),
        "one_wall_ms_p50": round(statistics.median(wall) * 1000, 2),
        "one_wall_ms_p95": round(percentile(wall, 0.95) * 1000, 2),
        "one_db_ms_p50": round(statistics.median(
            [w - c for w, c in zip(wall, cpu, strict=True)]) * 1000, 2),
        # PostgreSQL's CPU per check (0 where the database is not on this machine).
        "one_postgres_cpu_ms_mean": round(one_db / max(len(ids), 1) * 1000, 2),
        "batch_cpu_ms_per_case": round(batch_cpu / max(len(ids), 1) * 1000, 2),
        "batch_postgres_cpu_ms_per_case": round(batch_db / max(len(ids), 1) * 1000, 2),
        "batch_wall_ms_per_case": round(batch_wall / max(len(ids), 1) * 1000, 2),
        "batch_flags": batch_flags,
    }


if __name__ == "__main__":
    print_alone(run)
