"""Search over case numbers, appeal texts and internal notes (cases.search)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case, CaseNote
from casedesk.cases.search import case_search
from casedesk.cases.services import case_numbers_reserve, note_add
from casedesk.testing import at

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="GIN indexes are a PostgreSQL feature"
)
# The GIN index of migration cases.0007 on the search words of each case, and its partial
# index of the cases with more texts than a vector keeps positions of a word.
VECTOR_INDEX = "case_search_vector"
LARGE_INDEX = "case_search_large"
# The indexes it replaced: per appeal and note over the search words (cases.0006), and
# before them over the plaintext (cases.0003). They must be gone.
OLD_INDEXES = {
    "cases_appeal_tokens",
    "cases_casenote_tokens",
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


def test_a_number_in_the_text_is_not_a_case_number_match(register, person_data):
    # Digits alone are a case number query (and a unit's, issue 18): they do not search
    # the appeals. The service member's unit is another number here, so that only the
    # text has 12345 in it.
    case = register(text="Сын служит в в/ч 12345, ответа нет.",
                    service_member=person_data(full_name="Иванов Пётр Сергеевич",
                                               unit="54321", service_type="mobilized"))
    assert case.number == "MSK-" + case.number.split("-")[1] + "-000001"
    assert found("12345") == set()


# Stemming, case folding and ё/е are done in Python (casedesk.core.tokens): the same on
# every database.
@pytest.mark.parametrize("query", ["госпиталь", "Госпиталя", "ГОСПИТАЛЬ", "госпиталем",
                                   "госпиталях"])
def test_russian_words_match_in_any_form(register, query):
    hospital = register(text="Сына записали в СОЧ, хотя он лежит в госпитале.")
    register(text="Мужу не выплатили денежное довольствие за январь.")
    assert found(query) == {hospital.number}


@pytest.mark.parametrize("query", ["hospitals", "Hospital", "HOSPITAL'S"])
def test_english_words_match_in_any_form(register, query):
    hospital = register(text="My son is in hospital but his unit lists him as absent.",
                        language="en")
    register(text="My husband has not been paid since January.", language="en")
    assert found(query) == {hospital.number}


@pytest.mark.parametrize(("text", "query"), [
    ("Отчёт о ранении в часть не прислали.", "отчет"),
    ("Отчет о ранении в часть не прислали.", "ОТЧЁТА"),
    ("Сына эвакуировали вертолётом.", "Вертолет"),
    ("СЫНА ЭВАКУИРОВАЛИ ВЕРТОЛЕТОМ.", "вертолёт"),
])
def test_case_and_yo_do_not_matter(register, text, query):
    case = register(text=text)
    register(text="Мужу не выплатили денежное довольствие за январь.")
    assert found(query) == {case.number}


def test_every_word_must_occur_in_one_appeal(register):
    both = register(text="Сын ранен, лежит в госпитале.", request="Прошу выплатить страховку.")
    ward = register(text="Сын лежит в госпитале.", request="Прошу разъяснить права.")
    insured = register(text="Мужу не выплатили страховку.")
    assert found("госпиталь") == {both.number, ward.number}
    assert found("страховка") == {both.number, insured.number}
    # Text and request of one appeal count together; the order of the words does not matter.
    assert found("госпиталь страховка") == {both.number}
    assert found("страховки госпитале") == {both.number}
    assert found("ранен госпиталь страховка выплатить") == {both.number}
    # One word that occurs nowhere is enough to find nothing.
    assert found("госпиталь страховка военкомат") == set()


def test_words_in_two_appeals_do_not_match_together(register):
    wounded = register(text="Сын ранен, лежит в госпитале.")
    insured = register(text="Мужу не выплатили страховку.")
    assert found("госпиталь") == {wounded.number}
    assert found("страховку") == {insured.number}
    assert found("госпиталь страховку") == set()
    # Not even when the two appeals belong to one case.
    register(attach_to=wounded, text="Повторно: не выплатили страховку.")
    assert found("страховку") == {wounded.number, insured.number}
    assert found("госпиталь страховку") == set()


def test_words_in_an_appeal_and_a_note_do_not_match_together(register, staff):
    case = register(text="Сын ранен, лежит в госпитале.")
    note(case, "Звонили в военкомат.", staff[Role.CASEWORKER])
    assert found("госпиталь") == found("военкомат") == {case.number}
    assert found("госпиталь военкомат") == set()
    note(case, "Военкомат подтвердил, что он в госпитале.", staff[Role.CASEWORKER])
    assert found("госпиталь военкомат") == {case.number}


def test_web_search_syntax_is_not_supported_quotes_minus_and_or_are_plain_words(register):
    both = register(text="Сын ранен, лежит в госпитале.", request="Прошу выплатить страховку.")
    ward = register(text="Сын лежит в госпитале.", request="Прошу разъяснить права.")
    # "-word" does not exclude the word: it is one more word that must occur.
    assert found("госпиталь -страховка") == {both.number}
    # Quotes do not make a phrase: the words are matched anywhere, in any order.
    assert found('"лежит в госпитале"') == {both.number, ward.number}
    assert found('"госпитале лежит"') == {both.number, ward.number}
    # "or" is a stop word, not an alternative: both other words must occur.
    assert found("ранен or разъяснить") == set()
    assert found("ранен or страховку") == {both.number}


def test_a_prefix_is_not_a_word(register):
    case = register(text="Сын лежит в госпитале.")
    assert found("госп") == set()
    assert found("госп*") == set()  # no prefix operator: the star is dropped
    assert found("госпиталь*") == {case.number}


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
    result = case_search(Case.objects.all(), "госпиталь")
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
def test_the_migration_replaced_the_text_indexes_by_the_case_vector_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [sorted(OLD_INDEXES | {VECTOR_INDEX, LARGE_INDEX})],
        )
        rows = dict(cursor.fetchall())
    assert set(rows) == {VECTOR_INDEX, LARGE_INDEX}
    # On the table partitioned by office (cases.0009): ON ONLY the parent, one per part.
    assert re.search(r"ON (ONLY )?public\.cases_casesearch USING gin \(vector\)",
                     rows[VECTOR_INDEX]), rows[VECTOR_INDEX]
    assert "WHERE (documents > 256)" in rows[LARGE_INDEX]


@postgres_only
@pytest.mark.parametrize("query", ["госпиталь", "госпиталь ответил"])
def test_the_search_uses_the_index(register, staff, query):
    # One lookup in the case vectors' GIN index, whatever the number of words.
    case = register(text="Сын лежит в госпитале.")
    note(case, "Госпиталь ответил.", staff[Role.CASEWORKER])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        search = case_search(Case.objects.all(), query)
        plan = search.explain()
    # The index itself, or its part for a part of the table (cases.0009).
    assert re.search(rf"Bitmap Index Scan on ({VECTOR_INDEX}|cases_casesearch_\d+_vector_idx)",
                     plan), plan
    assert [c.pk for c in search] == [case.pk]


def test_stop_words_do_not_match_everything(register):
    register(text="Сын и муж в госпитале")
    register(text="My son and my husband are in the hospital.", language="en")
    for query in ("и", "в", "и в", "and", "the", "The and"):
        assert not case_search(Case.objects.all(), query).exists(), query
    # A stop word beside a real word is ignored, not required.
    assert len(found("и госпиталь")) == 1


def test_the_search_words_hold_no_plaintext(register, staff):
    case = register(text="Сын лежит в госпитале.", request="Прошу выплатить страховку.")
    note(case, "Звонили в военкомат.", staff[Role.CASEWORKER])
    stored = [case.appeals.get().search_tokens, case.notes.get().search_tokens]
    for tokens in stored:
        assert tokens and all(re.fullmatch(r"t[0-9a-f]{11}", t) for t in tokens.split())
        for word in ("госпитал", "страховк", "военкомат", "сын"):
            assert word not in tokens
