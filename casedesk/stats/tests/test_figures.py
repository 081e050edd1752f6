"""The figures against numbers counted by hand from a small set of cases built through the
real services, public suppression, office scoping, and the refresh itself.

The cases (office MSK unless said; registered the day they arrived by letter; A =
record_error_awol, B = insurance_payment; the answer deadline is 30 days from
registration, extensions added):

- c1  reg 03-03, A, TVE, mobilized: review 03-05, answer 03-13 (10 d, on time), closed 03-20
- c2  reg 03-10, A, TVE, contract: review 03-11, answer 04-21 (42 d, due 04-09: late)
- c3  reg 03-17, B, MOW, mobilized: review 03-18, extended by 20 d on 03-25, answer 04-30
      (44 d, due 05-06: on time)
- c4  reg 04-07, B, no region, mobilized: review 04-08, answer 04-10 (3 d, on time)
- c5  reg 04-14, A, TVE, mobilized: forwarded 04-15
- c6  reg 04-22, A, MOW, contract: review 04-23, withdrawn 04-24
- c7  reg 05-05, A, TVE, mobilized: review 05-06, still open (overdue)
- c10 reg 05-12, A, TVE, mobilized: commission decides "uphold" 06-10, corrected to
      "partly uphold" 06-20; answer 06-16 (35 d, due 06-11: late)
- c8  web form 12-20, A, TVE, mobilized: not registered yet (open, registration overdue)
- c9  reg 12-15, B, MOW, contract: review 12-16, open, not overdue
- s1  office SPB, reg 03-05, A, TVE, mobilized: answered 03-06 (1 d)

The figures are computed as of 2025-12-31.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition, case_transition_inner, deadline_extend
from casedesk.core.errors import ApplicationError
from casedesk.intake.services import PersonData
from casedesk.review.models import Commission, CommissionMember
from casedesk.review.services import (
    decision_correct,
    decision_sign,
    referral_create,
    session_schedule,
    vote_cast,
)
from casedesk.stats import refresh, selectors
from casedesk.stats.models import MonthlyFigures, MonthlyRollup, Refresh
from casedesk.stats.refresh import stats_refresh
from casedesk.stats.selectors import StatsFilter, public_figures, staff_figures
from casedesk.testing import at

AWOL, INSURANCE = "record_error_awol", "insurance_payment"
AS_OF = at("2025-12-31", 20)
YEAR_2025 = StatsFilter(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
SOLDIER = "Иванов Пётр Сергеевич"
MOTHER = "Иванова Анна Петровна"
APPEAL_TEXT = "Сына записали в СОЧ, хотя он лежит в госпитале."
ADDRESS = "Москва, ул. Примерная, 1"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def member(region: str, service_type: str) -> PersonData:
    return PersonData(full_name=SOLDIER, birth_date=dt.date(1990, 5, 1), unit="12345",
                      service_type=service_type, region_code=region)


@pytest.fixture
def move(staff):
    def do(case, transition: str, day: str, **extra):
        role = Role.SUPERVISOR if transition == "reopen" else Role.CASEWORKER
        if transition == "answer":
            # Counted by the move, not the letter: the answer's id is named, the answer
            # itself is not signed here (letters.tests walk the real path).
            extra.setdefault("answer", 1)
        return case_transition(actor=staff[role], case=case, transition=transition,
                               at=at(day), **extra)

    return do


@pytest.fixture
def commission(office, make_user):
    commission = Commission.objects.create(office=office, name_ru="Комиссия",
                                           name_en="Commission")
    people = [make_user(Role.COMMISSION_MEMBER, office, username=f"member{i}")
              for i in range(3)]
    for i, user in enumerate(people):
        CommissionMember.objects.create(commission=commission, user=user, is_chair=i == 0)
    commission.people = people
    return commission


@pytest.fixture
def cases(register, move, staff, office, other_office, make_user, commission):
    made = {}

    def new(name, day, category, region, service_type, **kwargs):
        made[name] = register(at=at(day, 10), category=category,
                              service_member=member(region, service_type), **kwargs)
        return made[name]

    c1 = new("c1", "2025-03-03", AWOL, "RU-TVE", "mobilized")
    move(c1, "start_review", "2025-03-05")
    move(c1, "answer", "2025-03-13", outcome="upheld")
    move(c1, "close", "2025-03-20")
    c2 = new("c2", "2025-03-10", AWOL, "RU-TVE", "contract")
    move(c2, "start_review", "2025-03-11")
    move(c2, "answer", "2025-04-21", outcome="rejected")
    c3 = new("c3", "2025-03-17", INSURANCE, "RU-MOW", "mobilized")
    move(c3, "start_review", "2025-03-18")
    deadline_extend(actor=staff[Role.SUPERVISOR], case=c3, days=20,
                    reason="Запрошены документы из части.", at=at("2025-03-25"))
    move(c3, "answer", "2025-04-30", outcome="rejected")
    c4 = new("c4", "2025-04-07", INSURANCE, "", "mobilized")
    move(c4, "start_review", "2025-04-08")
    move(c4, "answer", "2025-04-10", outcome="explained")
    c5 = new("c5", "2025-04-14", AWOL, "RU-TVE", "mobilized")
    move(c5, "forward", "2025-04-15", forwarded_to="Военная прокуратура")
    c6 = new("c6", "2025-04-22", AWOL, "RU-MOW", "contract")
    move(c6, "start_review", "2025-04-23")
    move(c6, "withdraw", "2025-04-24", reason="Заявитель отозвал обращение.")
    c7 = new("c7", "2025-05-05", AWOL, "RU-TVE", "mobilized")
    move(c7, "start_review", "2025-05-06")
    c10 = new("c10", "2025-05-12", AWOL, "RU-TVE", "mobilized")
    move(c10, "start_review", "2025-05-13")
    referral = referral_create(actor=staff[Role.CASEWORKER], case=c10, commission=commission,
                               summary="Записан в СОЧ, находясь в госпитале.",
                               question="Рекомендовать исправить запись?",
                               at=at("2025-05-20"))
    chair, *others = commission.people
    session = session_schedule(actor=chair, commission=commission,
                               starts_at=at("2025-06-10", 9), at=at("2025-05-21"))
    item = session.items.get(referral=referral)
    for person in commission.people:
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено документами.",
                  at=at("2025-06-10"))
    decision = decision_sign(actor=chair, item=item, outcome="uphold",
                             reasoning="Запись ошибочна.", at=at("2025-06-10"))
    decision_correct(actor=chair, decision=decision, outcome="partly_uphold",
                     reasoning="Запись ошибочна частично.", at=at("2025-06-20"))
    move(c10, "answer", "2025-06-16", outcome="upheld")
    new("c8", "2025-12-20", AWOL, "RU-TVE", "mobilized", channel="web")
    c9 = new("c9", "2025-12-15", INSURANCE, "RU-MOW", "contract")
    move(c9, "start_review", "2025-12-16")
    # Another office: never counted for MSK.
    spb_clerk = make_user(Role.INTAKE_CLERK, other_office)
    spb_worker = make_user(Role.CASEWORKER, other_office)
    s1 = register(at=at("2025-03-05", 10), office=other_office, actor=spb_clerk,
                  category=AWOL, service_member=member("RU-TVE", "mobilized"))
    case_transition(actor=spb_worker, case=s1, transition="start_review", at=at("2025-03-06"))
    case_transition(actor=spb_worker, case=s1, transition="answer", outcome="upheld", answer=1,
                    at=at("2025-03-06"))
    stats_refresh(now=AS_OF)
    return made


def tables_of(actor, spec=YEAR_2025, language="en") -> dict[str, selectors.Table]:
    with translation.override(language):
        return {t.key: t for t in staff_figures(actor=actor, spec=spec)}


def rows(table) -> dict:
    return {row[0]: row[1:] for row in table.rows}


STAFF_KEYS = ["received_by_week", "received_by_month", "open_by_state", "open_by_category",
              "backlog_age", "answer_time_by_category", "answer_time_by_office", "on_time",
              "extensions_by_month", "decisions_by_outcome", "by_region", "by_service_type"]


@pytest.mark.smoke
def test_staff_figures_match_the_hand_count(cases, staff):
    tables = tables_of(staff[Role.SUPERVISOR])
    assert list(tables) == STAFF_KEYS

    by_month = rows(tables["received_by_month"])
    assert tables["received_by_month"].columns == ["Month", "Received", "Registered",
                                                   "Answered", "Closed"]
    assert len(by_month) == 12
    assert by_month["March 2025"] == [3, 3, 1, 1]
    assert by_month["April 2025"] == [3, 3, 3, 0]
    assert by_month["May 2025"] == [2, 2, 0, 0]
    assert by_month["June 2025"] == [0, 0, 1, 0]
    assert by_month["December 2025"] == [2, 1, 0, 0]
    assert by_month["January 2025"] == [0, 0, 0, 0]

    weeks = tables["received_by_week"].rows
    assert len(weeks) == 26
    # English dates are unambiguous (casedesk/formats/en/formats.py), never 07/07/2025.
    assert weeks[0][0] == "7 Jul 2025" and weeks[-1][0] == "29 Dec 2025"
    assert {w: n for w, n in weeks if n} == {"15 Dec 2025": 2}  # c9 on Monday, c8 Saturday

    assert rows(tables["open_by_state"]) == {"received": [1, 1], "under review": [2, 1]}
    assert tables["open_by_category"].rows == [["Wrongly recorded as AWOL", 2, 2],
                                               ["Injury and insurance payments", 1, 0]]
    assert rows(tables["backlog_age"]) == {"0–30 days": [2, 1], "31–60 days": [0, 0],
                                           "61–90 days": [0, 0], "more than 90 days": [1, 1]}

    by_category = tables["answer_time_by_category"].rows
    # A: 10, 35, 42 days; B: 3, 44 days; all: 3, 10, 35, 42, 44 (nearest rank).
    assert [r[1:] for r in by_category] == [[3, 35, 42], [2, 3, 44], [5, 35, 44]]
    assert [r[0] for r in by_category] == ["Wrongly recorded as AWOL",
                                           "Injury and insurance payments", "All categories"]
    assert tables["answer_time_by_office"].rows == [["Moscow", 5, 35, 44]]

    assert tables["on_time"].rows == [["Moscow", 3, 2, 60.0, 2]]
    extensions = rows(tables["extensions_by_month"])
    assert extensions["March 2025"] == [1, 1]
    assert sum(r[0] for r in extensions.values()) == 1

    assert tables["decisions_by_outcome"].rows == [["partly upheld", 1]]

    assert tables["by_region"].rows == [
        ["Tver Oblast", 6, 3, 33.3],
        ["Moscow", 3, 1, 100.0],
        ["not stated", 1, 1, 100.0],
    ]
    assert tables["by_service_type"].rows == [
        ["mobilized", 7, 4, 75.0],
        ["contract soldier", 3, 1, 0.0],
    ]


def test_labels_follow_the_language(cases, staff):
    tables = tables_of(staff[Role.SUPERVISOR], language="ru")
    assert tables["answer_time_by_office"].rows == [["Москва", 5, 35, 44]]
    assert tables["by_region"].rows[0][0] == "Тверская обл"
    assert [r[0] for r in tables["open_by_state"].rows] == ["поступило", "на рассмотрении"]
    assert tables["open_by_category"].rows[0][0] == "Ошибочная запись о СОЧ"
    assert tables["by_service_type"].rows[0][0] == "мобилизованный"


def test_period_and_category_filters(cases, staff):
    april = StatsFilter(start=dt.date(2025, 4, 15), end=dt.date(2025, 4, 1))
    tables = tables_of(staff[Role.SUPERVISOR], spec=april)
    assert tables["received_by_month"].rows == [["April 2025", 3, 3, 3, 0]]
    assert tables["on_time"].rows == [["Moscow", 2, 1, 66.7, 2]]
    insurance = StatsFilter(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 1),
                            category=INSURANCE)
    tables = tables_of(staff[Role.SUPERVISOR], spec=insurance)
    assert sum(r[1] for r in tables["received_by_month"].rows) == 3  # c3, c4, c9
    assert tables["answer_time_by_office"].rows == [["Moscow", 2, 3, 44]]
    assert rows(tables["open_by_state"]) == {"under review": [1, 0]}
    assert tables["by_region"].rows == [["Moscow", 2, 1, 100.0], ["not stated", 1, 1, 100.0]]
    assert tables["by_service_type"].rows == [["mobilized", 2, 2, 100.0],
                                              ["contract soldier", 1, 0, None]]


def test_an_open_ended_period_runs_from_the_first_figures_to_this_month(cases, staff):
    tables = tables_of(staff[Role.SUPERVISOR], spec=StatsFilter())
    months = tables["received_by_month"].rows
    this_month = timezone.localdate().replace(day=1)
    expected = (this_month.year - 2025) * 12 + this_month.month - 3 + 1  # March 2025 on
    assert len(months) == expected and months[0][0] == "March 2025"
    assert sum(r[1] for r in months) == 10
    since_may = tables_of(staff[Role.SUPERVISOR], spec=StatsFilter(start=dt.date(2025, 5, 9)))
    assert since_may["received_by_month"].rows[0][:2] == ["May 2025", 2]
    until_april = tables_of(staff[Role.SUPERVISOR], spec=StatsFilter(end=dt.date(2025, 4, 9)))
    assert [r[:2] for r in until_april["received_by_month"].rows] == [["March 2025", 3],
                                                                      ["April 2025", 3]]


def test_figures_are_computed_once_per_refresh(cases, staff, django_assert_max_num_queries):
    first = tables_of(staff[Role.SUPERVISOR])
    with django_assert_max_num_queries(3):  # who may see what, and which refresh
        assert tables_of(staff[Role.SUPERVISOR]) == first
    Case.objects.filter(pk=cases["c9"].pk).update(category=AWOL)
    assert tables_of(staff[Role.SUPERVISOR]) == first  # the same refresh: the same figures
    stats_refresh(now=AS_OF)
    assert tables_of(staff[Role.SUPERVISOR]) != first


def test_office_scoping(cases, staff, other_office, make_user):
    msk = tables_of(staff[Role.SUPERVISOR])
    assert sum(r[1] for r in msk["received_by_month"].rows) == 10  # not SPB's case
    assert msk["on_time"].rows[0][0] == "Moscow"

    # Asking for another office's figures gives nothing, not that office's figures.
    spb_only = StatsFilter(start=YEAR_2025.start, end=YEAR_2025.end,
                           office_ids=(other_office.pk,))
    empty = tables_of(staff[Role.SUPERVISOR], spec=spb_only)
    assert sum(r[1] for r in empty["received_by_month"].rows) == 0
    assert empty["on_time"].rows == []

    spb_supervisor = make_user(Role.SUPERVISOR, other_office)
    spb = tables_of(spb_supervisor)
    assert sum(r[1] for r in spb["received_by_month"].rows) == 1
    assert spb["answer_time_by_office"].rows == [["St Petersburg", 1, 1, 1]]

    admin = tables_of(staff[Role.ADMINISTRATOR])  # administrators: every office
    assert sum(r[1] for r in admin["received_by_month"].rows) == 11
    assert [r[0] for r in admin["on_time"].rows] == ["Moscow", "St Petersburg", "All offices"]
    assert [o.code for o in selectors.staff_offices(staff[Role.ADMINISTRATOR])] == ["MSK",
                                                                                    "SPB"]
    assert [o.code for o in selectors.staff_offices(staff[Role.ANALYST])] == ["MSK"]


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.INTAKE_CLERK,
                                  Role.COMMISSION_MEMBER])
def test_other_roles_are_refused(staff, role):
    with pytest.raises(ApplicationError) as refused:
        staff_figures(actor=staff[role], spec=StatsFilter())
    assert refused.value.code == "forbidden"
    assert selectors.staff_offices(staff[role]) == []


def test_an_inactive_supervisor_is_refused(staff):
    supervisor = staff[Role.SUPERVISOR]
    supervisor.is_active = False
    with pytest.raises(ApplicationError):
        staff_figures(actor=supervisor, spec=StatsFilter())


# --- the refresh -----------------------------------------------------------------------------


def contents() -> dict:
    from django.apps import apps

    out = {}
    for model in apps.get_app_config("stats").get_models():
        if model.__name__ in ("Refresh", "RefreshState"):
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        out[model.__name__] = sorted(tuple(str(v) for v in row)
                                     for row in model.objects.values_list(*fields))
    return out


def test_refresh_is_idempotent_and_logged(cases):
    first = contents()
    assert first["MonthlyFigures"] and first["AnswerTime"] and first["DecisionFigures"]
    stats_refresh(now=AS_OF)
    assert contents() == first
    assert Refresh.objects.count() == 2
    assert selectors.refreshed_at() == Refresh.objects.latest("finished_at").finished_at


def test_a_failed_refresh_leaves_the_previous_figures(cases, monkeypatch):
    before = contents()
    c7 = Case.objects.get(pk=cases["c7"].pk)
    Case.objects.filter(pk=c7.pk).update(category=INSURANCE)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # The open cases are written after the cube, the histograms and their rollups.
    monkeypatch.setattr(refresh, "_open_cases", broken)
    with pytest.raises(RuntimeError):
        stats_refresh(now=AS_OF)
    assert contents() == before  # the tables deleted and written before it are back


def test_the_scratch_table_is_empty_after_a_refresh(cases):
    from casedesk.stats.models import Staging

    assert not Staging.objects.exists()


def test_cube_sums_match_the_rollup(cases):
    from django.db.models import Sum

    fields = ["received", "registered", "answered", "answered_on_time", "answered_late",
              "extended", "closed", "forwarded", "left_unanswered", "withdrawn", "appeals"]
    fine = MonthlyFigures.objects.aggregate(**{f: Sum(f) for f in fields})
    coarse = MonthlyRollup.objects.aggregate(**{f: Sum(f) for f in fields})
    assert fine == coarse
    assert fine["received"] == 11 and fine["answered"] == 6 and fine["forwarded"] == 1


def test_a_reopened_case_answered_again_counts_from_the_reopening(register, move):
    case = register(at=at("2025-03-03", 10), service_member=member("RU-TVE", "mobilized"))
    move(case, "start_review", "2025-03-04")
    move(case, "answer", "2025-03-10", outcome="upheld")
    move(case, "reopen", "2025-05-05", reason="Новые документы.")
    move(case, "answer", "2025-05-12", outcome="explained")
    stats_refresh(now=AS_OF)
    histogram = dict(MonthlyRollup.objects.values_list("month", "answered"))
    assert histogram == {dt.date(2025, 3, 1): 1, dt.date(2025, 5, 1): 1}
    from casedesk.stats.models import AnswerTimeRollup

    assert sorted(AnswerTimeRollup.objects.values_list("days", flat=True)) == [7, 7]


# --- public figures --------------------------------------------------------------------------


def test_public_figures_hide_small_counts_and_nothing_personal(cases):
    with translation.override("en"):
        tables = public_figures(year=2025)
    assert [t.key for t in tables] == ["by_month", "by_category", "by_region"]
    for table in tables:
        assert table.columns[1:] == ["Received", "Answered", "Answered on time, %",
                                     "Median days to answer"]
        for row in table.rows:
            for cell in row[1:3]:
                assert cell in ("<5", "…", 0) or cell >= 5
            assert row[3] is None and row[4] is None  # no share or median from < 5
    months = {r[0]: r[1:] for r in tables[0].rows}
    assert months["March 2025"][:2] == ["<5", "<5"]  # 3 received, 1 answered
    assert months["January 2025"][:2] == [0, 0]

    output = json.dumps(selectors.tables_json(tables, licence="CC BY 4.0"),
                        ensure_ascii=False)
    output += "".join(selectors.table_csv(t) for t in tables)
    for personal in (SOLDIER, MOTHER, APPEAL_TEXT, ADDRESS, "12345", cases["c1"].number,
                     "Военная прокуратура", "Запись ошибочна"):
        assert personal not in output


def test_public_figures_publish_counts_of_five_or_more(register, office):
    """15 cases in one month: Tver 7, Moscow 6, Krasnodar 2. Krasnodar is "<5", and
    Moscow, the next smallest, is hidden too: otherwise 15 - 7 - 6 would give Krasnodar's
    2 (the monthly table publishes the 15)."""
    for region, count in (("RU-TVE", 7), ("RU-MOW", 6), ("RU-KDA", 2)):
        for i in range(count):
            register(at=at("2025-03-03", 9) + dt.timedelta(minutes=i),
                     service_member=member(region, "contract"))
    stats_refresh(now=AS_OF)
    with translation.override("en"):
        by_month, by_category, by_region = public_figures(year=2025)
    assert by_month.rows[2] == ["March 2025", 15, 0, None, None]
    assert {tuple(row[1:]) for row in by_month.rows[:2] + by_month.rows[3:]} == {
        (0, 0, None, None)}
    assert by_category.rows == [["Wrongly recorded as AWOL", 15, 0, None, None]]
    assert by_region.rows == [["Tver Oblast", 7, 0, None, None],
                              ["Moscow", "…", 0, None, None],
                              ["Krasnodarskiy", "<5", 0, None, None]]


def test_public_figures_only_for_active_offices(cases, office):
    office.is_active = False
    office.save()
    with translation.override("en"):
        tables = public_figures(year=2025)
    # Only SPB's case is left: one in March, answered in March. One "<5" alone in every
    # table cannot be protected by other cells: the column is hidden everywhere, and
    # nothing shows the total.
    months = {r[0]: r[1:3] for r in tables[0].rows}
    assert months.pop("March 2025") == ["<5", "<5"]
    assert len(months) == 11 and set(map(tuple, months.values())) == {(0, 0)}
    assert tables[1].rows == [["Wrongly recorded as AWOL", "<5", "<5", None, None]]
    assert tables[2].rows == [["Tver Oblast", "<5", "<5", None, None]]


@pytest.mark.parametrize("values,published", [
    ([], []),
    ([12, 9, 30], [12, 9, 30]),
    ([12, 3, 30], ["…", "<5", 30]),  # the smallest shown (12) is hidden too
    ([7, 6, 2], [7, "…", "<5"]),
    ([20, 1, 1], ["…", "<5", "<5"]),  # 2 in two cells of 1-4 can only be 1+1
    ([20, 2, 3], [20, "<5", "<5"]),  # 5 in two cells: 1+4, 2+3, 3+2 or 4+1
    ([20, 4, 4], ["…", "<5", "<5"]),  # 8 in two cells of 1-4: only 4+4
    ([0, 15], [0, 15]),  # zero is about nobody
    ([6, 1, 0, 9], ["…", "<5", 0, 9]),  # 7 in "<5" + "…": 1+6 or 2+5
    ([3], None),  # one small cell that is the total: nothing can protect it
    ([1, 1], None),
])
def test_complementary_suppression(values, published):
    assert selectors.suppress_column(values) == published


def test_no_hidden_cell_can_be_worked_out_from_the_total():
    """Brute force: for every column of up to four cells of 0-12, each cell shown as
    "<5" has at least two values consistent with the total and the other cells."""
    import itertools

    for size in (1, 2, 3, 4):
        for values in itertools.product(range(0, 13, 1), repeat=size):
            published = selectors.suppress_column(list(values))
            if published is None:
                continue
            total = sum(values)
            shown = sum(v for v in published if isinstance(v, int))
            hidden = [i for i, v in enumerate(published) if not isinstance(v, int)]
            for i in hidden:
                if published[i] != "<5":
                    continue
                possible = set()
                ranges = [range(1, 5) if published[j] == "<5" else range(5, total + 1)
                          for j in hidden]
                for combo in itertools.product(*ranges):
                    if sum(combo) == total - shown:
                        possible.add(combo[hidden.index(i)])
                assert len(possible) >= 2, (values, published)


def test_publish_hides_a_column_everywhere_when_one_breakdown_cannot_be_protected():
    months = [{"received": 3}, {"received": 0}]
    regions = [{"received": 1}, {"received": 2}]
    categories = [{"received": 3}]
    assert selectors.publish([months, regions, categories], ["received"]) == [
        [{"received": "<5"}, {"received": 0}], [{"received": "<5"}, {"received": "<5"}],
        [{"received": "<5"}]]
    # One table with its column of 8 hidden as "…" leaves the total unknown: the 4 + 4
    # of the other cannot be told from 3 + 5 ... and so on.
    big = [{"received": 8}]
    fours = [{"received": 4}, {"received": 4}]
    assert selectors.publish([big, fours], ["received"]) == [
        [{"received": "…"}], [{"received": "<5"}, {"received": "<5"}]]


def test_csv_and_json_downloads(db):
    table = selectors.Table(key="k", title="T", columns=["Region", "Received", "Share"],
                            rows=[["Tver, Oblast", 7, 33.3], ["Moscow", "<5", None]])
    assert selectors.table_csv(table) == ('Region,Received,Share\r\n"Tver, Oblast",7,33.3\r\n'
                                          "Moscow,<5,\r\n")
    data = selectors.tables_json([table], licence="CC BY 4.0")
    assert data["licence"] == "CC BY 4.0"
    assert data["tables"] == [{"key": "k", "title": "T",
                               "columns": ["Region", "Received", "Share"],
                               "rows": [["Tver, Oblast", 7, 33.3], ["Moscow", "<5", None]]}]
    assert dt.datetime.fromisoformat(data["generated_at"]) <= timezone.now()


def test_percentile_is_nearest_rank():
    assert selectors.percentile({}, 50) is None
    assert selectors.percentile({3: 1, 10: 1, 35: 1, 42: 1, 44: 1}, 50) == 35
    assert selectors.percentile({3: 1, 10: 1, 35: 1, 42: 1, 44: 1}, 90) == 44
    assert selectors.percentile({1: 1, 2: 1}, 50) == 1
    assert selectors.percentile({5: 9, 60: 1}, 90) == 5
    assert selectors.percentile({5: 9, 60: 2}, 90) == 60


# --- refresh on change ----------------------------------------------------------------------


def test_a_committed_move_queues_one_delayed_refresh(register, staff, settings,
                                                     django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    settings.CASEDESK_STATS_REFRESH_DELAY = 600
    case = register()
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(actor=staff[Role.CASEWORKER], case=case, transition="answer",
                        outcome="upheld", answer=1)
    [queued] = DBTaskResult.objects.filter(task_path="casedesk.stats.tasks.refresh_figures")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}
    assert dt.timedelta(seconds=590) < queued.run_after - timezone.now() \
        <= dt.timedelta(seconds=600)

    from casedesk.stats.tasks import refresh_figures, refresh_soon

    refresh_figures.call()  # what the worker runs: clears the flag, then refreshes
    assert MonthlyRollup.objects.get().answered == 1
    assert refresh_soon() is True  # the next move queues the next refresh


def test_a_rolled_back_move_queues_nothing(register, staff, django_capture_on_commit_callbacks):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    case = register()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        # The inner variant: the durable case_transition cannot run inside this block.
        case_transition_inner(actor=staff[Role.CASEWORKER], case=case,
                              transition="start_review")
        raise RuntimeError("after the move")
    assert not DBTaskResult.objects.filter(
        task_path="casedesk.stats.tasks.refresh_figures").exists()


@pytest.mark.parametrize("value,expected", [(None, 300), ("900", 900), ("0", 0)])
def test_the_delay_is_read_from_the_environment(monkeypatch, value, expected):
    import runpy
    from pathlib import Path

    # By path, not by import: statistics may not import the configuration package.
    settings_file = Path(__file__).resolve().parents[2] / "config" / "settings.py"
    if value is None:
        monkeypatch.delenv("CASEDESK_STATS_REFRESH_DELAY", raising=False)
    else:
        monkeypatch.setenv("CASEDESK_STATS_REFRESH_DELAY", value)
    assert runpy.run_path(str(settings_file))["CASEDESK_STATS_REFRESH_DELAY"] == expected


def test_the_delay_grows_with_the_refresh_time_and_zero_switches_it_off(db, settings):
    from casedesk.stats import tasks

    settings.CASEDESK_STATS_REFRESH_DELAY = 300
    assert tasks.delay() == dt.timedelta(seconds=300)
    now = timezone.now()
    Refresh.objects.create(started_at=now, finished_at=now, today=now.date(), seconds=120.0,
                           trigger="command")
    assert tasks.delay() == dt.timedelta(seconds=1200)  # ten times the last refresh
    settings.CASEDESK_STATS_REFRESH_DELAY = 0
    assert tasks.delay() is None
    assert tasks.refresh_soon() is False
