"""The per-case search vector (cases_casesearch) that full-text search reads on PostgreSQL:
kept right by the triggers of migration cases.0007 whatever writes the texts.

Every test searches through :func:`case_search`; on PostgreSQL that reads only the case
vectors, so a missing or wrong trigger makes these tests fail. The triggers are
PostgreSQL's; on SQLite the vectors stay empty and the search reads the texts."""

from __future__ import annotations

import importlib
import threading

import pytest
from django.db import connection, connections, transaction

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case, CaseNote, CaseSearch
from casedesk.cases.search import POSITIONS, case_search
from casedesk.cases.services import note_add
from casedesk.testing import at

# The migration's backfill: the case vectors made from the texts.
VECTORS_SQL = importlib.import_module(
    "casedesk.cases.migrations.0007_case_search").VECTORS.format(where="true")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"
)

WARD = "Сын лежит в госпитале."
CALL = "Звонили в военкомат, обещали ответить письменно."


def found(query: str) -> set[str]:
    return set(case_search(Case.objects.all(), query).values_list("number", flat=True))


def vectors() -> dict[int, tuple[str, int]]:
    """The case vectors as stored: case id -> (vector as text, number of texts)."""
    return {row.case_id: (str(row.vector), row.documents) for row in CaseSearch.objects.all()}


def vectors_rebuilt() -> dict[int, tuple[str, int]]:
    """The case vectors as the migration's backfill makes them from the texts."""
    with connection.cursor() as cursor:
        # The migration's own SQL, no input.
        cursor.execute(f"SELECT case_id, vector::text, documents FROM ({VECTORS_SQL}) AS v")  # noqa: S608
        return {case_id: (vector, documents) for case_id, vector, documents in cursor}


@pytest.fixture
def worker(staff):
    return staff[Role.CASEWORKER]


def bare(like: Case, number: str = "MSK-2026-999999") -> Case:
    """A case without appeals (appeals protect their case from deletion)."""
    return Case.objects.create(
        number=number, office=like.office, year=2026, sequence=int(number.split("-")[2]),
        category=like.category, service_member=like.service_member,
        rulebook_version=like.rulebook_version, procedure=like.procedure,
        received_at=like.received_at)


@pytest.fixture
def other(register):
    """A case that matches none of the words searched below."""
    return register(text="Мужу не выплатили денежное довольствие за январь.")


def test_found_by_a_word_of_its_appeal(register, other):
    case = register(text=WARD, request="Прошу выплатить страховку.")
    assert found("госпиталь") == found("страховка") == {case.number}
    assert found("госпиталь страховка") == {case.number}


def test_found_by_a_word_of_an_appeal_added_later(register, other):
    case = register(text=WARD)
    assert found("страховку") == set()
    register(attach_to=case, text="Повторно: не выплатили страховку.")
    assert found("страховку") == found("госпиталь") == {case.number}
    # Still every word in one text: the two appeals do not make a match together.
    assert found("госпиталь страховку") == set()


def test_found_by_a_word_of_a_note(register, other, worker):
    case = register(text=WARD)
    assert found("военкомат") == set()
    note_add(actor=worker, case=case, text=CALL)
    assert found("военкомат") == found("госпиталь") == {case.number}
    assert found("военкомат госпиталь") == set()
    note_add(actor=worker, case=case, text="Военкомат подтвердил, что он в госпитале.")
    assert found("военкомат госпиталь") == {case.number}


def erase_words(**appeals) -> None:
    """What erasure (casedesk.people.lifecycle.erasure.person_erase, above this app) does to the
    texts: ``update()`` blanks them and their words. Its own tests search after it."""
    Appeal.objects.filter(**appeals).update(text="", request="", search_tokens="")


def test_not_found_after_erasure_blanks_the_words(register, other, worker):
    case = register(text=WARD)
    note_add(actor=worker, case=case, text=CALL)
    assert found("госпиталь") == found("военкомат") == {case.number}

    # The applicant wrote the appeal: erasing her blanks it; the note stays.
    erase_words(submitter_id=case.appeals.get().submitter_id)
    assert found("госпиталь") == set()
    assert found("военкомат") == {case.number}

    # The notes are about the service member: erasing him blanks them.
    CaseNote.objects.filter(case__in=Case.objects.filter(
        service_member_id=case.service_member_id).values("pk")).update(
        text="", search_tokens="")
    assert found("военкомат") == set()
    if connection.vendor == "postgresql":
        # No texts with words left: no vector, no words of theirs.
        assert not CaseSearch.objects.filter(case=case).exists()
        assert CaseSearch.objects.filter(case=other).exists()


def test_not_found_after_its_note_is_deleted(register, other, worker):
    case = register(text=WARD)
    first = note_add(actor=worker, case=case, text=CALL)
    second = note_add(actor=worker, case=case, text="Военкомат ответил письмом.")
    first.delete()
    assert found("военкомат") == {case.number}
    assert found("обещали") == set()
    CaseNote.objects.filter(pk=second.pk).delete()
    assert found("военкомат") == set()
    assert found("госпиталь") == {case.number}


def test_found_after_bulk_create_of_appeals_and_notes(register, other, worker):
    cases = [register(text="Мужу не выплатили денежное довольствие.") for _ in range(3)]
    # As the demo generator writes them: no save(), one INSERT per batch.
    Appeal.objects.bulk_create([
        Appeal(case=case, channel="letter", received_at=at("2026-03-10"), text=WARD,
               submitter=case.service_member) for case in cases[:2]])
    CaseNote.objects.bulk_create([CaseNote(case=cases[2], author=worker, text=CALL)])
    assert found("госпиталь") == {cases[0].number, cases[1].number}
    assert found("военкомат") == {cases[2].number}
    assert found("довольствие") == {c.number for c in cases} | {other.number}


def test_an_update_that_moves_a_text_moves_its_words(register, other, worker):
    case = register(text="Мужу не выплатили денежное довольствие.")
    note = note_add(actor=worker, case=case, text=CALL)
    CaseNote.objects.filter(pk=note.pk).update(case=other)
    assert found("военкомат") == {other.number}


def test_a_case_deleted_with_its_notes_leaves_no_vector(register, worker):
    case = register(text=WARD)
    empty = bare(case)
    note_add(actor=worker, case=empty, text=CALL)
    assert found("военкомат") == {empty.number}
    empty.delete()
    assert found("военкомат") == set()
    assert found("госпиталь") == {case.number}


@postgres_only
@pytest.mark.parametrize("texts", [256, 257, 258])
def test_every_word_in_one_text_however_many_texts_a_case_has(register, other, worker,
                                                             texts):
    # A vector keeps 256 positions of a word: up to that many texts the positions tell
    # the texts apart; beyond, the case's texts are read.
    assert POSITIONS == 256
    case = register(text=WARD)
    CaseNote.objects.bulk_create([CaseNote(case=case, author=worker, text=f"Звонок {n}.")
                                  for n in range(texts - 2)])
    note_add(actor=worker, case=case, text="Звонок: военкомат подтвердил ранение.")
    assert CaseSearch.objects.get(case=case).documents == texts
    # The last text's words: past the positions the vector keeps of "звонок" if more.
    assert found("звонок военкомат ранение") == {case.number}
    assert found("звонок госпиталь") == set()
    assert found("военкомат госпиталь") == set()
    assert found("госпиталь") == found("военкомат") == {case.number}


@postgres_only
def test_the_triggers_keep_what_the_backfill_would_make(register, other, worker):
    cases = [register(text=WARD, request="Прошу выплатить страховку."), register(text=WARD)]
    register(attach_to=cases[0], text="Повторно: не выплатили страховку.")
    note_add(actor=worker, case=cases[1], text=CALL)
    note_add(actor=worker, case=cases[1], text="Военкомат ответил.")
    CaseNote.objects.filter(case=cases[1]).first().delete()
    erase_words(case=other)
    with connection.cursor() as cursor:  # raw SQL, as bench/seed.py copies texts
        cursor.execute("INSERT INTO cases_casenote (case_id, author_id, text, search_tokens, "
                       "created_at) SELECT %s, author_id, text, search_tokens, created_at "
                       "FROM cases_casenote", [cases[0].pk])
    stored = vectors()
    assert set(stored) == {c.pk for c in cases}
    assert stored == vectors_rebuilt()
    # Appeals first, then notes, one position each.
    assert stored[cases[0].pk][1] == 3 and stored[cases[1].pk][1] == 2


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("with_appeal", [True, False], ids=["vector", "no-vector-yet"])
def test_two_transactions_writing_texts_of_one_case_keep_both(register, worker, with_appeal):
    """The trigger locks the case before it reads the texts: the second writer waits for
    the first to commit and then sees its note, instead of writing a vector without it
    (or failing on the first one's new row)."""
    case = register(text=WARD)
    if not with_appeal:
        case = bare(case)
    first_written, second_started = threading.Event(), threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                CaseNote.objects.create(case=case, author=worker, text=CALL)
                first_written.set()
                second_started.wait(5)
                # Give the second writer time to reach the lock before this commits.
                threading.Event().wait(0.5)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            first_written.wait(5)
            with transaction.atomic():
                second_started.set()
                CaseNote.objects.create(case=case, author=worker, text="Пришла выписка.")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert found("военкомат") == found("выписка") == {case.number}
    assert CaseSearch.objects.get(case=case).documents == 2 + with_appeal


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite only")
def test_on_sqlite_the_search_reads_the_texts(register, other, worker):
    case = register(text=WARD)
    note_add(actor=worker, case=case, text=CALL)
    assert found("госпиталь") == found("военкомат") == {case.number}
    assert found("госпиталь военкомат") == set()
    assert not CaseSearch.objects.exists()
