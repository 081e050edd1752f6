"""Erasure by destroying the data key: what is erased is gone everywhere (including old
backups), what is kept for the statistics stays, and nothing else moves. Retention, which
calls it: test_retention.py."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.documents import document_add, file_read
from casedesk.cases.models import Appeal, Case, CaseEvent, CaseNote
from casedesk.cases.search import case_search
from casedesk.cases.services import case_transition, note_add
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError
from casedesk.core.models import DataKey
from casedesk.core.tests.test_similarity import LETTER
from casedesk.intake.selectors import cases_by_contact, possible_duplicates
from casedesk.intake.services import PersonData
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.people.models import Person
from casedesk.testing import pdf_bytes

NAME = "Кржижановский Евлампий Феофилактович"
BIRTH = dt.date(1993, 7, 14)
PHONE = "+7 912 345-67-89"
EMAIL = "evlampiy.krzh@example.org"
TEXT = "Меня записали в СОЧ, хотя я лежу в госпитале Бурденко с контузией."
NOTE = "Звонил сам, подтверждено госпиталем Бурденко."
MESSAGE = "Пришлите выписной эпикриз."
MOTHER = "Кржижановская Аграфена Никодимовна"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def own_case(register, staff, office, media):
    """A service member who wrote himself: his details, appeal, a note, an event text and
    a medical document, all sealed with his key. Controls: all of it reads back."""
    case = register(
        relation="self", text=TEXT,
        applicant=PersonData(full_name=NAME, birth_date=BIRTH, unit="12345", phone=PHONE,
                             email=EMAIL, postal_address="Москва, ул. Примерная, 1",
                             service_type="mobilized", region_code="RU-MOW"),
    )
    worker = staff[Role.CASEWORKER]
    note_add(actor=worker, case=case, text=NOTE)
    case_transition(actor=worker, case=case, transition="start_review")
    case_transition(actor=worker, case=case, transition="request_information",
                    message=MESSAGE)
    document = document_add(
        actor=worker, case=case, doc_type="discharge_summary",
        upload=SimpleUploadedFile("эпикриз.pdf", pdf_bytes("MARKER"),
                                  content_type="application/pdf"))
    case.refresh_from_db()
    person = case.service_member
    assert person.full_name == NAME and person.phone == PHONE
    assert case.appeals.get().submitter_id == person.pk and case.appeals.get().text == TEXT
    assert b"MARKER" in file_read(document)
    assert list(_duplicates(staff, office)) == [case]
    assert list(cases_by_contact(actor=staff[Role.SUPERVISOR], office_id=office.pk,
                                 phone=PHONE)) == [case]
    assert list(case_search(Case.objects.all(), "Бурденко")) == [case]
    assert any(e.texts for e in case.events.all())
    return case


def _duplicates(staff, office):
    return possible_duplicates(actor=staff[Role.SUPERVISOR], office_id=office.pk,
                               full_name=NAME, birth_date=BIRTH)


def test_erasure_makes_the_persons_data_unreadable_and_keeps_the_statistics(
        own_case, staff, office):
    person = own_case.service_member
    key_id = person.key_id
    result = person_erase(actor=staff[Role.SUPERVISOR], person=person, reason_code="request")
    assert not result.already_erased and result.keys_destroyed == 1 and result.appeals == 1

    assert not DataKey.objects.filter(pk=key_id).exists()
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.full_name, fresh.birth_date, fresh.email, fresh.phone,
            fresh.postal_address, fresh.unit) == ("", None, "", "", "", "")
    assert fresh.erased_at is not None and fresh.key_id == ""
    # The statistics keep what is not personal.
    assert fresh.service_type == "mobilized" and fresh.region.code == "RU-MOW"
    case = Case.objects.get(pk=own_case.pk)
    assert (case.category, case.state, case.received_at) == (
        own_case.category, "awaiting_information", own_case.received_at)
    assert case.appeals.get().text == ""
    assert CaseNote.objects.get(case=case).text == ""
    assert all(e.texts == {} for e in CaseEvent.objects.filter(case=case))
    document = case.documents.get()
    with pytest.raises(ApplicationError) as refused:
        file_read(document)
    assert refused.value.code == "erased"
    assert document.original_name == "" and document.sha256 == ""
    # Lookups by name, contact or word find nothing any more.
    assert list(_duplicates(staff, office)) == []
    assert list(cases_by_contact(actor=staff[Role.SUPERVISOR], office_id=office.pk,
                                 phone=PHONE)) == []
    assert list(case_search(Case.objects.all(), "Бурденко")) == []
    # The database itself holds nothing of theirs: no ciphertext, no index, no words.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, email, phone, postal_address, unit, name_birth_index, "
            "name_unit_index, phone_index, email_index, key_id FROM people_person "
            "WHERE id = %s", [person.pk])
        assert set(cursor.fetchone()) == {""}
        cursor.execute("SELECT text, request, search_tokens FROM cases_appeal "
                       "WHERE case_id = %s", [case.pk])
        assert set(cursor.fetchone()) <= {"", None}
        cursor.execute("SELECT text, search_tokens FROM cases_casenote WHERE case_id = %s",
                       [case.pk])
        assert set(cursor.fetchone()) <= {"", None}
        cursor.execute("SELECT texts FROM cases_caseevent WHERE case_id = %s", [case.pk])
        assert {row[0] for row in cursor.fetchall()} <= {"", None}


def test_erasure_is_idempotent_and_audited_without_personal_data(own_case, staff):
    person = own_case.service_member
    person_erase(actor=staff[Role.ADMINISTRATOR], person=person, reason_code="request")
    entries = AuditEntry.objects.filter(action="person.erased")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_type == "person" and entry.object_id == str(person.pk)
    assert entry.actor_id == staff[Role.ADMINISTRATOR].pk and entry.data == {"ground": "request"}
    assert "Кржижанов" not in json.dumps(entry.data, ensure_ascii=False)
    first = Person.objects.get(pk=person.pk).erased_at

    again = person_erase(actor=staff[Role.SUPERVISOR],
                         person=Person.objects.get(pk=person.pk), reason_code="request")
    assert again.already_erased and again.keys_destroyed == 0
    assert Person.objects.get(pk=person.pk).erased_at == first
    assert entries.count() == 1


def test_erasing_one_person_leaves_the_others_readable(register, staff, office, media):
    case = register(applicant=PersonData(full_name=MOTHER, phone=PHONE),
                    service_member=PersonData(full_name=NAME, birth_date=BIRTH, unit="12345",
                                              service_type="mobilized"))
    mother = case.appeals.get().submitter
    son = case.service_member
    person_erase(actor=staff[Role.SUPERVISOR], person=mother, reason_code="request")
    assert Person.objects.get(pk=mother.pk).full_name == ""
    # Her appeal was sealed with her key: gone. Her son's details were not: still there.
    assert case.appeals.get().text == ""
    assert Person.objects.get(pk=son.pk).full_name == NAME
    assert list(_duplicates(staff, office)) == [case]
    assert DataKey.objects.filter(pk=son.key_id).exists()


@pytest.mark.parametrize("role", [r for r in Role.values
                                  if r not in (Role.SUPERVISOR, Role.ADMINISTRATOR)])
def test_only_a_supervisor_or_an_administrator_erases(own_case, staff, role):
    person = own_case.service_member
    with pytest.raises(ApplicationError) as refused:
        person_erase(actor=staff[role], person=person, reason_code="request")
    assert refused.value.code == "forbidden"
    assert Person.objects.get(pk=person.pk).full_name == NAME
    assert DataKey.objects.filter(pk=person.key_id).exists()


def test_a_supervisor_of_another_office_cannot_erase(own_case, other_office, make_user):
    person = own_case.service_member
    with pytest.raises(ApplicationError) as refused:
        person_erase(actor=make_user(Role.SUPERVISOR, other_office), person=person,
                     reason_code="request")
    assert refused.value.code == "not_found"
    with pytest.raises(ApplicationError) as refused:
        person_erase(actor=None, person=person, reason_code="because")
    assert refused.value.code == "unknown_reason"
    assert Person.objects.get(pk=person.pk).erased_at is None


def test_the_command_erases_as_the_system(own_case, staff):
    person = own_case.service_member
    out = io.StringIO()
    call_command("person_erase", person=person.pk, reason="request", operator="administrator",
                 stdout=out)
    assert f"person {person.pk} erased (reason: request)" in out.getvalue()
    assert Person.objects.get(pk=person.pk).full_name == ""
    entry = AuditEntry.objects.get(action="person.erased")
    # the system erases; the entry names the operator who ran the command (audit/operator.py)
    assert (entry.actor_id, entry.actor_kind) == (staff["administrator"].pk, "command")
    out = io.StringIO()
    call_command("person_erase", person=person.pk, reason="request", operator="administrator",
                 stdout=out)
    assert "already erased" in out.getvalue()
    with pytest.raises(CommandError, match="no person with id 999999"):
        call_command("person_erase", person=999999, reason="request", operator="administrator")
    with pytest.raises(CommandError):
        call_command("person_erase", person=person.pk, reason="boredom",
                     operator="administrator")


# --- an old backup of the data database ---------------------------------------------------


def _run(command: list[str], db: dict) -> None:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [option, str(db[key])]
    done = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def _restore(dump, db: dict, restored: list[str]) -> str:
    name = f"casedesk_restore_{uuid.uuid4().hex[:12]}"
    _run(["createdb", name], db)
    restored.append(name)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--dbname", name, str(dump)], db)
    return name


def _stored_full_name(name: str, db: dict, person_id: int) -> str:
    import psycopg

    with psycopg.connect(dbname=name, host=db.get("HOST") or None,
                         port=db.get("PORT") or None, user=db.get("USER") or None,
                         password=db.get("PASSWORD") or None) as restored:
        row = restored.execute("SELECT full_name FROM people_person WHERE id = %s",
                               [person_id]).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_old_backup_cannot_be_read_after_erasure(register, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore need PostgreSQL")
    if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "createdb", "dropdb")):
        pytest.skip("the PostgreSQL client tools are not installed")
    case = register(applicant=PersonData(full_name=MOTHER, phone=PHONE))
    person = case.appeals.get().submitter
    db = connection.settings_dict
    dump = tmp_path / "data.dump"
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump),
          "--dbname", db["NAME"]], db)
    restored: list[str] = []
    try:
        # Control: the backup, restored, opens with the live key store.
        stored = _stored_full_name(_restore(dump, db, restored), db, person.pk)
        assert stored.startswith("ck1.") and MOTHER not in stored
        assert crypto.open_text(stored, "people_person.full_name") == MOTHER

        person_erase(actor=None, person=person, reason_code="request")

        # The same old backup, restored again: the ciphertext is still there, its key not.
        again = _stored_full_name(_restore(dump, db, restored), db, person.pk)
        assert again == stored
        with pytest.raises(crypto.KeyMissing):
            crypto.open_text(again, "people_person.full_name")
        crypto.cache_clear()
        with pytest.raises(crypto.KeyMissing):
            crypto.open_text(again, "people_person.full_name")
    finally:
        for name in restored:
            _run(["dropdb", "--if-exists", name], db)


def test_erasure_makes_the_answers_unreadable(own_case, staff, office):
    from casedesk.letters.answers import (
        answer_draft_save,
        answer_return,
        answer_sign,
        answer_submit,
    )
    from casedesk.letters.models import Answer

    worker, boss = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    case = case_transition(actor=worker, case=own_case, transition="information_received")
    answer_draft_save(actor=worker, case=case, text="Госпиталь Бурденко подтвердил лечение.",
                      outcome="upheld")
    signed = answer_sign(actor=worker, case=case)
    case = case_transition(actor=worker, case=case, transition="close")
    supplement = answer_draft_save(actor=worker, case=case, text="Дополнение про Бурденко.")
    answer_submit(actor=worker, case=case)
    answer_return(actor=boss, case=case, comment="Уточните диагноз Бурденко.")
    assert Answer.objects.get(pk=signed.pk).text.startswith("Госпиталь Бурденко")
    person_erase(actor=boss, person=case.service_member, reason_code="request")
    for answer in Answer.objects.filter(pk__in=[signed.pk, supplement.pk]):
        assert (answer.text, answer.return_comment) == ("", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, return_comment FROM letters_answer")
        assert all(row == ("", "") for row in cursor.fetchall())
    # The facts stay for the statistics and the register.
    kept = Answer.objects.get(pk=signed.pk)
    assert kept.outgoing_number == signed.outgoing_number and kept.outcome == "upheld"


# --- codes outside the encrypted columns (issue 15, findings 2 and 11) --------------------


def test_erasures_from_before_revoking_are_revoked_by_the_data_migration(own_case):
    """An erasure made by an older release left the access code working: the migration
    intake.0004 revokes it."""
    import importlib

    from django.apps import apps

    from casedesk.core import secrets

    person_erase(actor=None, person=own_case.service_member, reason_code="request")
    Case.objects.filter(pk=own_case.pk).update(
        access_code_hash=secrets.access_code_hash("ABCD-EFGH-JKMN"))
    migration = importlib.import_module(
        "casedesk.intake.migrations.0004_erased_cases_access_revoked")

    class Editor:
        connection = connection

    migration.revoke(apps, Editor())
    assert Case.objects.get(pk=own_case.pk).access_code_hash == ""


def test_erasure_blanks_the_similarity_signature_of_their_appeals(register):
    case = register(text=LETTER.format(applicant="Иванова Анна", member="Иванова Петра"))
    appeal = Appeal.objects.get(case=case)
    assert appeal.similarity
    person_erase(actor=None, person=appeal.submitter, reason_code="request")
    assert Appeal.objects.get(pk=appeal.pk).similarity == ""
