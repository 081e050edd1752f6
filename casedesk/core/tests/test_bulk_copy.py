"""core.bulk.create, with which the intake batch writes its rows, writes what
bulk_create writes: the same values read back (encrypted fields, blind indexes, search
tokens, JSON, automatic dates), the ids, and related objects saved after they were
given."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casedesk.cases.events import EventKind
from casedesk.cases.models import Appeal, Case, CaseEvent
from casedesk.core import bulk, crypto
from casedesk.people.models import Person

PEOPLE = [
    dict(full_name="Иванова Мария Петровна", birth_date=dt.date(1970, 5, 3),
         email="m.ivanova@example.org", phone="+7 900 123-45-67",
         postal_address="Москва,\tул. Тверская, д. 1\nкв. 2 \\ подъезд 3",
         service_type="", unit=""),
    dict(full_name="Иванов Пётр Сергеевич", birth_date=None, email="", phone="",
         postal_address="", service_type="mobilized", unit="в/ч 12345"),
]
FIELDS = ("full_name", "birth_date", "email", "phone", "postal_address", "service_type",
          "unit", "name_birth_index", "name_unit_index", "phone_index", "email_index")


def people(**extra):
    return [Person(key_id=key_id, **data, **extra)
            for data, key_id in zip(PEOPLE, crypto.keys_new(len(PEOPLE)), strict=True)]


@pytest.mark.smoke
def test_people_read_back_as_bulk_create_writes_them(db):
    by_copy = bulk.create(people())
    by_orm = Person.objects.bulk_create(people())
    assert all(p.pk and not p._state.adding for p in by_copy)
    for copied, created in zip(by_copy, by_orm, strict=True):
        a, b = Person.objects.get(pk=copied.pk), Person.objects.get(pk=created.pk)
        assert [getattr(a, f) for f in FIELDS] == [getattr(b, f) for f in FIELDS]
        assert a.created_at is not None and a.region_id is None
    # Stored sealed, not as plaintext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM people_person WHERE id = %s", [by_copy[0].pk])
        assert "Иванова" not in cursor.fetchone()[0]


def test_a_related_object_saved_after_it_was_given_is_referred_to(office):
    member = people()[1]
    case = Case(office=office, year=2026, sequence=1, number="MSK-2026-000001",
                category="other", service_member=member, rulebook_version="2026.1",
                procedure="appeal_59fz", received_at=timezone.now())
    assert case.service_member_id is None
    bulk.create([member])
    bulk.create([case])
    assert case.service_member_id == member.pk
    with CaptureQueriesContext(connection) as queries:
        assert case.service_member is member  # still the object given, not read again
    assert not queries.captured_queries
    stored = Case.objects.get(pk=case.pk)
    assert stored.service_member_id == member.pk and stored.state == "received"
    assert stored.created_at is not None and stored.updated_at is not None
    with pytest.raises(ValueError, match="not saved"):
        bulk.create([Appeal(case=case, channel="api", received_at=timezone.now(),
                            text="x", submitter=people()[0])])


def test_ids_left_to_the_database_and_json_kept(office):
    member = bulk.create(people())[1]
    case = bulk.create([Case(office=office, year=2026, sequence=2, number="MSK-2026-000002",
                             category="other", service_member=member,
                             rulebook_version="2026.1", procedure="appeal_59fz",
                             received_at=timezone.now())])[0]
    data = {"channel": "api", "nested": {"list": [1, "два", None]}, "tab": "a\tb\\c"}
    events = bulk.create([CaseEvent(case=case, kind=EventKind.CASE_OPENED, at=case.received_at,
                                    public=True, data=data, texts={"note": "Текст"})],
                         ids=False)
    assert events[0].pk is None
    stored = CaseEvent.objects.get(case=case)
    assert stored.data == data and stored.texts == {"note": "Текст"} and stored.public
    with pytest.raises(ValueError, match="without primary keys"):
        bulk.create([CaseEvent(pk=stored.pk + 1000, case=case, kind=EventKind.CASE_OPENED,
                               at=case.received_at)], ids=False)


def test_ids_of_several_tables_are_reserved_in_one_query(office):
    if connection.vendor != "postgresql":
        pytest.skip("ids come from PostgreSQL's sequences")
    persons = people()
    appeal = Appeal(channel="api", received_at=timezone.now(), text="Сын в госпитале",
                    submitter=persons[0])
    with CaptureQueriesContext(connection) as queries:
        bulk.ids_reserve([(Person, persons), (Appeal, [appeal])])
    assert len(queries.captured_queries) == 1
    assert all(p.pk for p in persons) and appeal.pk
    assert persons[0].pk < persons[1].pk  # in the order given
    bulk.create(persons)
    assert sorted(Person.objects.filter(pk__in=[p.pk for p in persons])
                  .values_list("pk", flat=True)) == [p.pk for p in persons]


def test_search_tokens_are_those_bulk_create_computes(register):
    case = register()
    submitter = case.appeals.get().submitter
    made = [Appeal(case=case, channel="api", received_at=timezone.now(),
                   text="Сын в госпитале, а в части числится в СОЧ", request="Проверить",
                   submitter=submitter) for _ in range(2)]
    bulk.create(made[:1])
    Appeal.objects.bulk_create(made[1:])
    a, b = (Appeal.objects.get(pk=m.pk) for m in made)
    assert a.search_tokens == b.search_tokens and a.search_tokens
    assert (a.text, a.request) == (b.text, b.request)


def test_similarity_signatures_are_those_the_orm_computes_and_dict_rows_get_them(register):
    from casedesk.core import similarity
    from casedesk.core.tests.test_similarity import LETTER

    text = LETTER.format(applicant="Иванова Анна", member="Иванова Петра")
    case = register()
    submitter = case.appeals.get().submitter
    made = [Appeal(case=case, channel="api", received_at=timezone.now(), text=text,
                   submitter=submitter) for _ in range(2)]
    bulk.create(made[:1])
    Appeal.objects.bulk_create(made[1:])
    a, b = (Appeal.objects.get(pk=m.pk) for m in made)
    assert a.similarity == b.similarity == similarity.signature(text) != ""
    # The CSV import's rows: plain dicts through the same column rules.
    table = bulk.copy_table(Appeal, using="default", ids=True)
    row = table.row({"text": text, "case_id": case.pk, "submitter_id": submitter.pk},
                    submitter.data_key_id(), timezone.now())
    assert row[table.names.index("similarity")] == similarity.signature(text)


def test_create_new_skips_what_a_unique_constraint_holds_and_writes_the_rest(register):
    from casedesk.intake.models import DuplicateFlag

    first, second, third = (register() for _n in range(3))
    DuplicateFlag.objects.create(case=first, person=second.service_member, score=40,
                                 level="possible", reasons=["surname"])

    def flag(case, person, score):
        return DuplicateFlag(case=case, person=person, candidate_case=None, score=score,
                             level="likely", reasons=["surname", "first_name", "unit"])

    at = dt.datetime(2026, 12, 7, 15, 4, 5, 123456, tzinfo=dt.UTC)
    rows = [flag(first, second.service_member, 90),  # taken: skipped, the 40 stays
            flag(first, third.service_member, 80), flag(third, first.service_member, 70)]
    rows[1].created_at = at
    with CaptureQueriesContext(connection) as queries:
        assert bulk.create_new(rows) is rows
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 1
    stored = {(f.case_id, f.person_id): (f.score, f.level, f.reasons, f.created_at is not None)
              for f in DuplicateFlag.objects.all()}
    assert stored == {
        (first.pk, second.service_member_id): (40, "possible", ["surname"], True),
        (first.pk, third.service_member_id): (80, "likely", ["surname", "first_name", "unit"],
                                              True),
        (third.pk, first.service_member_id): (70, "likely", ["surname", "first_name", "unit"],
                                              True)}
    # The time as given, to the microsecond (as bulk_create keeps it).
    assert DuplicateFlag.objects.get(case=first, person=third.service_member).created_at == at
    assert bulk.create_new([]) == []
