"""The case's office on its search row (migration cases.0009) and the search count it
allows: a search of cases limited by nothing but offices counts the search rows of those
offices (``case_search_count``, told the offices by the selector that built the cases). A
row whose office is not its case's would be counted in the wrong office, so every way a
case gets words or changes office is checked here through that count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case, CaseNote, CaseSearch
from casedesk.cases.search import Offices, case_search, case_search_count
from casedesk.cases.selectors import QueueFilter, case_queue_offices
from casedesk.cases.services import note_add
from casedesk.testing import at

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search rows are PostgreSQL's"
)

WARD = "Сын лежит в госпитале."
CALL = "Звонили в военкомат, обещали ответить письменно."


def in_offices(*offices) -> QuerySet[Case]:
    """As the staff queue "all" limits its cases."""
    return Case.objects.filter(office_id__in={o.pk for o in offices}).order_by("pk")


def limited(*offices, only: bool = True) -> Offices:
    """What the selector that built ``in_offices(*offices)`` tells the count (``only``:
    nothing else limits the cases)."""
    return Offices(ids=frozenset(o.pk for o in offices), only=only)


def count(query: str, *offices) -> int:
    return case_search_count(in_offices(*offices), query, offices=limited(*offices))


def found(query: str, *offices) -> set[str]:
    return set(case_search(in_offices(*offices), query).values_list("number", flat=True))


def row_offices() -> dict[int, int]:
    return dict(CaseSearch.objects.values_list("case_id", "office_id"))


@pytest.fixture
def worker(staff):
    return staff[Role.CASEWORKER]


def bare(like: Case, office, sequence: int = 999999) -> Case:
    """A case without appeals in ``office``."""
    return Case.objects.create(
        number=f"{office.code}-2026-{sequence:06d}", office=office, year=2026,
        sequence=sequence, category=like.category, service_member=like.service_member,
        rulebook_version=like.rulebook_version, procedure=like.procedure,
        received_at=like.received_at)


@pytest.mark.parametrize("query", ["госпиталь", "госпиталь лежит", "военкомат"])
def test_the_count_is_the_number_of_cases_found(register, office, other_office, worker,
                                                query):
    cases = [register(text=WARD) for _ in range(3)]
    register(text="Мужу не выплатили денежное довольствие.")
    note_add(actor=worker, case=cases[0], text=CALL)
    note_add(actor=worker, case=cases[1], text=WARD)
    Case.objects.filter(pk=cases[2].pk).update(office=other_office)
    for offices in ((office,), (other_office,), (office, other_office)):
        search = case_search(in_offices(*offices), query)
        numbers = list(search.values_list("number", flat=True))
        assert case_search_count(in_offices(*offices), query,
                                 offices=limited(*offices)) == len(numbers), (query, offices)
        assert search.count() == len(numbers), (query, offices)


@pytest.mark.parametrize("query", ["", "   ", "&|!", "MSK-2026", "1", "госпиталь", "пенсия"])
def test_every_kind_of_query_counts_what_it_finds(register, office, other_office, query):
    register(text=WARD)
    register(text="Мужу не выплатили денежное довольствие.")
    for offices in ((office,), (office, other_office)):
        found = case_search(in_offices(*offices), query)
        assert case_search_count(in_offices(*offices), query,
                                 offices=limited(*offices)) == len(found), (query, offices)


def test_the_search_is_a_plain_queryset(register, office):
    register(text=WARD)
    queryset = in_offices(office)
    assert type(case_search(queryset, "госпиталь")) is type(queryset)


@postgres_only
def test_the_count_reads_the_search_rows_of_the_offices_only(register, office):
    register(text=WARD)
    with CaptureQueriesContext(connection) as queries:
        assert case_search_count(in_offices(office), "госпиталь",
                                 offices=limited(office)) == 1
    [sql] = [q["sql"] for q in queries.captured_queries]
    assert 'FROM "cases_casesearch"' in sql and "cases_case\"" not in sql, sql
    assert '"office_id" IN' in sql, sql
    # Narrowed by more than the office: the cases are read, and only those offices' part
    # of the search table (the office inside the EXISTS too).
    with CaptureQueriesContext(connection) as queries:
        assert case_search_count(in_offices(office).filter(state="closed"), "госпиталь",
                                 offices=limited(office, only=False)) == 0
    [sql] = [q["sql"] for q in queries.captured_queries]
    assert 'FROM "cases_case"' in sql, sql
    exists = sql[sql.index("EXISTS"):]
    assert 'U0."office_id" IN' in exists, sql


def test_a_search_narrowed_further_counts_its_own_cases(register, office):
    case = register(text=WARD)
    register(text=WARD)
    # By the caller before the search: more than the office.
    narrowed = in_offices(office).filter(pk=case.pk)
    assert case_search_count(narrowed, "госпиталь", offices=limited(office, only=False)) == 1
    assert case_search_count(in_offices(office).exclude(pk=case.pk), "госпиталь",
                             offices=limited(office, only=False)) == 1
    assert case_search_count(in_offices(office).filter(state="closed"), "госпиталь",
                             offices=limited(office, only=False)) == 0
    assert case_search_count(in_offices(office).filter(office_id=0), "госпиталь",
                             offices=limited(office, only=False)) == 0
    # And after it: the result composes as a queryset.
    search = case_search(in_offices(office), "госпиталь")
    assert case_search_count(in_offices(office), "госпиталь",
                             offices=limited(office)) == search.count() == 2
    assert search.filter(pk=case.pk).count() == 1
    assert search.exclude(pk=case.pk).count() == 1
    assert search[:1].count() == 1
    assert search.order_by("-pk").count() == 2
    # Cases of no office limit: all of them.
    assert case_search_count(Case.objects.all(), "госпиталь") == 2


@postgres_only
def test_the_row_has_the_office_of_its_case(register, office):
    case = register(text=WARD)
    assert row_offices() == {case.pk: office.pk}


@postgres_only
def test_a_case_moved_to_another_office_is_counted_there(register, office, other_office):
    moved, stays = register(text=WARD), register(text=WARD)
    assert count("госпиталь", office) == 2
    # update(): no save(), no signal; the trigger on cases_case moves the row.
    Case.objects.filter(pk=moved.pk).update(office=other_office)
    assert row_offices() == {moved.pk: other_office.pk, stays.pk: office.pk}
    assert count("госпиталь", office) == 1
    assert count("госпиталь", other_office) == 1
    assert found("госпиталь", other_office) == {moved.number}
    # save(), back again.
    moved.refresh_from_db()
    moved.office = office
    moved.save()
    assert row_offices() == {moved.pk: office.pk, stays.pk: office.pk}
    assert count("госпиталь", office) == 2
    assert count("госпиталь", other_office) == 0
    # Other changes of a case leave the row alone.
    Case.objects.filter(pk=moved.pk).update(state="closed")
    assert row_offices()[moved.pk] == office.pk


@postgres_only
def test_texts_added_later_carry_the_office(register, office, other_office, worker):
    like = register(text="Мужу не выплатили денежное довольствие.")
    case = bare(like, other_office)
    assert count("госпиталь", other_office) == 0
    Appeal.objects.create(case=case, channel="letter", received_at=at("2026-03-10"),
                          text=WARD, submitter=case.service_member)
    assert row_offices()[case.pk] == other_office.pk
    assert count("госпиталь", other_office) == 1
    assert count("госпиталь", office) == 0
    # A note written by no service (the worker is not of that office).
    CaseNote.objects.create(case=case, author=worker, text=CALL)
    assert row_offices()[case.pk] == other_office.pk
    assert count("военкомат", other_office) == 1
    assert count("военкомат", office) == 0


@postgres_only
def test_bulk_created_texts_carry_the_office(register, office, other_office, worker):
    like = register(text="Мужу не выплатили денежное довольствие.")
    cases = [bare(like, other_office, sequence) for sequence in (1, 2, 3)]
    # As the demo generator writes them: no save(), one INSERT per batch.
    Appeal.objects.bulk_create([
        Appeal(case=case, channel="letter", received_at=at("2026-03-10"), text=WARD,
               submitter=case.service_member) for case in cases[:2]])
    CaseNote.objects.bulk_create([CaseNote(case=cases[2], author=worker, text=CALL)])
    offices = row_offices()
    assert {offices[case.pk] for case in cases} == {other_office.pk}
    assert offices[like.pk] == office.pk
    assert count("госпиталь", other_office) == 2
    assert count("военкомат", other_office) == 1
    assert count("госпиталь", office) == count("военкомат", office) == 0


@postgres_only
def test_every_row_has_its_case_office(register, office, other_office, worker):
    cases = [register(text=WARD) for _ in range(3)]
    note_add(actor=worker, case=cases[0], text=CALL)
    Case.objects.filter(pk__in=[cases[0].pk, cases[1].pk]).update(office=other_office)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_casesearch AS s JOIN cases_case AS c "
                       "ON c.id = s.case_id WHERE s.office_id <> c.office_id")
        assert cursor.fetchone() == (0,)
    assert len(row_offices()) == 3


@postgres_only
def test_the_vector_is_stored_out_of_line(register):
    case = register(text=WARD)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.relname, p.reltoastrelid::regclass::text, a.attstorage, p.reloptions "
            "FROM cases_casesearch AS s JOIN pg_class AS p ON p.oid = s.tableoid "
            "JOIN pg_attribute AS a ON a.attrelid = p.oid AND a.attname = 'vector' "
            "WHERE s.case_id = %s", [case.pk])
        part, toast, storage, options = cursor.fetchone()
        assert part.startswith("cases_casesearch_")
        assert storage == "e"
        assert "toast_tuple_target=128" in options
        # The name comes from the catalog.
        cursor.execute(f"SELECT count(*) FROM {toast}")  # noqa: S608
        assert cursor.fetchone()[0] >= 1


@pytest.mark.parametrize("spec, only", [
    (QueueFilter(queue="all"), True),
    (QueueFilter(queue="all", state="closed"), False),
    (QueueFilter(queue="all", category="pay_suspended"), False),
    (QueueFilter(queue="mine"), False),
    (QueueFilter(queue="open"), False),
])
def test_the_queue_selector_names_its_offices(staff, office, spec, only):
    supervisor = staff[Role.SUPERVISOR]
    assert case_queue_offices(actor=supervisor, spec=spec) == Offices(
        ids=frozenset({office.pk}), only=only)
    assert case_queue_offices(actor=staff[Role.ANALYST], spec=spec) is None
