"""The duplicate scorer (casedesk.people.duplicates): who may be the same service member,
found through the keyed search index and scored without decrypting the candidates.

(Here, above the people layer, because the scorer sits above the model in it and the
people's own tests beside the model may not import it.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.core.models import Region
from casedesk.people import duplicates
from casedesk.people.duplicates import LIKELY, POSSIBLE, candidates_of, person_candidates
from casedesk.people.models import Person

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 5, 1)


def person(full_name, **kwargs) -> Person:
    return Person.objects.create(full_name=full_name, **kwargs)


def found(**kwargs) -> dict[int, duplicates.Candidate]:
    return {c.person_id: c for c in person_candidates(**kwargs)}


@pytest.mark.parametrize("asked, stored, level, reasons", [
    # surname + first name + birth date, the name in another grammatical case and ё/е
    (dict(full_name="Кузнецова Андрея Петровича", birth_date=BORN),
     dict(full_name="Кузнецов Андрей Пётрович", birth_date=BORN),
     LIKELY, ("surname", "first_name", "patronymic", "birth_date")),
    # surname + first name + the unit written another way
    (dict(full_name="Кузнецов Андрей", unit="в/ч 74814"),
     dict(full_name="Кузнецов Андрей Петрович", unit="войсковая часть 74814"),
     LIKELY, ("surname", "first_name", "unit")),
    # the phone of the service member, in another format, with the surname
    (dict(full_name="Кузнецов А.", phone="8 (916) 123-45-67"),
     dict(full_name="Кузнецов Андрей", phone="+7 916 1234567"),
     LIKELY, ("surname", "phone")),
    (dict(full_name="Кузнецов", email="Andrey.K@Example.org"),
     dict(full_name="Кузнецов Андрей", email="andrey.k@example.org"),
     LIKELY, ("surname", "email")),
    # surname + first name alone: possible
    (dict(full_name="Кузнецов Андрей"), dict(full_name="Кузнецов Андрей Петрович"),
     POSSIBLE, ("surname", "first_name")),
    # a typo in the surname (sounds alike) with the first name and birth date: possible
    (dict(full_name="Кузницов Андрей", birth_date=BORN),
     dict(full_name="Кузнецов Андрей", birth_date=BORN),
     POSSIBLE, ("surname_sounds_alike", "first_name", "birth_date")),
    # the patronymic missing on one side changes nothing
    (dict(full_name="Кузнецов Андрей", birth_date=BORN),
     dict(full_name="Кузнецов Андрей Петрович", birth_date=BORN),
     LIKELY, ("surname", "first_name", "birth_date")),
    # the name parts in another order
    (dict(full_name="Андрей Петрович Кузнецов", birth_date=BORN),
     dict(full_name="Кузнецов Андрей Петрович", birth_date=BORN),
     LIKELY, ("surname", "first_name", "patronymic", "birth_date")),
    # both have a birth date and they differ: at most possible, and said so
    (dict(full_name="Кузнецов Андрей", unit="74814", birth_date=BORN),
     dict(full_name="Кузнецов Андрей", unit="74814", birth_date=dt.date(1991, 5, 1)),
     POSSIBLE, ("surname", "first_name", "birth_date_differs", "unit")),
    # the surname and the birth date, no first name: possible
    (dict(full_name="Кузнецов", birth_date=BORN),
     dict(full_name="Кузнецов Андрей", birth_date=BORN),
     POSSIBLE, ("surname", "birth_date")),
    # a phone alone (another surname): possible
    (dict(full_name="Петров Олег", phone="+79161234567"),
     dict(full_name="Кузнецов Андрей", phone="+79161234567"),
     POSSIBLE, ("phone",)),
])
def test_levels_and_reasons(asked, stored, level, reasons):
    other = person(**stored)
    person("Смирнов Андрей Петрович", birth_date=dt.date(1985, 1, 2),
           unit="74814")  # never found

    candidates = person_candidates(**asked)

    assert [(c.person_id, c.level, c.reasons) for c in candidates] == [
        (other.pk, level, reasons)]
    assert 0 < candidates[0].score <= 100


@pytest.mark.parametrize("asked", [
    dict(full_name="Кузнецов"),  # a common surname alone
    dict(full_name="Андрей Петрович", unit="74814"),  # first name + unit, no surname
    dict(full_name="Кузнецов Олег", unit="11111"),  # the surname, nothing else shared
    dict(full_name="Кузнецова Мария", birth_date=dt.date(1970, 1, 1)),  # his mother
])
def test_too_little_in_common_is_no_candidate(asked):
    person("Кузнецов Андрей Петрович", birth_date=BORN, unit="74814")
    assert person_candidates(**asked) == []


def test_the_same_region_is_a_reason_and_scores_higher():
    region, other_region = Region.objects.order_by("pk")[:2]
    here = person("Кузнецов Андрей", region=region)
    there = person("Кузнецов Андрей", region=other_region)

    candidates = person_candidates(full_name="Кузнецов Андрей", region_id=region.pk)

    assert [c.person_id for c in candidates] == [here.pk, there.pk]
    assert candidates[0].reasons == ("surname", "first_name", "region")
    assert candidates[0].score > candidates[1].score


def test_likely_first_then_by_score():
    weak = person("Кузнецов Андрей")
    strong = person("Кузнецов Андрей Петрович", birth_date=BORN, unit="74814")
    sounds = person("Кузницов Андрей", birth_date=BORN)

    candidates = person_candidates(full_name="Кузнецов Андрей Петрович", birth_date=BORN,
                                   unit="в/ч 74814")

    assert [(c.person_id, c.level) for c in candidates] == [
        (strong.pk, LIKELY), (sounds.pk, POSSIBLE), (weak.pk, POSSIBLE)]


def test_an_erased_person_is_never_a_candidate():
    kept = person("Кузнецов Андрей", birth_date=BORN)
    # Erasure blanks the keys too (people.lifecycle.erasure, above this layer); even with
    # its keys left behind (a stale row), erased_at keeps a person out.
    erased = person("Кузнецов Андрей", birth_date=BORN, phone="+79161234567")
    Person.objects.filter(pk=erased.pk).update(
        erased_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    found_ids = set(found(full_name="Кузнецов Андрей", birth_date=BORN,
                          phone="+79161234567"))

    assert found_ids == {kept.pk}


def test_a_person_is_not_their_own_candidate_and_exclude_ids_are_left_out():
    me = person("Кузнецов Андрей", birth_date=BORN)
    twin = person("Кузнецов Андрей", birth_date=BORN)
    third = person("Кузнецов Андрей", birth_date=BORN)
    me.refresh_from_db()

    assert {c.person_id for c in candidates_of(me)} == {twin.pk, third.pk}
    assert {c.person_id for c in candidates_of(me, exclude_ids=[third.pk])} == {twin.pk}


def test_each_person_asked_has_caps_of_their_own_in_a_batch():
    """A common name asked in the same batch takes nothing from another person's share:
    the caps (FETCH_WEAK namesakes by surname and first name) are per person asked."""
    namesakes = [person(f"Кузнецов Андрей {p}") for p in
                 ("Петрович", "Иванович", "Олегович", "Сергеевич", "Павлович", "Юрьевич")
                 * (duplicates.FETCH_WEAK // 6 + 1)]
    alone = person("Иванов Пётр Сергеевич")
    asked = [person("Кузнецов Андрей"), person("Иванов Пётр")]
    for p in asked:
        p.refresh_from_db()

    result = duplicates.candidates_of_many(asked, limit=50)

    assert len(namesakes) > duplicates.FETCH_WEAK
    assert len(result[asked[0].pk]) == duplicates.FETCH_WEAK
    assert {c.person_id for c in result[asked[0].pk]} <= {p.pk for p in namesakes}
    assert [c.person_id for c in result[asked[1].pk]] == [alone.pk]


def test_each_person_is_scored_in_one_query_of_two_capped_parts_without_decrypting():
    stored = [person(f"Кузнецов Андрей {p}", birth_date=BORN)
              for p in ("Петрович", "Иванович", "Олегович")]
    asked = [person("Кузнецов Андрей", birth_date=BORN), person("Иванов Пётр", unit="1")]
    for p in asked:
        p.refresh_from_db()
    _ = [(p.full_name, p.birth_date, p.unit, p.phone, p.email) for p in asked]  # decrypted

    with CaptureQueriesContext(connection) as queries:
        result = duplicates.candidates_of_many(asked)

    # Per person asked, the strong and the weak search of the index (each capped, so a
    # common name stops early), nothing else: on PostgreSQL one statement for everyone
    # asked (each person's two capped parts a LATERAL subquery), else two per person.
    postgresql = connection.vendor == "postgresql"
    assert len(queries) == (1 if postgresql else 2 * len(asked))
    for query in queries.captured_queries:
        assert "people_person" in query["sql"]
        assert query["sql"].count("LIMIT") == (2 if postgresql else 1)
        assert ("CROSS JOIN LATERAL" in query["sql"]) == postgresql
    assert {c.person_id for c in result[asked[0].pk]} == {p.pk for p in stored}
    assert result[asked[1].pk] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="match_keys: PostgreSQL's index")
def test_on_postgresql_the_lookups_read_the_pair_keys_and_the_rebuild_fills_them():
    """Each condition is one lookup of ``match_keys`` (a pair in one key): a person whose
    pairs are missing (a row from before people.0007) is not found until
    ``person_search_rebuild`` has filled them; the compiled statement is reused."""
    import io

    from django.core.management import call_command

    other = person("Кузнецов Андрей Петрович", birth_date=BORN, phone="+79161234567")
    Person.objects.filter(pk=other.pk).update(match_keys="")
    asked = dict(full_name="Кузнецова Андрея", birth_date=BORN, phone="8 916 123 45 67")
    with CaptureQueriesContext(connection) as queries:
        assert person_candidates(**asked) == []
    assert "match_keys" in queries.captured_queries[0]["sql"]

    call_command("person_search_rebuild", stdout=io.StringIO())
    (candidate,) = person_candidates(**asked)
    assert (candidate.person_id, candidate.level) == (other.pk, LIKELY)
    assert candidate.reasons == ("surname", "first_name", "birth_date", "phone")
    # Each pair alone finds him: the surname with the birth date (strong), the first name
    # and patronymic with it, the phone, the surname with the first name (weak).
    for alone in (dict(full_name="Кузнецов", birth_date=BORN),
                  dict(full_name="Андрей Петрович", birth_date=BORN),
                  dict(full_name="Смирнов", phone="+7 916 123-45-67"),
                  dict(full_name="Андрей Кузнецов")):
        assert [c.person_id for c in person_candidates(**alone)] == [other.pk], alone


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes: PostgreSQL")
def test_the_people_key_indexes_keep_a_small_pending_list():
    """New keys wait in a GIN index's pending list, which every lookup reads whole: the
    person and case people indexes keep it at 1 MB (people.0008, cases.0020), not 4."""
    names = ["person_search_keys", "person_typo_keys", "person_match_keys",
             "case_people_keys"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
                       [names])
        options = dict(cursor.fetchall())
    assert options == {name: ["gin_pending_list_limit=1024"] for name in names}
