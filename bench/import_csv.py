"""CSV import throughput against the raw COPY rate of the same rows (issue 8).

    BENCH_IMPORT_ROWS=100000 .venv/bin/python bench/import_csv.py [--profile] [--ceiling]

Creates (or reuses) the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/casedesk_bench) and its key store (``<name>_keys``),
migrates both, writes a realistic CSV of BENCH_IMPORT_ROWS appeals in the format of
docs/import.md (names, situations and requests from casedesk/demo/texts.py; the demo's
mix of categories, relations, service types and regions; 12% in English), then measures

(a) ``manage.py import_appeals FILE --office IMP``, in-process, end to end: both passes
    over the file (check, then write), data keys, encryption, blind indexes, search
    tokens, deadlines, the COPY of every table, the audit entry and the commit;
(b) ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of the same file into a bare, logged
    table with the same columns as text, in one transaction, committed;
(c) ``COPY`` of the import's own output into bare tables: the very rows the import wrote
    (people, cases, applicant links, appeals, events, deadlines, the search rows the
    triggers made, and the data keys in the key store: the same ids, ciphertexts, blind
    indexes and tokens), dumped after the import, then COPYed into copies of their
    tables with the same columns and NOT NULLs but no index, foreign key or trigger,
    logged, in one transaction per database, committed: the raw COPY rate of the data
    the import has to store (about five times the CSV's bytes, in eleven rows per line);
(d) with ``--ceiling`` (or BENCH_IMPORT_CEILING=1), the same rows COPYed into the real
    tables (indexes, foreign-key checks, triggers) after the import was deleted, and
    rolled back: the rate PostgreSQL alone allows on this schema, whatever the client.

``run(rows)`` returns {"rows", "import_rows_per_s", "copy_rows_per_s", "ratio"} (the
import against (b), the figure of issue 8), {"output_copy_rows_per_s", "output_ratio"}
(the import against (c); appeals per second both), "output_rows" (rows per table in (c)),
"output_mb" (the size of (c) as COPY text), "real_copy_rows_per_s" ((d), or None) and, to
say where the time went: "import_steps_s" (seconds per step of the import, from
``manage.py import_appeals -v 2``), "import_client_cpu_s" (this process) and
"import_server_cpu_s" (its PostgreSQL backends, read from /proc), and
"server_bound_rows_per_s" (rows / server CPU: the rate if Python cost nothing). The import goes
to an office of its own (IMP, created here) and is deleted afterwards (set
BENCH_IMPORT_KEEP=1 to keep it), so that the other benchmarks' figures do not change and
the next run imports the same amount again. ``--profile`` (or BENCH_IMPORT_PROFILE=1)
runs the import under cProfile and prints where the time went.
"""

from __future__ import annotations

import cProfile
import csv
import datetime as dt
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

from common import databases_ensure, office_cases_remove

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgres://postgres@127.0.0.1:5432/casedesk_bench")
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
OFFICE = "IMP"
RAW_TABLE = "bench_import_raw"

sys.path.insert(0, str(ROOT))


def setup() -> None:
    """Set Django up on BENCH_DATABASE_URL unless the caller (bench/run.py) already did;
    create and migrate both databases."""
    from django.apps import apps

    if not apps.ready:
        os.environ["DATABASE_URL"] = DB_URL
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.config.settings")
        os.environ.setdefault("DJANGO_DEBUG", "0")
        databases_ensure(DB_URL)
        import django

        django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database="keys")


def _office():
    from casedesk.accounts.models import Office
    from casedesk.core.models import Region

    office, _ = Office.objects.get_or_create(
        code=OFFICE, defaults={"name_ru": "Импорт (бенчмарк)", "name_en": "Import (benchmark)",
                               "region": Region.objects.filter(code="RU-MOW").first(),
                               "procedure": "appeal_59fz"})
    return office


def write_csv(path: Path, rows: int, *, seed: int = 8, tag: str = "") -> None:
    """``rows`` varied appeals in the import format; ``tag`` makes the external ids new."""
    from django.utils import timezone

    from casedesk import rulebook
    from casedesk.core.models import Region
    from casedesk.demo import texts
    from casedesk.demo.generator import (
        CATEGORY_WEIGHTS,
        RELATIONS,
        SERVICE_TYPES,
        weighted,
    )
    from casedesk.intake.bulk_import import COLUMNS

    rng = random.Random(seed)
    book = rulebook.current()
    categories = [c for c in CATEGORY_WEIGHTS if c in book.categories]
    cat_weights = [CATEGORY_WEIGHTS[c] for c in categories]
    regions = list(Region.objects.order_by("code").values_list("code", flat=True))
    channels = [("letter", 40), ("email", 35), ("phone", 5), ("visit", 5), ("import", 15)]
    now = timezone.localtime().replace(microsecond=0) - dt.timedelta(hours=1)

    def name(female: bool, surname: str, english: bool) -> str:
        if female:
            full = f"{surname}а {rng.choice(texts.FIRST_F)} {rng.choice(texts.PATRONYMIC_F)}"
        else:
            full = f"{surname} {rng.choice(texts.FIRST_M)} {rng.choice(texts.PATRONYMIC_M)}"
        return full.translate(texts.LATIN) if english else full

    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            english = rng.random() < 0.12
            category = rng.choices(categories, weights=cat_weights)[0]
            relation = str(weighted(rng, RELATIONS))
            surname = rng.choice(texts.SURNAMES_M)
            received = now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            unit = f"{rng.randint(10000, 99999)}"
            ru, en = texts.SITUATIONS[category]
            when = received - dt.timedelta(days=rng.randint(5, 120))
            text = (en if english else ru).format(unit=unit, date=when.strftime("%d.%m.%Y"),
                                                  place=rng.choice(texts.PLACES))
            member = name(False, surname, english)
            female = relation in ("mother", "wife") or (
                relation not in ("father", "self") and rng.random() < 0.6)
            applicant = member if relation == "self" else name(
                female, surname if relation != "lawyer" else rng.choice(texts.SURNAMES_M),
                english)
            handle_ = f"bench{rng.randrange(10**6):06d}"
            row = {
                "external_id": f"{tag}{i:07d}",
                "received_at": received.strftime("%Y-%m-%d %H:%M"),
                "channel": weighted(rng, channels),
                "category": category,
                "language": "en" if english else "ru",
                "applicant_name": applicant,
                "applicant_email": f"{handle_}@example.org" if rng.random() < 0.6 else "",
                "applicant_phone": f"+7 900 {rng.randrange(1000):03d}-{rng.randrange(100):02d}-"
                                   f"{rng.randrange(100):02d}",
                "applicant_address": f"{rng.choice(texts.PLACES)}, ул. Примерная, д. "
                                     f"{rng.randint(1, 120)}, кв. {rng.randint(1, 300)}",
                "relation": relation,
                "member_name": "" if relation == "self" else member,
                "member_birth_date": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}."
                                     f"{rng.randint(1966, 2005)}",
                "member_unit": unit,
                "member_service_type": str(weighted(rng, SERVICE_TYPES)),
                "member_region": rng.choice(regions) if regions else "",
                "text": text,
                "request": rng.choice(texts.REQUESTS[1 if english else 0]),
            }
            writer.writerow([row.get(c, "") for c in COLUMNS])


def copy_rate(path: Path, rows: int) -> float:
    """Rows per second of COPY of the file into a bare table with the same columns."""
    from django.db import connection, transaction

    from casedesk.intake.bulk_import import COLUMNS

    columns = ", ".join(f"{c} text" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        cursor.execute(f"CREATE TABLE {RAW_TABLE} ({columns})")
    try:
        started = time.perf_counter()
        with transaction.atomic():
            raw = connection.connection  # the psycopg connection
            with raw.cursor() as cursor, cursor.copy(
                    f"COPY {RAW_TABLE} ({', '.join(COLUMNS)}) FROM STDIN "  # noqa: S608
                    "WITH (FORMAT csv, HEADER true)") as copy, open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {RAW_TABLE}")  # noqa: S608
            assert cursor.fetchone()[0] == rows
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
    return rows / seconds


# The rows one import writes, per table of the data database: "SELECT ..." of them, given
# the office's cases (``{cases}``) and the people they name (``{people}``).
OUTPUT = {
    "people_person": "SELECT * FROM people_person WHERE id IN ({people})",
    "cases_case": "SELECT * FROM cases_case WHERE id IN ({cases})",
    "cases_caseapplicant": "SELECT * FROM cases_caseapplicant WHERE case_id IN ({cases})",
    "cases_appeal": "SELECT * FROM cases_appeal WHERE case_id IN ({cases})",
    "cases_caseevent": "SELECT * FROM cases_caseevent WHERE case_id IN ({cases})",
    "cases_deadline": "SELECT * FROM cases_deadline WHERE case_id IN ({cases})",
    # Written by PostgreSQL triggers as the appeals go in (cases.0007), where it exists.
    "cases_casesearch": "SELECT * FROM cases_casesearch WHERE case_id IN ({cases})",
}


def output_dump(office, folder: Path, *, after_case: int) -> dict:
    """Save the rows the import wrote into ``office`` (its cases with ids above
    ``after_case``) as COPY text files in ``folder``: {(alias, table): (path, rows)}, the
    key store's data keys included."""
    from django.db import connection, connections

    cases = (f"SELECT id FROM cases_case WHERE office_id = {int(office.pk)} "  # noqa: S608
             f"AND id > {int(after_case)}")
    people = (f"SELECT service_member_id FROM cases_case WHERE id IN ({cases}) "  # noqa: S608
              f"UNION SELECT person_id FROM cases_caseapplicant WHERE case_id IN ({cases})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('cases_casesearch') IS NOT NULL")
        tables = {t: q for t, q in OUTPUT.items()
                  if t != "cases_casesearch" or cursor.fetchone()[0]}
        cursor.execute(f"SELECT key_id FROM people_person WHERE id IN ({people})")  # noqa: S608
        key_ids = [r[0] for r in cursor.fetchall()]
    queries = [("default", table, query.format(cases=cases, people=people), [])
               for table, query in tables.items()]
    queries.append(("keys", "core_datakey", "SELECT * FROM core_datakey WHERE id = ANY(%s)",
                    [key_ids]))
    dumped = {}
    for alias, table, query, params in queries:
        path = folder / f"{alias}.{table}.copy"
        connections[alias].ensure_connection()
        raw = connections[alias].connection
        copy_rows = 0
        with raw.cursor() as cursor, open(path, "wb") as handle, \
                cursor.copy(f"COPY ({query}) TO STDOUT", params or None) as copy:
            for chunk in copy:  # text format: one line per row
                handle.write(chunk)
                copy_rows += bytes(chunk).count(b"\n")
        dumped[(alias, table)] = (path, copy_rows)
    return dumped


def output_copy_rate(dumped: dict, rows: int) -> tuple[float, float]:
    """Appeals per second of a raw COPY of the rows the import wrote (``output_dump``: the
    same ids, ciphertexts, blind indexes and tokens, and the data keys) into bare copies
    of their tables: the same columns and NOT NULLs, no index, no foreign key, no trigger,
    logged; one transaction per database (key store, data), committed. Also the MB sent."""
    from django.db import connections, transaction

    bare = {key: f"bench_bare_{key[1]}" for key in dumped}

    def drop():
        for (alias, _table), name in bare.items():
            with connections[alias].cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")

    drop()
    try:
        for (alias, table), name in bare.items():
            with connections[alias].cursor() as cursor:
                cursor.execute(f"CREATE TABLE {name} (LIKE {table})")
        started = time.perf_counter()
        with transaction.atomic(), transaction.atomic(using="keys"):
            for (alias, _table), (path, _count) in _in_order(dumped):
                connections[alias].ensure_connection()
                raw = connections[alias].connection
                with raw.cursor() as cursor, cursor.copy(
                        f"COPY {bare[(alias, _table)]} FROM STDIN") as copy, \
                        open(path, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        copy.write(chunk)
        seconds = time.perf_counter() - started
        for key, name in bare.items():
            with connections[key[0]].cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608
                assert cursor.fetchone()[0] == dumped[key][1], key
    finally:
        drop()
    size = sum(path.stat().st_size for path, _count in dumped.values())
    return rows / seconds, size / 1024**2


def _in_order(dumped: dict) -> list:
    """The dumped tables in the order they can be stored: keys, people, cases, the rest."""
    order = ["core_datakey", *OUTPUT]
    return sorted(dumped.items(), key=lambda item: order.index(item[0][1]))


def real_copy_rate(dumped: dict, rows: int) -> float:
    """Appeals per second of a COPY of the same rows into the real tables (every index,
    foreign-key check and trigger; the search rows are left to the trigger, as in the
    import), rolled back: what PostgreSQL alone allows, whatever the client. Run after the
    import's rows were deleted (their dead index entries are still there)."""
    from django.db import connections, transaction

    started = time.perf_counter()
    with transaction.atomic(), transaction.atomic(using="keys"):
        with connections["default"].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for (alias, table), (path, _count) in _in_order(dumped):
            if table == "cases_casesearch":
                continue
            connections[alias].ensure_connection()
            raw = connections[alias].connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy, \
                    open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True, using="keys")
        transaction.set_rollback(True)
    return rows / seconds


def _backend_cpu() -> float:
    """CPU seconds used so far by this process's PostgreSQL backends (data and key store),
    read from /proc (the server runs on this machine); 0 where that is not possible."""
    from django.db import connections

    total = 0.0
    for alias in ("default", "keys"):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0
    return total


def _operator() -> str:
    """The account named as the import's operator (the command requires one)."""
    from casedesk.accounts.models import User

    if not User.objects.filter(username="bench-operator").exists():
        User.objects.create_user(username="bench-operator", role="analyst")
    return "bench-operator"


def run(rows: int = ROWS, *, profile: bool = False, keep: bool | None = None,
        ceiling: bool | None = None) -> dict:
    """Import ``rows`` generated rows and COPY the same file; the rates and their ratio."""
    setup()
    from django.core.management import call_command
    from django.db.models import Max

    from casedesk.cases.models import Case

    keep = os.environ.get("BENCH_IMPORT_KEEP") == "1" if keep is None else keep
    if ceiling is None:
        ceiling = os.environ.get("BENCH_IMPORT_CEILING") == "1"
    office = _office()
    if Case.objects.filter(office=office).exists() and not keep:
        office_cases_remove(office)  # left over from an interrupted run
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "appeals.csv"
        started = time.perf_counter()
        write_csv(path, rows, tag=f"b{int(time.time())}-")
        generate_s = time.perf_counter() - started
        size = path.stat().st_size

        out = io.StringIO()
        after_case = Case.objects.aggregate(last=Max("id"))["last"] or 0
        profiler = cProfile.Profile() if profile else None
        server_before = _backend_cpu()
        cpu_before = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        call_command("import_appeals", str(path), office=OFFICE, stdout=out, language="en",
                     operator=_operator(), verbosity=2)
        if profiler:
            profiler.disable()
        import_s = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_before
        server_cpu = _backend_cpu() - server_before
        steps = next((json.loads(line.split(": ", 1)[1])
                      for line in out.getvalue().splitlines()
                      if line.startswith("Seconds per step: ")), {})
        imported = Case.objects.filter(office=office).count()
        assert imported >= rows, (imported, out.getvalue())

        copy_per_s = copy_rate(path, rows)
        dumped = output_dump(office, Path(folder), after_case=after_case)
        output_per_s, output_mb = output_copy_rate(dumped, rows)
        output_rows = {table: count for (_alias, table), (_path, count) in dumped.items()}
        started = time.perf_counter()
        removed = {} if keep else office_cases_remove(office)
        cleanup_s = time.perf_counter() - started
        real_per_s = real_copy_rate(dumped, rows) if ceiling and not keep else None
    import_per_s = rows / import_s
    result = {
        "rows": rows,
        "import_rows_per_s": round(import_per_s, 1),
        "copy_rows_per_s": round(copy_per_s, 1),
        "ratio": round(import_per_s / copy_per_s, 4),
        # The import against a raw COPY of its own output: the very rows it wrote (every
        # table, the same ciphertexts, and the key store's data keys) into bare copies of
        # their tables.
        "output_copy_rows_per_s": round(output_per_s, 1),
        "output_ratio": round(import_per_s / output_per_s, 4),
        "output_rows": output_rows,
        "output_mb": round(output_mb, 1),
        # The same rows COPYed into the real tables and rolled back (--ceiling): the rate
        # PostgreSQL allows on this schema if the client cost nothing; None if not measured.
        "real_copy_rows_per_s": round(real_per_s, 1) if real_per_s else None,
        "import_seconds": round(import_s, 2),
        "import_steps_s": steps,
        # Where the import's time went: Python (this process) and the PostgreSQL backends.
        # Their sum under the wall time means the machine was shared or idle-waiting.
        "import_client_cpu_s": round(client_cpu, 2),
        "import_server_cpu_s": round(server_cpu, 2),
        # The rate if Python cost nothing: PostgreSQL's own work for the ~11 rows, their
        # indexes and the ~2 key-store rows each appeal becomes. No client can beat it on
        # this schema; the raw COPY writes one row without an index.
        "server_bound_rows_per_s": round(rows / server_cpu, 1) if server_cpu else None,
        "csv_mb": round(size / 1024**2, 1),
        "generate_seconds": round(generate_s, 1),
        "cpus": os.cpu_count(),
        "removed": removed,
        "cleanup_seconds": round(cleanup_s, 1),
    }
    if profiler:
        stats = io.StringIO()
        pstats.Stats(profiler, stream=stats).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler, stream=stats).sort_stats("cumulative").print_stats(45)
        result["profile"] = stats.getvalue()
    return result


def main() -> None:
    profile = "--profile" in sys.argv or os.environ.get("BENCH_IMPORT_PROFILE") == "1"
    result = run(ROWS, profile=profile, ceiling=True if "--ceiling" in sys.argv else None)
    text = result.pop("profile", None)
    if text:
        print(text)
    print(json.dumps(result, ensure_ascii=False))
    print(f"import {result['import_rows_per_s']:.0f} rows/s, COPY "
          f"{result['copy_rows_per_s']:.0f} rows/s, ratio {result['ratio']:.2%} "
          f"({result['rows']} rows, {result['csv_mb']} MB); COPY of the import's own rows "
          f"into bare tables {result['output_copy_rows_per_s']:.0f} rows/s, ratio "
          f"{result['output_ratio']:.2%} ({result['output_mb']} MB)")


if __name__ == "__main__":
    main()
