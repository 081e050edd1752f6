"""The rollups that keep the dashboard fast on large data: the histogram of days to answer
by year (read for the whole years of a period, the other months from the monthly one),
and the tidying of the tables after a refresh.

The answers (office MSK, registered the day they arrived by letter; A = record_error_awol,
B = insurance_payment), days from registration to the answer:

- d1  reg 2024-11-04, A: answer 2024-11-14 (10 d)
- d2  reg 2024-12-02, B: answer 2024-12-05 (3 d)
- d3  reg 2025-01-13, A: answer 2025-02-12 (30 d)
- d4  reg 2025-12-01, A: answer 2026-01-13 (43 d)
- d5  reg 2026-02-02, B: answer 2026-02-09 (7 d)
- s1  office SPB, reg 2025-06-02, A: answer 2025-06-04 (2 d)

The figures are computed as of 2026-03-31.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases.services import case_transition
from casedesk.stats import selectors
from casedesk.stats.models import AnswerTimeRollup, AnswerTimeYear
from casedesk.stats.refresh import stats_refresh
from casedesk.stats.selectors import StatsFilter, answer_times, staff_figures
from casedesk.testing import at

AWOL, INSURANCE = "record_error_awol", "insurance_payment"
AS_OF = at("2026-03-31", 20)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def answers(register, staff, other_office, make_user):
    worker = staff[Role.CASEWORKER]
    for registered, category, answered in (("2024-11-04", AWOL, "2024-11-14"),
                                           ("2024-12-02", INSURANCE, "2024-12-05"),
                                           ("2025-01-13", AWOL, "2025-02-12"),
                                           ("2025-12-01", AWOL, "2026-01-13"),
                                           ("2026-02-02", INSURANCE, "2026-02-09")):
        case = register(at=at(registered, 10), category=category)
        case_transition(actor=worker, case=case, transition="start_review",
                        at=at(registered, 15))
        case_transition(actor=worker, case=case, transition="answer", outcome="upheld", answer=1,
                        at=at(answered))
    spb_clerk = make_user(Role.INTAKE_CLERK, other_office)
    spb_worker = make_user(Role.CASEWORKER, other_office)
    s1 = register(at=at("2025-06-02", 10), office=other_office, actor=spb_clerk,
                  category=AWOL)
    case_transition(actor=spb_worker, case=s1, transition="start_review",
                    at=at("2025-06-02", 15))
    case_transition(actor=spb_worker, case=s1, transition="answer", outcome="upheld", answer=1,
                    at=at("2025-06-04"))
    stats_refresh(now=AS_OF)


def test_the_yearly_histogram_sums_the_months(answers, office, other_office):
    msk, spb = office.pk, other_office.pk
    assert sorted(AnswerTimeRollup.objects.values_list("month", "office_id", "category",
                                                       "days", "answers")) == sorted([
        (dt.date(2024, 11, 1), msk, AWOL, 10, 1),
        (dt.date(2024, 12, 1), msk, INSURANCE, 3, 1),
        (dt.date(2025, 2, 1), msk, AWOL, 30, 1),
        (dt.date(2025, 6, 1), spb, AWOL, 2, 1),
        (dt.date(2026, 1, 1), msk, AWOL, 43, 1),
        (dt.date(2026, 2, 1), msk, INSURANCE, 7, 1),
    ])
    assert sorted(AnswerTimeYear.objects.values_list("year", "office_id", "category",
                                                     "days", "answers")) == sorted([
        (2024, msk, AWOL, 10, 1),
        (2024, msk, INSURANCE, 3, 1),
        (2025, msk, AWOL, 30, 1),
        (2025, spb, AWOL, 2, 1),
        (2026, msk, AWOL, 43, 1),
        (2026, msk, INSURANCE, 7, 1),
    ])


def by_category(actor, spec: StatsFilter) -> dict[str, list]:
    with translation.override("en"):
        tables = {t.key: t for t in staff_figures(actor=actor, spec=spec)}
    return {row[0]: row[1:] for row in tables["answer_time_by_category"].rows}


AWOL_LABEL, INSURANCE_LABEL = "Wrongly recorded as AWOL", "Injury and insurance payments"


@pytest.mark.parametrize("start,end,expected", [
    # December 2024 by month, 2025 by year, January 2026 by month: 3; 30, 43.
    ("2024-12", "2026-01", {AWOL_LABEL: [2, 30, 43], INSURANCE_LABEL: [1, 3, 3],
                            "All categories": [3, 30, 43]}),
    # Whole years only: 10, 30; 3.
    ("2024-01", "2025-12", {AWOL_LABEL: [2, 10, 30], INSURANCE_LABEL: [1, 3, 3],
                            "All categories": [3, 10, 30]}),
    # No whole year: months only.
    ("2024-11", "2024-12", {AWOL_LABEL: [1, 10, 10], INSURANCE_LABEL: [1, 3, 3],
                            "All categories": [2, 3, 10]}),
    ("2025-02", "2026-01", {AWOL_LABEL: [2, 30, 43]}),
    # Open ends: every year up to the last whole one, then months; and the reverse.
    (None, "2025-03", {AWOL_LABEL: [2, 10, 30], INSURANCE_LABEL: [1, 3, 3],
                       "All categories": [3, 10, 30]}),
    ("2025-02", None, {AWOL_LABEL: [2, 30, 43], INSURANCE_LABEL: [1, 7, 7],
                       "All categories": [3, 30, 43]}),
    (None, None, {AWOL_LABEL: [3, 30, 43], INSURANCE_LABEL: [2, 3, 7],
                  "All categories": [5, 10, 43]}),
])
def test_time_to_answer_over_whole_years_and_months(answers, staff, start, end, expected):
    def month(text):
        return dt.date.fromisoformat(f"{text}-01") if text else None

    spec = StatsFilter(start=month(start), end=month(end))
    assert by_category(staff[Role.SUPERVISOR], spec) == expected


def test_a_category_narrows_the_yearly_histogram_too(answers, staff):
    spec = StatsFilter(start=dt.date(2024, 12, 1), end=dt.date(2026, 2, 1), category=INSURANCE)
    assert by_category(staff[Role.SUPERVISOR], spec) == {INSURANCE_LABEL: [2, 3, 7]}


def test_any_period_gives_what_the_months_alone_give(answers, office, other_office):
    """Every period from October 2024 to April 2026 (and open-ended ones), for one office
    and for both: the years and months read give the months' sums."""
    months = selectors.months_between(dt.date(2024, 10, 1), dt.date(2026, 4, 1))
    offices = [office, other_office]
    periods = [(a, b) for a in [None, *months] for b in [*months, None] if not (a and b and a > b)]
    for chosen in (offices, [office]):
        for start, end in periods:
            spec = StatsFilter(start=start, end=end)
            expected = {key: dict(h) for key, h in selectors._histograms(
                AnswerTimeRollup, selectors._scope(spec, chosen), ["office_id", "category"],
            ).items()}
            got = {key: dict(h) for key, h in
                   answer_times(spec, chosen, ["office_id", "category"]).items() if h}
            assert got == expected, (start, end)


def tidied() -> dict[str, tuple[int, int]]:
    """How many times each statistics table was vacuumed and analysed by hand."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT relname, vacuum_count, analyze_count FROM pg_stat_user_tables "
                       "WHERE relname LIKE 'stats_%%'")
        return {name: (vacuums, analyses) for name, vacuums, analyses in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_a_refresh_outside_a_transaction_vacuums_and_analyses_the_tables(answers):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    before = tidied()
    stats_refresh(now=AS_OF)
    after = tidied()
    for table in ("stats_monthlyfigures", "stats_answertimerollup", "stats_answertimeyear",
                  "stats_dailyreceived"):
        assert after[table] == (before[table][0] + 1, before[table][1] + 1), table
    assert after["stats_staging"] == before["stats_staging"]  # truncated, not vacuumed
    assert AnswerTimeYear.objects.count() == 6


def test_a_refresh_inside_a_transaction_leaves_the_tables_to_autovacuum(answers):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    before = tidied()
    stats_refresh(now=AS_OF)  # the test's transaction: VACUUM cannot run in one
    assert tidied() == before
