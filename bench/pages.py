"""Staff page latency on a large PostgreSQL data set.

    make bench                      # BENCH_CASES=100000 by default
    BENCH_CASES=20000 make bench

Creates (or reuses) the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/casedesk_bench), seeds demo cases up to BENCH_CASES
through the bulk path, then requests each page in-process with Django's test client as
the right role and prints p50/p95 per page with the machine it ran on. Figures are
wall-clock times of the whole request (middleware, queries, template), without network.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgres://postgres@127.0.0.1:5432/casedesk_bench")
CASES = int(os.environ.get("BENCH_CASES", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))

os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_DEBUG", "0")
sys.path.insert(0, str(ROOT))


def ensure_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for db in (name, f"{name}_keys"):  # the data and the key store
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  [db]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{db}"')


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from casedesk.accounts.models import User
    from casedesk.cases.models import Case

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database="keys")
    have = Case.objects.count()
    if have < CASES:
        print(f"seeding {CASES - have} cases (have {have}) ...", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", cases=CASES - have, seed=have + 1, batch=2000)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cursor.fetchone()[0]

    numbers = list(Case.objects.filter(office__code="MSK").order_by("?")
                   .values_list("number", flat=True)[:REQUESTS])
    words = ["госпиталь", "контракт", "выплата", "отпуск", "hospital", "payment", "ВВК",
             "рапорт", "MSK-2026-00", "СОЧ"]
    categories = ["medical_discharge", "demobilization_term", "insurance_payment"]
    pages = {
        "queue (caseworker, mine)":
            ("caseworker", lambda i: f"/ru/staff/?queue=mine&page={1 + i % 3}"),
        "queue (supervisor, open)":
            ("supervisor", lambda i: f"/ru/staff/?queue=open&page={1 + i % 20}"),
        "queue (overdue, category)":
            ("supervisor", lambda i: f"/ru/staff/?queue=overdue&category={categories[i % 3]}"),
        "case page":
            ("supervisor", lambda i: f"/ru/staff/cases/{numbers[i % len(numbers)]}/"),
        "supervisor workload": ("supervisor", lambda i: "/ru/staff/supervisor/"),
        "search": ("supervisor", lambda i: f"/ru/staff/?queue=all&q={words[i % len(words)]}"),
    }
    results = {}
    for name, (username, url_for) in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for i in range(5):  # warm-up
            client.get(url_for(i))
        times = []
        for i in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(url_for(i))
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        times.sort()
        results[name] = {"p50_ms": round(statistics.median(times), 1),
                         "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                         "requests": REQUESTS}
    info = {"cases": Case.objects.count(), "database": pg_version, "db_size": db_size,
            **machine(), "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(info, ensure_ascii=False))
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in results.items():
        print(f"{name:<30} {r['p50_ms']:>8} {r['p95_ms']:>8}")
    out = ROOT / "bench" / "pages-latest.json"
    out.write_text(json.dumps({"machine": info, "pages": results}, ensure_ascii=False,
                              indent=2))


if __name__ == "__main__":
    main()
