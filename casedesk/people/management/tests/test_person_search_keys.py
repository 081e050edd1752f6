"""Person.search_keys and match_keys (issue 18): written wherever a person is written,
keyed, never plaintext, filled for old rows by person_search_rebuild, emptied by
erasure."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection

from casedesk.core import bulk, tokens
from casedesk.people.models import Person

pytestmark = pytest.mark.django_db

KUZNETSOV = dict(full_name="Кузнецов Андрей Сергеевич", birth_date=dt.date(1990, 2, 1),
                 unit="в/ч 74814", phone="8 (916) 123-45-67", email="A.Kuz@Example.ru")


def expected() -> str:
    return tokens.person_tokens(*[KUZNETSOV[k] for k in
                                  ("full_name", "birth_date", "unit", "phone", "email")])


def test_save_writes_the_keys_of_the_normal_forms():
    person = Person.objects.create(**KUZNETSOV)
    stored = Person.objects.values_list("search_keys", flat=True).get(pk=person.pk)
    assert stored == expected()
    keys = stored.split()
    assert keys == sorted(keys)  # the place of a key does not tell its kind
    assert len(keys) == 10  # 3 lemmas, 3 phonetic codes, date, unit, phone, email
    for term in ("n:кузнецов", "f:кузницаф", "u:74814", "p:+79161234567", "e:a.kuz@example.ru",
                 "d:1990-02-01"):
        assert tokens.person_key(term) in keys
    # The one-letter forms, apart: кузнецов (9), андрей (7) and сергеевич (10), padded to
    # a multiple of 16.
    typos = Person.objects.values_list("typo_keys", flat=True).get(pk=person.pk).split()
    assert typos == sorted(typos) and len(typos) == 32
    key = tokens._blind_key()
    for term in ("t:кузнецов", "t:кузнцов", "t:андре", "t:ндрей", "t:сергеевич"):
        assert tokens._typo_key(key, term) in typos
    assert tokens._typo_key(key, "t:иван") not in typos
    assert not set(typos) & set(keys)


def test_the_copy_writer_writes_the_same_keys():
    (person,) = bulk.create([Person(**KUZNETSOV)])
    assert Person.objects.values_list("search_keys", flat=True).get(pk=person.pk) == expected()
    assert Person.objects.values_list("match_keys", flat=True).get(pk=person.pk) == \
        expected_matches()


def expected_matches() -> str:
    return tokens.person_match_tokens(*[KUZNETSOV[k] for k in
                                        ("full_name", "birth_date", "unit", "phone", "email")])


def test_save_writes_the_keys_of_the_pairs_the_duplicate_check_looks_up():
    person = Person.objects.create(**KUZNETSOV)
    stored = Person.objects.values_list("match_keys", flat=True).get(pk=person.pk)
    assert stored == expected_matches()
    keys = stored.split()
    assert keys == sorted(keys)
    # Three words: 3 pairs of them, each with the date and with the unit (6), phone, email.
    assert len(keys) == 11
    surname, first, patronymic = "fкузницаф", "fандри", "fсиргивич"
    assert tokens.person_match_atom("кузнецов") == surname
    for term in (("nn", first, surname), ("nn", surname, first), ("nn", patronymic, first),
                 ("nd", surname, "1990-02-01"), ("nd", patronymic, "1990-02-01"),
                 ("nu", first, "74814")):
        assert tokens.person_key(tokens.person_match_term(*term)) in keys, term
    assert tokens.person_key("p:+79161234567") in keys
    assert tokens.person_key("e:a.kuz@example.ru") in keys
    # Other pairs are not there: another date, another unit, a name word with itself.
    for term in (("nd", surname, "1990-02-02"), ("nu", surname, "74815"),
                 ("nn", surname, surname)):
        assert tokens.person_key(tokens.person_match_term(*term)) not in keys, term
    # A word without a phonetic code (Latin) pairs by its lemma; no date, no unit: names.
    latin = tokens.person_match_terms("Smith John")
    assert latin == ["nn:njohn:nsmith"]


def test_a_row_read_back_and_saved_keeps_its_keys():
    person = Person.objects.create(**KUZNETSOV)
    again = Person.objects.get(pk=person.pk)
    again.region = None
    again.save()
    assert Person.objects.values_list("search_keys", flat=True).get(pk=person.pk) == expected()


def test_no_plaintext_of_the_inputs_in_the_row():
    person = Person.objects.create(**KUZNETSOV)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = " ".join(str(v) for v in cursor.fetchone()).casefold()
    for plain in ("кузнецов", "андрей", "кузницаф", "74814", "9161234567", "example",
                  "1990-02-01"):
        assert plain not in row


def test_the_rebuild_command_fills_old_rows_and_is_idempotent():
    person = Person.objects.create(**KUZNETSOV)
    Person.objects.filter(pk=person.pk).update(search_keys="", match_keys="")
    out = io.StringIO()
    call_command("person_search_rebuild", stdout=out)
    assert "1 row(s) rebuilt" in out.getvalue()
    assert Person.objects.values_list("search_keys", flat=True).get(pk=person.pk) == expected()
    assert Person.objects.values_list("match_keys", flat=True).get(pk=person.pk) == \
        expected_matches()
    out = io.StringIO()
    call_command("person_search_rebuild", stdout=out)
    assert "0 row(s) rebuilt" in out.getvalue()


@pytest.mark.django_db(databases="__all__")
def test_erasure_empties_the_keys_and_the_rebuild_leaves_them_empty():
    from casedesk.people.lifecycle.erasure import person_erase

    person = Person.objects.create(**KUZNETSOV)
    person_erase(actor=None, person=person, reason_code="request")
    columns = ("search_keys", "typo_keys", "match_keys")
    assert Person.objects.values_list(*columns).get(pk=person.pk) == ("", "", "")
    call_command("person_search_rebuild", stdout=io.StringIO())
    assert Person.objects.values_list(*columns).get(pk=person.pk) == ("", "", "")


def test_the_ranges_of_the_workers_cover_every_id_once():
    from casedesk.people.management.commands.person_search_rebuild import ranges

    assert ranges(1, 10, 3) == [(1, 4), (5, 8), (9, 10)]
    assert ranges(7, 7, 4) == [(7, 7)]
    covered = [i for first, last in ranges(3, 1000, 7) for i in range(first, last + 1)]
    assert covered == list(range(3, 1001))


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_rebuild_in_several_processes_fills_every_row():
    people = [Person.objects.create(**{**KUZNETSOV, "unit": f"в/ч {70000 + i}"})
              for i in range(7)]
    ids = [p.pk for p in people]
    Person.objects.filter(pk__in=ids).update(search_keys="", typo_keys="", match_keys="")
    out = io.StringIO()
    call_command("person_search_rebuild", workers=2, batch=2, stdout=out)
    assert "7 row(s) rebuilt" in out.getvalue()
    columns = ("search_keys", "typo_keys", "match_keys")
    rows = list(Person.objects.filter(pk__in=ids).order_by("pk").values_list(*columns))
    assert len(rows) == 7 and all(all(keys) for keys in rows)
    # The same keys as one process writes.
    Person.objects.filter(pk__in=ids).update(search_keys="", typo_keys="", match_keys="")
    call_command("person_search_rebuild", stdout=io.StringIO())
    assert list(Person.objects.filter(pk__in=ids).order_by("pk").values_list(*columns)) \
        == rows
