"""What every benchmark script shares: its databases and a description of the machine.
No side effects on import."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def databases_ensure(url: str) -> None:
    """Create the database of ``url`` and its key store ("<name>_keys") if missing."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for db in (name, f"{name}_keys"):  # the data and the key store
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                [db]).fetchone():
                conn.execute(f'CREATE DATABASE "{db}"')


def office_cases_remove(office) -> dict:
    """Delete the cases of ``office`` with every row that hangs off them (events,
    deadlines, applicants, appeals and their public submissions; the search rows follow by
    trigger), their people and the people's data keys: what a benchmark wrote into its own
    office, so that repeated runs do not pile up rows in the offices the pages are measured
    on. The audit entries stay, as the chain is append-only. Needs Django set up."""
    from django.db import connection, transaction

    from casedesk.core.crypto import keys_destroy

    cases = "SELECT id FROM cases_case WHERE office_id = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT p.id, p.key_id FROM people_person p WHERE p.id IN ("  # noqa: S608
            f" SELECT service_member_id FROM cases_case WHERE office_id = %s UNION"
            f" SELECT person_id FROM cases_caseapplicant WHERE case_id IN ({cases}))",
            [office.pk, office.pk])
        people = cursor.fetchall()
        cursor.execute("DELETE FROM intake_publicsubmission WHERE appeal_id IN ("  # noqa: S608
                       f"SELECT id FROM cases_appeal WHERE case_id IN ({cases}))", [office.pk])
        submissions = cursor.rowcount
        # Rows of other apps that refer to the cases (the notices' outbox, attention
        # items, ...): whichever models have a case, found from the models, not listed.
        for table, column in _case_references():
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({cases})",  # noqa: S608
                           [office.pk])
        # A duplicate flag on a case of another office may name one of these people.
        cursor.execute("DELETE FROM intake_duplicateflag WHERE person_id = ANY(%s)",
                       [[p[0] for p in people]])
        # A repeated appeal refers to an earlier case of its own office (Case.repeated_of).
        cursor.execute(f"UPDATE cases_case SET repeated_of_id = NULL WHERE repeated_of_id"  # noqa: S608
                       f" IN ({cases})", [office.pk])
        for table in ("cases_caseevent", "cases_deadline", "cases_caseapplicant",
                      "cases_appeal"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id IN ({cases})",  # noqa: S608
                           [office.pk])
        cursor.execute("DELETE FROM cases_case WHERE office_id = %s", [office.pk])
        removed = cursor.rowcount
        cursor.execute("DELETE FROM people_person WHERE id = ANY(%s)", [[p[0] for p in people]])
    keys = keys_destroy([p[1] for p in people])
    return {"cases": removed, "submissions": submissions, "people": len(people), "keys": keys}


def cpu_seconds(pids) -> float:
    """User + system CPU time of live processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def percentile(values: list[float], q: float) -> float:
    """The value at fraction ``q`` of ``values`` in order (the nearest rank below)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


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


def _case_references() -> list[tuple[str, str]]:
    """(table, column) of every model outside the case file's own tables with a foreign
    key to a case."""
    from django.apps import apps

    from casedesk.cases.models import Case

    own = {"cases_caseevent", "cases_deadline", "cases_caseapplicant", "cases_appeal",
           "cases_casesearch"}
    found = []
    for model in apps.get_models():
        table = model._meta.db_table
        if table in own or model is Case:  # its own reference: cleared above
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Case:
                found.append((table, field.column))
    return found


def print_alone(run) -> None:
    """A bench part run by itself (``python bench/<part>.py``): Django set up only, no
    migration and no seeding (make bench does those, bench/run.py), then ``run()``'s
    figures and the machine printed as JSON."""
    import json

    import django

    django.setup()
    print(json.dumps({**run(), "machine": machine()}, ensure_ascii=False, indent=2))
