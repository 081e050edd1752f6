"""Staff page latency on a large PostgreSQL data set.

    make bench                      # BENCH_CASES=100000 by default
    BENCH_CASES=20000 make bench

Creates (or reuses) the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/casedesk_bench), seeds demo cases up to BENCH_CASES
(bench/seed.py: the demo generator for a base, copies in PostgreSQL for the rest), then
requests each page in-process with Django's test client as
the right role and prints p50/p95 per page with the machine it ran on. Figures are
wall-clock times of the whole request (middleware, queries, template), without network.
"""

from __future__ import annotations

import json
import os
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

from common import databases_ensure, machine  # noqa: E402 - after the environment


def _timed(client, url_for, requests: int, *, before=None) -> dict:
    def check(i, response):
        assert response.status_code == 200, (url_for(i), response.status_code)

    return _timed_calls(lambda i: client.get(url_for(i)), requests, check=check,
                        before=(lambda i: before(client, i)) if before else None)


def _timed_calls(call, requests: int, *, before=None, check=None) -> dict:
    """p50/p95 in ms of ``call(i)`` for i in 0..requests-1, after five warm-up calls;
    ``before(i)`` runs first, untimed, and ``check(i, result)`` after."""
    for i in range(5):  # warm-up
        if before:
            before(i)
        call(i)
    times = []
    for i in range(requests):
        if before:
            before(i)
        started = time.perf_counter()
        result = call(i)
        times.append((time.perf_counter() - started) * 1000)
        if check is not None:
            check(i, result)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "requests": requests}


def run(requests: int = REQUESTS) -> dict:
    """p50/p95 of each page, in-process, as the right role. Needs django.setup() and a
    loaded database (bench/seed.py)."""
    from django.test import Client

    from casedesk.accounts.models import User
    from casedesk.cases.models import Case
    from casedesk.core.secrets import access_code_hash

    numbers = list(Case.objects.filter(office__code="MSK").order_by("?")
                   .values_list("number", flat=True)[:requests])
    # Access codes for the public status page (the bench's own, set directly).
    code = "ACDE-FGHJ-KMNP"
    Case.objects.filter(number__in=numbers).update(access_code_hash=access_code_hash(code))
    words = ["госпиталь", "контракт", "выплата", "отпуск", "hospital", "payment", "ВВК",
             "рапорт", "MSK-2026-00", "СОЧ"]
    categories = ["medical_discharge", "demobilization_term", "insurance_payment"]
    months = [("2025-01", "2025-12"), ("2024-01", "2026-12"), ("", ""), ("2019-01", "2026-12")]

    def dashboard_url(i: int) -> str:
        start, end = months[i % len(months)]
        category = categories[i % 3] if i % 2 else ""
        return f"/ru/staff/stats/?start={start}&end={end}&category={category}"

    # The queue rows show the service member's and the applicants' names, decrypted for
    # staff who read case files (and the read audited once per page): the measured queue
    # pages include them. Checked once, so that a figure never comes from a page without.
    check = Client()
    check.force_login(User.objects.get(username="caseworker"))
    assert 'class="case-names"' in check.get("/ru/staff/?queue=mine").content.decode(), \
        "the caseworker's queue shows no names"

    # Case pages with an answer being drafted (the answer card decrypts the draft and
    # lists the category's paragraphs): drafts made once, through the service, on open
    # cases of the caseworker's office.
    drafted = _answer_drafts(requests)
    assert "answer-text" in check.get(f"/ru/staff/cases/{drafted[0]}/").content.decode(), \
        "the case page shows no answer draft"

    # Person search (issue 18): names and units of the office's own service members, as
    # staff type them (surname; surname and first name in the genitive-free order typed;
    # "в/ч" and the number), read once here.
    from urllib.parse import quote

    from casedesk.core import names as person_names

    members = [c.service_member for c in Case.objects.filter(office__code="MSK")
               .select_related("service_member").order_by("?")[:requests]]
    name_queries = [" ".join(m.full_name.split()[:1 + i % 2]) for i, m in enumerate(members)]
    unit_queries = [f"в/ч {person_names.unit_key(m.unit)}" for m in members if m.unit]
    assert any("search-elsewhere" in check.get("/ru/staff/?queue=mine&q=" + quote(q))
               .content.decode() for q in name_queries[:5]), \
        "no name searched in the caseworker's own cases was found only elsewhere"

    # Urgency (issue 19): about one case in a hundred flagged urgent (made here once, as
    # the task stores them); the queue's marker on every page, and the urgent filter.
    _urgent_flags()

    pages = {
        "queue with names (caseworker, mine)":
            ("caseworker", lambda i: f"/ru/staff/?queue=mine&page={1 + i % 3}"),
        "queue (supervisor, open)":
            ("supervisor", lambda i: f"/ru/staff/?queue=open&page={1 + i % 20}"),
        # Every case of the supervisor's two offices (selectors.OfficesInOrder).
        "queue (supervisor, all)":
            ("supervisor", lambda i: f"/ru/staff/?queue=all&page={1 + i % 5}"),
        "queue (overdue, category)":
            ("supervisor", lambda i: f"/ru/staff/?queue=overdue&category={categories[i % 3]}"),
        "case page":
            ("supervisor", lambda i: f"/ru/staff/cases/{numbers[i % len(numbers)]}/"),
        "case page with the answer draft (caseworker)":
            ("caseworker", lambda i: f"/ru/staff/cases/{drafted[i % len(drafted)]}/"),
        "queue (supervisor, open, urgent only)":
            ("supervisor", lambda i: f"/ru/staff/?queue=open&urgent=1&page={1 + i % 5}"),
        "queue (clerk, to register)":
            ("clerk", lambda i: f"/ru/staff/?queue=to_register&page={1 + i % 3}"),
        "supervisor workload": ("supervisor", lambda i: "/ru/staff/supervisor/"),
        "supervisor dashboard": ("supervisor", lambda i: "/ru/staff/stats/"),
        "supervisor dashboard (filters varied)": ("supervisor", dashboard_url),
        "full-text search":
            ("supervisor", lambda i: f"/ru/staff/?queue=all&q={words[i % len(words)]}"),
        # The same words within a narrower queue: the caseworker's own cases.
        "full-text search (caseworker, mine)":
            ("caseworker", lambda i: f"/ru/staff/?queue=mine&q={words[i % len(words)]}"),
        "person search (name)":
            ("supervisor", lambda i: "/ru/staff/?queue=all&q="
                                     + quote(name_queries[i % len(name_queries)])),
        # A name searched in "My cases" that finds it only among all cases: the page
        # counts it there too, to say so (staff.views._search_elsewhere).
        "person search (caseworker, mine: found elsewhere)":
            ("caseworker", lambda i: "/ru/staff/?queue=mine&q="
                                     + quote(name_queries[i % len(name_queries)])),
        "person search (unit)":
            ("supervisor", lambda i: "/ru/staff/?queue=all&q="
                                     + quote(unit_queries[i % len(unit_queries)])),
    }
    results = {}
    for name, (username, url_for) in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        results[name] = _timed(client, url_for, requests)

    # The search alone, as the queue asks it (the page above adds the queue's own ~30 ms:
    # session, counts of every queue, audit entries, rendering): ranked page of 25,
    # count, where each matched, for the supervisor's queue "all".
    results["person search (name), the search alone"] = _search_alone(
        name_queries, requests)
    results["person search (unit), the search alone"] = _search_alone(
        unit_queries, requests)

    def sign_in(client, i):
        response = client.post("/ru/status/", {"case_number": numbers[i % len(numbers)],
                                               "access_code": code})
        assert response.status_code == 302, response.status_code

    results["public status page"] = _timed(Client(), lambda i: "/ru/status/case/", requests,
                                           before=sign_in)

    # The public statistics of this year, anonymous: answered from the cache until the
    # next refresh, and (cache emptied before each request) computed afresh.
    from django.core.cache import cache

    results["public statistics (cached)"] = _timed(Client(), lambda i: "/ru/stats/", requests)
    results["public statistics (uncached)"] = _timed(
        Client(), lambda i: "/ru/stats/", requests, before=lambda client, i: cache.clear())
    return results


def _search_alone(queries: list[str], requests: int) -> dict:
    from django.utils import timezone

    from casedesk.accounts.models import User
    from casedesk.cases import search, selectors

    user = User.objects.get(username="supervisor")
    spec = selectors.QueueFilter(queue="all")
    today = timezone.localdate()

    def once(i):
        query = search.prepared(queries[i % len(queries)])
        cases = selectors.case_queue(actor=user, spec=spec, today=today)
        offices = selectors.case_queue_offices(actor=user, spec=spec)
        page = list(search.case_search_ranked(cases, query, offices=offices)
                    .values_list("pk", flat=True)[:25])
        search.case_search_count(cases, query, offices=offices)
        search.case_search_where(page, query)

    return _timed_calls(once, requests)


def _answer_drafts(count: int) -> list[str]:
    """Numbers of ``count`` open MSK cases in review with a draft answer (made here once,
    through ``answer_draft_save``, where there is none)."""
    from casedesk.accounts.models import User
    from casedesk.cases.models import Case
    from casedesk.letters.answers import answer_draft_save
    from casedesk.letters.models import Answer, AnswerState

    worker = User.objects.get(username="caseworker")
    cases = list(Case.objects.filter(office__code="MSK", state="in_review")
                 .order_by("-received_at")[:count])
    have = set(Answer.objects.filter(case__in=cases).exclude(state=AnswerState.SIGNED)
               .values_list("case_id", flat=True))
    for case in cases:
        if case.pk not in have:
            answer_draft_save(actor=worker, case=case, outcome="explained",
                              text="Уважаемая заявительница! По вашему обращению сообщаем, "
                                   "что направлен запрос в воинскую часть. " * 8)
    return [case.number for case in cases]


def _urgent_flags(share: int = 100) -> int:
    """Flag one case in ``share`` urgent where fewer are (the reasons sealed under each
    case's key, as ``urgency.services.cases_evaluate`` stores them); how many exist."""
    from casedesk.cases.models import Case
    from casedesk.urgency.models import UrgencyFlag

    want = Case.objects.count() // share
    have = UrgencyFlag.objects.count()
    if have >= want:
        return have
    flagged = UrgencyFlag.objects.values("case_id")
    cases = (Case.objects.exclude(pk__in=flagged).select_related("service_member")
             .order_by("?")[:want - have])
    UrgencyFlag.objects.bulk_create(
        [UrgencyFlag(case=case, reasons={"codes": ["threat_to_life"]},
                     rulebook_version=case.rulebook_version) for case in cases],
        batch_size=1000)
    return want


def database_info() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
        sizes = {}
        for alias in ("default", "keys"):
            from django.db import connections

            with connections[alias].cursor() as c:
                c.execute("SELECT pg_database_size(current_database())")
                sizes[alias] = c.fetchone()[0]
    return {"database": pg_version, "db_bytes": sizes["default"],
            "db_size": f"{sizes['default'] / 1024**2:.0f} MB",
            "keystore_bytes": sizes["keys"]}


def setup() -> None:
    """Create and migrate the benchmark databases, then set Django up."""
    databases_ensure(DB_URL)
    os.environ.setdefault("CASEDESK_RATE_STATUS", "1000000/m")
    os.environ.setdefault("CASEDESK_RATE_SUBMIT", "1000000/m")
    os.environ.setdefault("CASEDESK_RATE_STATS", "1000000/m")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database="keys")


def main() -> None:
    setup()
    sys.path.insert(0, str(ROOT / "bench"))
    import seed

    loaded = seed.load(CASES)
    results = run(REQUESTS)
    info = {"cases": loaded["cases"], **database_info(), **machine(),
            "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(info, ensure_ascii=False))
    print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in results.items():
        print(f"{name:<40} {r['p50_ms']:>8} {r['p95_ms']:>8}")
    out = ROOT / "bench" / "pages-latest.json"
    out.write_text(json.dumps({"machine": info, "load": loaded, "pages": results},
                              ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
