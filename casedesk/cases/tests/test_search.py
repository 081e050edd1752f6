"""Search over case numbers, appeal texts and internal notes (cases.search)."""

from __future__ import annotations

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case, CaseNote
from casedesk.cases.search import case_search
from casedesk.cases.services import case_numbers_reserve, note_add
from casedesk.testing import at

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)
FTS_INDEXES = {
    "cases_appeal_fts_russian",
    "cases_casenote_fts_russian",
}


def found(query: str, queryset=None) -> set[str]:
    queryset = Case.objects.all() if queryset is None else queryset
    return set(case_search(queryset, query).values_list("number", flat=True))


def note(case: Case, text: str, author) -> CaseNote:
    return note_add(actor=author, case=case, text=text)


@pytest.fixture
def numbered(register, office):
    """Cases MSK-2026-000001, MSK-2026-000123, MSK-2026-000124 and MSK-2025-000123."""
    day = at("2026-03-10")
    first = register(at=day)
    case_numbers_reserve(office=office, year=2026, count=121)
    cases = [first, register(at=day), register(at=day)]
    case_numbers_reserve(office=office, year=2025, count=122)
    cases.append(register(at=at("2025-12-01")))
    assert [c.number for c in cases] == [
        "MSK-2026-000001", "MSK-2026-000123", "MSK-2026-000124", "MSK-2025-000123"
    ]
    return cases


@pytest.mark.smoke
def test_one_word_finds_the_appeal_that_contains_it(register):
    hospital = register(text="Сын лежит в госпитале с марта, а в части его считают в СОЧ.")
    register(text="Мужу не выплатили денежное довольствие за январь.")
    assert found("госпитале") == {hospital.number}


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("MSK-2026-000123", {"MSK-2026-000123"}),
        ("msk-2026-000123", {"MSK-2026-000123"}),
        ("  MSK-2026-000123 ", {"MSK-2026-000123"}),
        ("MSK-2026-00012", {"MSK-2026-000123", "MSK-2026-000124"}),
        ("MSK-2026-0001", {"MSK-2026-000123", "MSK-2026-000124"}),
        ("MSK-2026-000001", {"MSK-2026-000001"}),
        ("MSK-2026-123", {"MSK-2026-000123"}),
        # A sequence without leading zeros is the short form of one number, not a prefix.
        ("MSK-2026-12", set()),
        ("MSK-2026-1", {"MSK-2026-000001"}),
        ("MSK-2026", {"MSK-2026-000001", "MSK-2026-000123", "MSK-2026-000124"}),
        ("MSK-2026-", {"MSK-2026-000001", "MSK-2026-000123", "MSK-2026-000124"}),
        ("000123", {"MSK-2026-000123", "MSK-2025-000123"}),
        ("123", {"MSK-2026-000123", "MSK-2025-000123"}),
        ("1", {"MSK-2026-000001"}),
        ("SPB-2026-000123", set()),
        ("MSK-2024", set()),
        ("999999", set()),
    ],
)
def test_case_number_whole_or_part(numbered, query, expected):
    assert found(query) == expected


def test_a_number_in_the_text_is_not_a_case_number_match(register):
    # Digits alone are a case number query: they do not search the appeals.
    case = register(text="Сын служит в в/ч 12345, ответа нет.")
    assert case.number == "MSK-" + case.number.split("-")[1] + "-000001"
    assert found("12345") == set()


@postgres_only
@pytest.mark.parametrize("query", ["госпиталь", "Госпиталя", "ГОСПИТАЛЬ", "госпиталем"])
def test_russian_words_match_in_any_form(register, query):
    hospital = register(text="Сына записали в СОЧ, хотя он лежит в госпитале.")
    register(text="Мужу не выплатили денежное довольствие за январь.")
    assert found(query) == {hospital.number}


@postgres_only
@pytest.mark.parametrize("query", ["hospitals", "Hospital", "HOSPITAL'S"])
def test_english_words_match_in_any_form(register, query):
    hospital = register(text="My son is in hospital but his unit lists him as absent.",
                        language="en")
    register(text="My husband has not been paid since January.", language="en")
    assert found(query) == {hospital.number}


@postgres_only
def test_every_word_must_match_in_one_appeal_and_websearch_syntax_works(register):
    both = register(text="Сын ранен, лежит в госпитале.", request="Прошу выплатить страховку.")
    ward = register(text="Сын лежит в госпитале.", request="Прошу разъяснить права.")
    register(text="Мужу не выплатили страховку.")
    assert found("госпиталь страховка") == {both.number}
    assert found("госпиталь -страховка") == {ward.number}
    assert found('"лежит в госпитале"') == {both.number, ward.number}
    assert found("ранен or разъяснить") == {both.number, ward.number}


def test_the_request_is_searched_too(register):
    case = register(text="Сына перевели в другую часть.", request="Прошу вернуть выплату.")
    register(text="Сына перевели в другую часть.", request="Прошу разъяснить права.")
    assert found("выплату") == {case.number}


def test_internal_notes_are_searched(register, staff):
    noted = register(text="Мужу не выплатили денежное довольствие.")
    other = register(text="Мужу не выплатили денежное довольствие.")
    note(noted, "Звонили в военкомат, обещали ответить письменно.", staff[Role.CASEWORKER])
    note(other, "Заявитель просит звонить после шести.", staff[Role.CASEWORKER])
    assert found("военкомат") == {noted.number}


@postgres_only
def test_notes_are_stemmed_too(register, staff):
    noted = register(text="Мужу не выплатили денежное довольствие.")
    note(noted, "Звонили в военкомат, обещали ответить письменно.", staff[Role.CASEWORKER])
    assert found("военкомата") == {noted.number}
    assert found("called") == set()


def test_a_case_with_several_matching_appeals_and_notes_appears_once(register, office, staff):
    case = register(text="Сын лежит в госпитале.", request="Прошу помочь с госпиталем.")
    register(attach_to=case, text="Повторно: сын в госпитале, ответа нет.")
    register(attach_to=case, text="Третье письмо про госпиталь.")
    note(case, "Запросили выписку из госпиталя.", staff[Role.CASEWORKER])
    note(case, "Госпиталь ответил.", staff[Role.CASEWORKER])
    register(text="Мужу не выплатили денежное довольствие.")
    word = "госпиталь" if connection.vendor == "postgresql" else "госпитал"
    result = case_search(Case.objects.all(), word)
    assert [c.pk for c in result] == [case.pk]
    assert result.count() == 1


def test_composes_with_filters_ordering_and_slicing(register, staff, office, other_office):
    cases = [
        register(text=f"Сын лежит в госпитале, письмо {n}.", at=at(f"2026-03-1{n}"))
        for n in range(5)
    ]
    register(text="Мужу не выплатили денежное довольствие.", at=at("2026-03-16"))
    assigned = cases[1:4]
    for case in assigned:
        case.assignee = staff[Role.CASEWORKER]
        case.save(update_fields=["assignee"])

    mine = Case.objects.filter(assignee=staff[Role.CASEWORKER]).order_by("received_at")
    result = case_search(mine, "госпитале")
    assert [c.pk for c in result] == [c.pk for c in assigned]
    assert [c.pk for c in result.order_by("-received_at")[:2]] == [
        assigned[2].pk, assigned[1].pk
    ]
    assert result.filter(received_at__gte=at("2026-03-12")).count() == 2
    # The filter may come after the search as well as before.
    later = case_search(Case.objects.order_by("-received_at"), "госпитале").filter(
        assignee=staff[Role.CASEWORKER]
    )
    assert [c.pk for c in later] == [c.pk for c in reversed(assigned)]
    # Nothing outside the caller's queryset: another office's cases stay out.
    assert found("госпитале", Case.objects.filter(office=other_office)) == set()


@pytest.mark.parametrize("query", ["", "   ", "\n\t", None])
def test_an_empty_query_returns_the_queryset_unchanged(register, query):
    cases = [register(text="Сын лежит в госпитале."), register(text="Мужу не выплатили.")]
    queryset = Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("number")
    assert case_search(queryset, query) is queryset


@pytest.mark.parametrize(
    "query",
    [
        "&|!:*",
        "!!!",
        "'); DROP TABLE cases_case; --",
        "' OR 1=1 --",
        '"',
        "госпиталь & | ! ( ) : * <-> \\ %",
        "%",
        "_",
        "-",
        "MSK-2026-" + "9" * 50,
        "слово " * 500,
    ],
)
def test_punctuation_and_sql_looking_input_do_not_break_the_search(register, query):
    case = register(text="Сын лежит в госпитале.")
    result = found(query)
    assert result in (set(), {case.number})
    assert Case.objects.count() == 1


def test_only_punctuation_finds_nothing(register):
    register(text="Сын лежит в госпитале: 100% ошибка, см. п. 1!")
    assert found("&|!:*") == set()
    assert found("%") == set()


def test_like_wildcards_are_taken_literally(register):
    register(text="Сын лежит в госпитале.")
    assert found("г_спитал%") == set()


@postgres_only
@pytest.mark.django_db
def test_the_migration_created_the_four_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [sorted(FTS_INDEXES)],
        )
        rows = dict(cursor.fetchall())
    assert set(rows) == FTS_INDEXES
    assert all("USING gin (to_tsvector(" in definition for definition in rows.values())


@postgres_only
def test_the_search_uses_the_indexes(register, staff):
    # The query must use exactly the indexed expressions: if search.py and the migration
    # drift apart, PostgreSQL silently falls back to computing to_tsvector for every row.
    case = register(text="Сын лежит в госпитале.")
    note(case, "Госпиталь ответил.", staff[Role.CASEWORKER])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = case_search(Case.objects.all(), "госпиталь").explain()
    for index in FTS_INDEXES:
        assert f"Bitmap Index Scan on {index}" in plan, plan


def test_russian_stop_words_do_not_match_everything(register):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("stop words are a PostgreSQL full-text feature")
    register(text="Сын и муж в госпитале")
    assert not case_search(Case.objects.all(), "и").exists()
