"""Load a large synthetic data set into the benchmark database, fast.

The demo generator (``seed_demo``: realistic categories, regions, texts and timelines,
all encrypted, through bulk inserts) makes a *base* of ``BENCH_BASE`` cases (default
50,000). It runs at about 100-200 cases/s on 2 CPUs, because every person, text and
search word is encrypted or hashed in Python; 1M cases that way would take hours. So the
rest is made in PostgreSQL: the base is copied back in time, ``INSERT ... SELECT`` per
table, each copy shifted by 170 days more (nineteen copies cover about nine years), with
new ids, new people rows, new case numbers (sequence + copy x 1,000,000 + the
original year's last digit x 100,000) and the same
skew of categories, regions, states and texts. Copies share the base's ciphertexts and
data keys: that costs nothing in reading speed, which is what the benchmark measures.
Copies are older than the base, so their cases are finished: open ones are closed
(without a closing event) 60 days after receipt, as in a real office's history.

    load(1_000_000)   # idempotent: loads only what is missing
"""

from __future__ import annotations

import os
import time

SHIFT_DAYS = 170
SEQUENCE_STEP = 1_000_000
CLOSE_COPIES = (
    "UPDATE cases_case SET state = 'closed', closed_at = received_at + interval '60 days', "
    "next_due_on = NULL, deadline_flag = 'ok' WHERE id > {low} AND id <= {high} AND state IN "
    "('received', 'registered', 'in_review', 'awaiting_information', "
    "'referred_to_commission', 'commission_decided')")
CLOSE_DEADLINES = (
    "UPDATE cases_deadline SET closed_on = due_on, met = true "
    "WHERE case_id > {low} AND case_id <= {high} AND closed_on IS NULL")


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _copy_sql(model, *, k: int, offsets: dict[str, str], where: str) -> str:
    """INSERT INTO table (cols) SELECT <shifted cols> FROM table WHERE <base rows>."""
    from django.db import models

    table = model._meta.db_table
    out = []
    for field in model._meta.concrete_fields:
        col = field.column
        if col in offsets:
            expression = offsets[col]
        elif isinstance(field, models.DateTimeField) and col not in ("created_at",
                                                                     "updated_at"):
            expression = f"{col} - interval '{k * SHIFT_DAYS} days'"
        elif isinstance(field, models.DateField) and not isinstance(field,
                                                                    models.DateTimeField):
            expression = f"{col} - {k * SHIFT_DAYS}"
        else:
            expression = col
        out.append(expression)
    columns = ", ".join(_columns(model))
    # Names and expressions come from the models and this module, never from input.
    return (f"INSERT INTO {table} ({columns}) SELECT {', '.join(out)} "  # noqa: S608
            f"FROM {table} WHERE {where}")


def _replicate(base_cases: int, copies: int) -> None:
    from django.db import connection, transaction

    from casedesk.cases.models import Appeal, Case, CaseApplicant, CaseEvent, Deadline
    from casedesk.people.models import Person

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM cases_case")
        case_max = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM people_person")
        person_max = cursor.fetchone()[0]
        maxima = {}
        for model in (Appeal, CaseApplicant, CaseEvent, Deadline):
            cursor.execute(f"SELECT max(id) FROM {model._meta.db_table}")  # noqa: S608
            maxima[model] = cursor.fetchone()[0] or 0
    base = f"<= {case_max}"
    for k in range(1, copies + 1):
        started = time.perf_counter()
        case_off, person_off = k * case_max, k * person_max
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_copy_sql(
                Person, k=k, offsets={"id": f"id + {person_off}"},
                where=f"id <= {person_max}"))
            # Unique per office and (new) year: the copy, the original year's last digit
            # and the original sequence (below 100,000 per office and year in the base).
            seq = f"sequence + {k * SEQUENCE_STEP} + (year % 10) * 100000"
            year = f"extract(year from received_at - interval '{k * SHIFT_DAYS} days')::int"
            cursor.execute(_copy_sql(
                Case, k=k, where=f"id {base}",
                offsets={"id": f"id + {case_off}", "sequence": seq, "year": year,
                         "service_member_id": f"service_member_id + {person_off}",
                         "number": f"split_part(number, '-', 1) || '-' || {year} || '-' "
                                   f"|| ({seq})::text"}))
            # A copy is at least 170 days older than the base: as in a real office, its
            # cases are finished. Open ones are closed 60 days after receipt.
            cursor.execute(CLOSE_COPIES.format(low=case_off, high=case_off + case_max))
            for model in (CaseApplicant, Appeal, CaseEvent, Deadline):
                offsets = {"id": f"id + {k * maxima[model]}", "case_id": f"case_id + {case_off}"}
                if model is CaseApplicant:
                    offsets["person_id"] = f"person_id + {person_off}"
                if model is Appeal:
                    offsets["submitter_id"] = f"submitter_id + {person_off}"
                    offsets["idempotency_key"] = "NULL"
                cursor.execute(_copy_sql(model, k=k, offsets=offsets, where=f"case_id {base}"))
            cursor.execute(CLOSE_DEADLINES.format(low=case_off, high=case_off + case_max))
        print(f"  copy {k}/{copies}: {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        for table in ("people_person", "cases_case", "cases_caseapplicant", "cases_appeal",
                      "cases_caseevent", "cases_deadline"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                           f"(SELECT max(id) FROM {table}))")
        # New intake must number after the copies.
        cursor.execute("""
            INSERT INTO cases_casenumbercounter (office_id, year, last)
            SELECT office_id, year, max(sequence) FROM cases_case GROUP BY office_id, year
            ON CONFLICT (office_id, year) DO UPDATE SET last = GREATEST(
                cases_casenumbercounter.last, EXCLUDED.last)""")


def load(cases: int) -> dict:
    """Make the benchmark database hold at least ``cases`` cases; return what it took."""
    from django.core.management import call_command
    from django.db import connection

    from casedesk.cases.models import Case

    base_target = min(cases, int(os.environ.get("BENCH_BASE", "50000")))
    have = Case.objects.count()
    report = {"cases_before": have}
    started = time.perf_counter()
    if have < base_target:
        print(f"seeding {base_target - have} base cases through seed_demo ...", flush=True)
        t = time.perf_counter()
        call_command("seed_demo", cases=base_target - have, seed=have + 1, batch=2000)
        report["seed_demo_cases"] = base_target - have
        report["seed_demo_cases_per_s"] = round((base_target - have) / (time.perf_counter() - t))
        have = base_target
    if have < cases:
        copies = -(-cases // have) - 1
        print(f"copying the {have} base cases {copies} times in PostgreSQL ...", flush=True)
        _replicate(have, copies)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    if Case.objects.count() != report["cases_before"]:
        t = time.perf_counter()
        call_command("stats_refresh")
        report["stats_refresh_s"] = round(time.perf_counter() - t, 1)
    report["cases"] = Case.objects.count()
    report["load_s"] = round(time.perf_counter() - started, 1)
    return report
