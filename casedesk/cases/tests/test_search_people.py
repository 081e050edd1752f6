"""Finding cases by the people in them (issue 18): the service member's or an applicant's
name in any case and either gender, parts in any order, patronymic missing, one letter
written as it sounds; birth date; unit however written; phone in any format; email. All
through Person.search_keys (keyed hashes), never plaintext."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.search import Offices, case_search, case_search_count

pytestmark = pytest.mark.django_db

TEXT = "Прошу разобраться и ответить письменно."


def people(PersonData):  # noqa: N803 (the class, given by the fixture person_data)
    return {
        "A": dict(
            service_member=PersonData(full_name="Кузнецов Андрей Сергеевич",
                                      birth_date=dt.date(1990, 2, 1), unit="в/ч 74814",
                                      service_type="mobilized"),
            applicant=PersonData(full_name="Кузнецова Мария Ивановна", phone="8 (916) 123-45-67",
                                 email="Maria.K@Example.ru", postal_address="Москва"),
            relation="mother"),
        "B": dict(
            service_member=PersonData(full_name="Кузьмин Олег Петрович",
                                      birth_date=dt.date(1985, 7, 15),
                                      unit="войсковая часть 55123", service_type="contract"),
            applicant=PersonData(full_name="Кузьмина Ольга", phone="+7 903 555 44 33",
                                 postal_address="Тверь"),
            relation="wife"),
        "C": dict(
            service_member=PersonData(full_name="Сидоров Иван Петрович", unit="ВЧ 31415",
                                      service_type="conscript"),
            applicant=PersonData(full_name="Сидорова Елена Викторовна", email="elena@sid.ru",
                                 postal_address="Тула"),
            relation="mother"),
        "D": dict(
            service_member=PersonData(full_name="Петровская Анастасия Игоревна",
                                      unit="в/ч 27182", service_type="contract"),
            applicant=PersonData(full_name="Петровский Игорь Николаевич",
                                 postal_address="Казань"),
            relation="father"),
    }


@pytest.fixture
def cases(register, person_data):
    return {key: register(text=TEXT, **details)
            for key, details in people(person_data).items()}


def found(cases, query, queryset=None) -> set[str]:
    queryset = Case.objects.all() if queryset is None else queryset
    numbers = set(case_search(queryset, query).values_list("number", flat=True))
    return {key for key, case in cases.items() if case.number in numbers}


FOUND = [
    # The service member's name: any case, any order, patronymic missing, either gender.
    ("Кузнецов", "A"), ("кузнецов", "A"), ("КУЗНЕЦОВ", "A"), ("Кузнецова", "A"),
    ("Кузнецову", "A"), ("Кузнецовым", "A"), ("Кузнецовой", "A"), ("кузнецов андрей", "A"),
    ("андрей кузнецов", "A"), ("Кузнецов Андрей Сергеевич", "A"),
    ("Андрей Сергеевич Кузнецов", "A"), ("Кузнецова Андрея", "A"),
    ("кузнецову андрею сергеевичу", "A"), ("кузнецов сергеевич", "A"),
    # The applicant's name.
    ("Кузнецова Мария", "A"), ("Мария Ивановна Кузнецова", "A"), ("Кузнецовой Марии", "A"),
    ("Кузнецов Мария", "A"),
    # One letter written as it sounds.
    ("Кузницов", "A"), ("Кузнецоф", "A"), ("Кузнецав андрей", "A"), ("Кузмин", "B"),
    ("Сидаров", "C"), ("Сидоров Иван Петравич", "C"),
    # One letter wrong, missing or extra (not as it sounds).
    ("Кузнуцов", "A"), ("Кузнецв", "A"), ("Кузнецовв андрей", "A"), ("Кзнецова", "A"),
    ("Сидоро", "C"), ("Петровскиц", "D"), ("Анастсия Игоревна", "D"), ("Кузьмпн", "B"),
    # Birth date, alone or with a name.
    ("01.02.1990", "A"), ("1.2.1990", "A"), ("Кузнецов 01.02.1990", "A"), ("15.07.1985", "B"),
    ("1990-02-01", "A"), ("01-02-1990", "A"), ("1 февраля 1990", "A"),
    ("Кузнецов 1 февраля 1990 года", "A"), ("1 февраля 1990 г.", "A"),
    ("1 February 1990", "A"), ("February 1, 1990", "A"), ("15 июля 1985", "B"),
    ("July 15, 1985", "B"),
    # Unit however written.
    ("в/ч 74814", "A"), ("ВЧ74814", "A"), ("вч 74814", "A"), ("войсковая часть 74814", "A"),
    ("войсковой части 74814", "A"), ("74814", "A"), ("в.ч. 74814", "A"),
    ("Кузнецов в/ч 74814", "A"), ("55123", "B"), ("в/ч 55123", "B"), ("ВЧ55123", "B"),
    ("31415", "C"), ("ВЧ 31415", "C"), ("в/ч31415", "C"), ("27182", "D"),
    ("войсковая часть 27182", "D"),
    # Phone in any format.
    ("8 (916) 123-45-67", "A"), ("+79161234567", "A"), ("89161234567", "A"),
    ("9161234567", "A"), ("+7 916 123 45 67", "A"), ("+7 (903) 555-44-33", "B"),
    ("8-903-555-44-33", "B"),
    # Email, any case.
    ("maria.k@example.ru", "A"), ("MARIA.K@EXAMPLE.RU", "A"), ("elena@sid.ru", "C"),
    ("Elena@Sid.RU", "C"),
    # Other people, other forms.
    ("Кузьмин", "B"), ("Кузьмину", "B"), ("Кузьмина", "B"), ("Кузьминой", "B"),
    ("олег кузьмин", "B"), ("Кузьмин Олег Петрович", "B"), ("Кузьмина Ольга", "B"),
    ("Сидоров", "C"), ("Сидорову", "C"), ("Сидорова Елена", "C"), ("Иван Сидоров", "C"),
    ("Иван", "C"), ("Петровская", "D"), ("Петровский", "D"), ("Петровской", "D"),
    ("Петровскому", "D"), ("Петровская Анастасия", "D"), ("Анастасия Игоревна", "D"),
    ("Петровский Игорь Николаевич", "D"), ("петровская анастасия игоревна", "D"),
]


@pytest.mark.parametrize(("query", "expected"), FOUND)
def test_a_person_is_found_by_any_usual_form(cases, query, expected):
    assert found(cases, query) == {expected}


def test_the_table_holds_at_least_sixty_variants():
    assert len(FOUND) >= 60


@pytest.mark.parametrize("query", [
    "Иванов",  # not the first name Иван (C), nor the patronymic Ивановна (A)
    "Петров",  # not the patronymic Петрович
    "74815", "Кузнецов Олег",  # parts of two different people
    "Кузнецов 55123", "Кузнецов 15.07.1985", "Кузнецов 15 июля 1985 года",
    "+7 916 000 00 00", "nobody@example.ru",
])
def test_near_misses_find_nothing(cases, query):
    assert found(cases, query) == set()


def test_kuznetsova_does_not_find_kuzmin(cases):
    assert found(cases, "Кузнецова") == {"A"}
    assert found(cases, "Кузьмин") == {"B"}


def test_a_number_alone_is_tried_as_a_case_number_and_as_a_unit(cases):
    first = cases["A"].number.split("-")[-1]  # 000001
    assert found(cases, first) == {"A"}
    assert found(cases, "2") == {"B"}
    assert found(cases, "74814") == {"A"}


def test_the_count_agrees_with_the_search(cases, office):
    queryset = Case.objects.filter(office=office)
    for query in ("Кузнецова", "74814", "Кузнецов андрей", "Иванов"):
        assert case_search_count(queryset, query, offices=Offices(
            ids=frozenset({office.pk}), only=True)) == len(found(cases, query, queryset))


def test_only_the_cases_the_queryset_allows(cases, register, person_data, other_office,
                                            make_user):
    clerk = make_user(Role.INTAKE_CLERK, other_office, username="spb-clerk")
    elsewhere = register(actor=clerk, office=other_office, text=TEXT,
                         **people(person_data)["A"])
    everywhere = set(case_search(Case.objects.all(), "Кузнецов").values_list("pk", flat=True))
    assert everywhere == {cases["A"].pk, elsewhere.pk}
    mine = case_search(Case.objects.exclude(office=other_office), "Кузнецов")
    assert set(mine.values_list("pk", flat=True)) == {cases["A"].pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL GIN index")
def test_the_people_are_looked_up_in_the_gin_index(cases):
    """A person is found through the keys of the case's people row
    (cases.0017_case_people), by its GIN index, without reading the people."""
    from casedesk.cases import search

    def plan(queryset) -> str:
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    query = "Кузнецов андрей"
    assert "people_person" not in plan(case_search(Case.objects.all(), query))
    rows = search._people_rows(search._person_groups(query))
    assert "case_people_keys" in plan(rows)


def test_where_the_search_matched(cases, register):
    from casedesk.cases.search import case_search_where

    noted = register(text="Кузнецов Андрей пропал без вести.")
    ids = [cases["A"].pk, cases["B"].pk, noted.pk]
    assert case_search_where(ids, "Кузнецов Андрей") == {
        cases["A"].pk: ["service_member"], noted.pk: ["text"]}
    assert case_search_where(ids, "Кузнецова Мария") == {cases["A"].pk: ["applicant"]}
    assert case_search_where(ids, "2") == {cases["B"].pk: ["number"]}
    assert case_search_where(ids, "") == {}


def test_ranked_the_person_named_first_then_applicants_then_texts(cases, register,
                                                                   person_data):
    from casedesk.cases.search import case_search_ranked

    texted = register(text="Кузнецов Андрей пропал без вести.")
    applied = register(text=TEXT, applicant=person_data(
        full_name="Кузнецов Андрей Сергеевич", postal_address="Москва"), relation="father")
    queryset = Case.objects.order_by("-received_at", "-pk")  # the text match comes first
    ranked = list(case_search_ranked(queryset, "Кузнецов Андрей").values_list(
        "pk", flat=True))
    assert ranked == [cases["A"].pk, applied.pk, texted.pk]
    # A query of common words keeps the caller's order.
    plain = case_search_ranked(queryset, "пропал")
    assert list(plain.values_list("pk", flat=True)) == [texted.pk]


def test_a_name_like_word_naming_nobody_searches_the_texts_only(db):
    """"СОЧ" could be a surname: when nobody has its keys the search reads the texts only
    (an OR with the people's subqueries makes PostgreSQL read every case of the queue)."""
    from casedesk.cases.search import case_search
    from casedesk.core import tokens

    assert tokens.person_query("СОЧ")  # it does look like a name
    assert "people_person" not in str(case_search(Case.objects.all(), "СОЧ").query)


def test_the_search_follows_changes_of_the_people(cases, person_data):
    """The case's people row holds its people's keys (cases.0017): triggers keep it when
    an applicant is added or removed, the service member is replaced, a person's name
    changes, or a person is erased (the keys blanked)."""
    from casedesk.cases.models import CaseApplicant
    from casedesk.people.models import Person

    case = cases["C"]
    newcomer = Person.objects.create(full_name="Громова Вера Павловна", phone="+7 901 111 22 33")
    assert found(cases, "Громова Вера") == set()
    link = CaseApplicant.objects.create(case=case, person=newcomer, relation="sibling")
    assert found(cases, "Громова Вера") == found(cases, "+79011112233") == {"C"}
    link.delete()
    assert found(cases, "Громова Вера") == set()

    Case.objects.filter(pk=case.pk).update(service_member=newcomer)
    assert found(cases, "Громова") == {"C"}
    assert found(cases, "ВЧ 31415") == set()  # the former service member's unit

    newcomer.full_name = "Громова-Сидорова Вера Павловна"
    newcomer.save()
    assert found(cases, "Сидорова Вера") == {"C"}

    Person.objects.filter(pk=newcomer.pk).update(search_keys="", typo_keys="")  # as erasure
    assert found(cases, "Сидорова Вера") == found(cases, "Громова") == set()
    assert found(cases, "Сидорова Елена") == {"C"}  # the applicant is still there


def test_a_name_in_latin_letters_is_found_too(cases, register, person_data):
    """A transliterated or foreign name: no dictionary knows it, any Latin word may be
    one (and a query of common English words that names nobody searches the texts)."""
    latin = register(text=TEXT, service_member=person_data(
        full_name="Zakharov Dmitriy", unit="в/ч 11111"), applicant=person_data(
        full_name="Zakharova Anna", postal_address="Riga"), relation="mother")
    cases = {**cases, "L": latin}
    assert found(cases, "Zakharov") == found(cases, "dmitriy zakharov") == {"L"}
    assert found(cases, "Zakharova Anna") == {"L"}
    assert found(cases, "hospital") == set()


@pytest.mark.parametrize("query", ["Кузнецов", "Кузнецова Мария", "кузнецов андрей",
                                   "в/ч 74814", "Кузнуцов", "Сидоров", "пропал"])
def test_a_prepared_query_gives_what_the_plain_one_gives(cases, register, office, query):
    """The queue reads a query once (search.prepared) and reuses what its ranking read
    for the count and for "where it matched": the same answers as asking afresh."""
    from casedesk.cases.search import case_search_ranked, case_search_where, prepared

    register(text="Кузнецов Андрей пропал без вести.")
    queryset = Case.objects.filter(office=office).order_by("-received_at", "-pk")
    offices = Offices(ids=frozenset({office.pk}), only=True)
    plain = list(case_search_ranked(queryset, query, offices=offices).values_list(
        "pk", flat=True))
    ready = prepared(query)
    ranked = list(case_search_ranked(queryset, ready, offices=offices).values_list(
        "pk", flat=True))
    assert ranked == plain and plain
    assert case_search_count(queryset, ready, offices=offices) == len(plain) \
        == case_search_count(queryset, query, offices=offices)
    assert case_search_where(ranked, ready) == case_search_where(ranked, query)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_a_case_deleted_with_its_applicants_takes_its_people_row_along(cases):
    """Deleting a case's applicants first (as a delete of the case must) makes the trigger
    write its people row again, with the service member's keys; the row then goes with
    the case (ON DELETE CASCADE) instead of failing the commit (as bench/common.py's
    clean-up did)."""
    from casedesk.cases.models import CasePeople

    case = cases["C"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_casepeople WHERE case_id = %s", [case.pk])
        cursor.execute("DELETE FROM cases_incomingentry WHERE appeal_id IN "
                       "(SELECT id FROM cases_appeal WHERE case_id = %s)", [case.pk])
        for table in ("cases_caseevent", "cases_deadline", "cases_caseapplicant",
                      "cases_appeal"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id = %s", [case.pk])  # noqa: S608
        assert CasePeople.objects.filter(case_id=case.pk).exists()  # written again
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [case.pk])
        # What the commit checks (of this table's key; the test leaves others' rows).
        cursor.execute("SET CONSTRAINTS cases_casepeople_case_cascade IMMEDIATE")
    assert not CasePeople.objects.filter(case_id=case.pk).exists()
