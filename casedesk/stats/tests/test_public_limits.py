"""The public statistics as an attacker sees them (issue 15, findings 6 and 7): nobody
without a login can work out a hidden small count by subtracting one answer from another
or from the totals, nor make the server compute two thousand years, nor fail it with a
year it cannot count to, nor ask faster than the rate; a repeated question is answered
from the cache until the next refresh."""

from __future__ import annotations

import itertools
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.intake.services import PersonData
from casedesk.stats.selectors import SMALL
from casedesk.testing import at

AWOL, INSURANCE = "record_error_awol", "insurance_payment"


def path(name: str, *args, language: str = "en", query: str = "") -> str:
    with translation.override(language):
        return reverse(name, args=args) + (f"?{query}" if query else "")


@pytest.fixture
def cases(register, office, other_office, make_user):
    """Two offices, three regions, two categories, January to March 2025, registered
    through the intake service. Tver has 6 appeals about AWOL records in January, 2 in
    March and 1 about insurance in February: small counts that must stay hidden."""
    spb_clerk = make_user(Role.INTAKE_CLERK, other_office)
    plan = [  # office, day, category, region, how many
        (office, "2025-01-13", AWOL, "RU-TVE", 6),
        (office, "2025-01-20", AWOL, "RU-KDA", 5),
        (office, "2025-02-10", INSURANCE, "RU-TVE", 1),
        (office, "2025-03-03", AWOL, "RU-TVE", 2),
        (other_office, "2025-02-05", INSURANCE, "RU-MOW", 7),
        (other_office, "2025-03-11", AWOL, "RU-MOW", 6),
    ]
    made = []
    for where, day, category, region, count in plan:
        extra = {"office": where, "actor": spb_clerk} if where == other_office else {}
        for i in range(count):
            made.append(register(
                at=at(day, 9 + i), category=category,
                service_member=PersonData(full_name=f"Петров {len(made)}",
                                          service_type="contract", region_code=region),
                **extra))
    call_command("stats_refresh", verbosity=0)
    return made


def cells(answer: dict) -> dict[tuple, object]:
    """Every count of an open-data answer: (table, row label, column index) -> value."""
    return {(table["key"], row[0], i): row[i]
            for table in answer["tables"] for row in table["rows"] for i in (1, 2)}


def months(answer: dict) -> set[str]:
    return {row[0] for table in answer["tables"] if table["key"] == "by_month"
            for row in table["rows"]}


def recoverable(answer: dict) -> list[tuple]:
    """The hidden cells of ``answer`` whose value the totals pin down: for each count
    column, the total is known from any table that shows all its cells; then each "<5"
    must have at least two values consistent with it and the cells shown ("<5" is 1-4,
    "…" at least SMALL)."""
    found = []
    for i in (1, 2):
        columns = {t["key"]: [row[i] for row in t["rows"]] for t in answer["tables"]}
        totals = {sum(values) for values in columns.values()
                  if all(isinstance(v, int) for v in values)}
        assert len(totals) <= 1, totals  # the tables agree on the total
        for key, values in columns.items():
            hidden = [v for v in values if not isinstance(v, int)]
            if not totals or not hidden:
                continue
            rest = next(iter(totals)) - sum(v for v in values if isinstance(v, int))
            ranges = [range(1, SMALL) if v == "<5" else range(SMALL, rest + 1) for v in hidden]
            for j, value in enumerate(hidden):
                if value != "<5":
                    continue
                possible = {combo[j] for combo in itertools.product(*ranges)
                            if sum(combo) == rest}
                if len(possible) < 2:
                    found.append((key, i, possible))
    return found


ATTEMPTS = [
    "", "year=2025", "year=2026",
    # Overlapping periods: January-March minus January-February is March.
    "start=2025-01&end=2025-03", "start=2025-01&end=2025-02", "start=2025-02&end=2025-03",
    "start=2025-03&end=2025-03", "start=2025-01", "end=2025-02",
    # All categories minus one category is the other.
    f"category={AWOL}", f"category={INSURANCE}", f"start=2025-01&end=2025-03&category={AWOL}",
]


def test_no_hidden_count_can_be_worked_out_from_overlapping_answers_or_totals(client, cases):
    answers = {}
    for query in ATTEMPTS:
        response = client.get(path("stats:open_data_json", query=query))
        assert response.status_code in (200, 400), (query, response.status_code)
        if response.status_code == 200:
            answers[query] = json.loads(response.content)
    assert answers[""]["tables"]  # the figures are published

    # One answer minus another that covers some of the same months: the difference of
    # two counts shown is a count of the months (or categories) between, never checked.
    derived = []
    for (q1, a1), (q2, a2) in itertools.combinations(answers.items(), 2):
        if not months(a1) & months(a2):
            continue  # different years: nothing in common to subtract
        c1, c2 = cells(a1), cells(a2)
        for cell in c1.keys() & c2.keys():
            if isinstance(c1[cell], int) and isinstance(c2[cell], int) \
                    and 0 < abs(c1[cell] - c2[cell]) < SMALL:
                derived.append((q1, q2, cell, abs(c1[cell] - c2[cell])))
    assert derived == []

    # Within one answer: the total (from a table with every cell shown) minus the cells
    # shown of another table leaves the hidden ones, which must not be told apart.
    for query, answer in answers.items():
        assert recoverable(answer) == [], query
        for value in cells(answer).values():
            assert value in ("<5", "…", 0) or (isinstance(value, int) and value >= SMALL)


@pytest.mark.parametrize("language,words", [
    ("ru", "Данные за 9999 не публикуются: выберите год с 2025 по"),
    ("en", "There are no published figures for 9999: choose a year from 2025 to")])
def test_a_year_past_the_data_is_a_400_in_the_askers_language(client, cases, language, words):
    for name in ("stats:public", "stats:open_data_json", "stats:open_data_csv"):
        response = client.get(path(name, language=language, query="end=9999-12"))
        assert response.status_code == 400, name
        assert words in response.content.decode(), name
        assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    answer = json.loads(client.get(path("stats:open_data_json", language=language,
                                        query="year=9999")).content)
    assert answer["error"] == "invalid_filter" and "2025" in answer["message"]


def test_the_dashboard_refuses_the_year_9999_as_a_form_error(client, cases, staff):
    client.force_login(staff[Role.SUPERVISOR])
    response = client.get(path("stats:dashboard", query="end=9999-12"))
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_a_period_of_two_thousand_years_is_cut_to_the_data(client, cases, staff):
    response = client.get(path("stats:open_data_json", query="start=0026-01&end=2026-12"))
    assert response.status_code == 200
    by_month = json.loads(response.content)["tables"][0]
    assert by_month["key"] == "by_month"
    assert len(by_month["rows"]) == 12  # one calendar year, 2026
    # The dashboard keeps the period asked for, cut to the years with figures (2025 and
    # 2026 here) and never to more than ten years.
    client.force_login(staff[Role.SUPERVISOR])
    rows = client.get(path("stats:staff_csv", "received_by_month",
                           query="start=1900-01&end=2026-12")).content.decode().splitlines()
    assert len(rows) - 1 == 24  # 2025 and 2026, not 127 years
    page = client.get(path("stats:dashboard", query="start=0001-01&end=0001-12"))
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()


def test_anonymous_askers_are_rate_limited(client, cases, staff, settings, monkeypatch):
    settings.CASEDESK_RATE_STATS = "3/m"
    # django-ratelimit counts in fixed windows: on a slow machine four requests could
    # straddle the end of a minute and start a new count. Hold its clock still.
    import django_ratelimit.core

    frozen = django_ratelimit.core.time.time()
    monkeypatch.setattr(django_ratelimit.core, "time",
                        type("Clock", (), {"time": staticmethod(lambda: frozen)}))
    for _ in range(3):
        assert client.get(path("stats:public", language="ru")).status_code == 200
    refused = client.get(path("stats:public", language="ru"))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Слишком много запросов" in refused.content.decode()
    assert "max-age=300" not in refused["Cache-Control"]  # no proxy keeps the refusal
    answer = client.get(path("stats:open_data_json"))
    assert answer.status_code == 429 and json.loads(answer.content)["error"] == "rate_limited"
    # Staff signed in are not counted.
    client.force_login(staff[Role.SUPERVISOR])
    assert client.get(path("stats:public")).status_code == 200


def test_a_repeated_question_is_answered_from_the_cache_until_the_next_refresh(
        client, cases, register):
    with CaptureQueriesContext(connection) as page:
        assert client.get(path("stats:public", query="year=2025")).status_code == 200
    with CaptureQueriesContext(connection) as page_again:
        assert client.get(path("stats:public", query="year=2025")).status_code == 200
    assert len(page) > 6
    assert len(page_again) <= 4  # the refresh stamp (twice), the active offices, its time
    url = path("stats:open_data_json", query="year=2025")
    with CaptureQueriesContext(connection) as first:
        answer = client.get(url).content
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).content == answer
    assert len(again) < len(first)
    assert len(again) <= 2  # the refresh stamp, for the years, then for the file

    # A refresh makes every cached answer stale: five more appeals in Tver in March.
    for i in range(5):
        register(at=at("2025-03-20", 9 + i), service_member=PersonData(
            full_name=f"Сидоров {i}", service_type="contract", region_code="RU-TVE"))
    assert client.get(url).content == answer  # not refreshed yet
    call_command("stats_refresh", verbosity=0)
    assert client.get(url).content != answer


def test_the_order_of_the_rows_gives_no_hidden_count_away(client, register):
    """Tver 9, Moscow 2, Krasnodar 1: the two "<5" make 3 (the monthly table shows the
    12), so 1 + 2 or 2 + 1. Ordered by their counts, Moscow above Krasnodar would say
    which; the hidden rows come by their names instead."""
    for region, count in (("RU-TVE", 9), ("RU-MOW", 2), ("RU-KDA", 1)):
        for i in range(count):
            register(at=at("2025-03-03", 9 + i), service_member=PersonData(
                full_name=f"Смирнов {i}", service_type="contract", region_code=region))
    call_command("stats_refresh", verbosity=0)
    for language, names in (("en", ["Krasnodarskiy", "Moscow"]),
                            ("ru", ["г Москва", "Краснодарский край"])):
        answer = json.loads(client.get(path("stats:open_data_json", language=language,
                                            query="year=2025")).content)
        regions = next(t for t in answer["tables"] if t["key"] == "by_region")
        assert [row[:2] for row in regions["rows"]][1:] == [[names[0], "<5"], [names[1], "<5"]]
        assert regions["rows"][0][1] == 9
