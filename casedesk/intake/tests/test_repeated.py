"""Repeated appeals (59-FZ art. 11 part 5): a new appeal from the same applicant about the
same matter after the office answered is flagged after the receipt (``Case.repeated_of``,
``intake.selectors.repeated_of``, ``intake.services.repeats_flag``), from the desk, the
public API with batching on and the CSV import, and never across offices."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.intake import batching
from casedesk.intake.bulk_import import appeals_import
from casedesk.intake.public import appeal_submit
from casedesk.intake.selectors import repeated_of
from casedesk.intake.services import PersonData, appeal_register, repeats_flag
from casedesk.intake.tests.test_bulk_import import write_csv
from casedesk.testing import at

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

MOTHER = PersonData(full_name="Кузнецова Анна Петровна", email="anna@example.org",
                    phone="+7 900 123-45-67", postal_address="Тула, ул. Мира, 1")
SON = PersonData(full_name="Кузнецов Андрей Иванович", birth_date=dt.date(1990, 5, 1),
                 unit="74814", service_type="mobilized")
TEXT = "Сына записали в СОЧ, хотя он лежит в госпитале."


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    settings.TASKS = IMMEDIATE  # the flag's task runs as soon as it is queued


def desk(staff, office, *, applicant=MOTHER, member=SON, category="record_error_awol",
         received_at=None):
    return appeal_register(
        actor=staff[Role.INTAKE_CLERK], office=office, channel="letter", text=TEXT,
        applicant=applicant, relation="mother", service_member=member, category=category,
        received_at=received_at or at("2026-03-01")).case


def answered(staff, case, *, on="2026-03-10"):
    worker = staff[Role.CASEWORKER]
    case_transition(actor=worker, case=case, transition="start_review", at=at("2026-03-02"))
    return case_transition(actor=worker, case=case, transition="answer", outcome="explained",
                           answer=1, at=at(on))


def test_a_repeat_from_the_desk_is_flagged_after_the_commit(
        staff, office, django_capture_on_commit_callbacks):
    earlier = answered(staff, desk(staff, office))
    with django_capture_on_commit_callbacks(execute=True):
        # The same mother by her email alone (another phone), the son by name and unit.
        new = desk(staff, office, received_at=at("2026-04-01"),
                   applicant=PersonData(full_name="Кузнецова А. П.", email="ANNA@example.org"),
                   member=PersonData(full_name="кузнецов  андрей иванович", unit="74814"))
    new.refresh_from_db()
    assert new.repeated_of_id == earlier.pk
    assert repeated_of(new) == earlier


@pytest.mark.parametrize("change", [
    "other_applicant", "other_member", "other_category", "unanswered", "answered_later",
    "phone_only"])
def test_what_is_not_a_repeat(staff, office, change, django_capture_on_commit_callbacks):
    earlier = desk(staff, office)
    if change != "unanswered":
        answered(staff, earlier, on="2026-05-01" if change == "answered_later" else "2026-03-10")
    kwargs = {"received_at": at("2026-04-01")}
    if change == "other_applicant":
        kwargs["applicant"] = PersonData(full_name="Кузнецов Иван Петрович",
                                         email="ivan@example.org", phone="+7 901 000-00-00")
    elif change == "other_member":
        kwargs["member"] = PersonData(full_name="Кузнецов Олег Иванович",
                                      birth_date=dt.date(1992, 1, 1), unit="11111")
    elif change == "other_category":
        kwargs["category"] = "pay_suspended"
    elif change == "phone_only":  # same phone: the same applicant, so it IS a repeat
        kwargs["applicant"] = PersonData(full_name="Кузнецова Анна",
                                         phone="8 (900) 123 45 67")
    with django_capture_on_commit_callbacks(execute=True):
        new = desk(staff, office, **kwargs)
    new.refresh_from_db()
    expected = earlier.pk if change == "phone_only" else None
    assert new.repeated_of_id == expected


def test_an_answered_case_of_another_office_is_not_repeated(
        staff, office, other_office, make_user, django_capture_on_commit_callbacks):
    other = {role: make_user(role, other_office) for role in Role.values}
    answered(other, desk(other, other_office))
    with django_capture_on_commit_callbacks(execute=True):
        new = desk(staff, office, received_at=at("2026-04-01"))
    new.refresh_from_db()
    assert new.repeated_of_id is None


def test_the_flag_is_set_once_and_the_task_may_run_again(staff, office):
    earlier = answered(staff, desk(staff, office))
    new = desk(staff, office, received_at=at("2026-04-01"))
    assert repeats_flag(case_ids=[new.pk]) == [new.pk]
    assert repeats_flag(case_ids=[new.pk]) == []
    assert Case.objects.get(pk=new.pk).repeated_of_id == earlier.pk


def test_the_csv_import_flags_a_repeat_and_not_the_others(
        staff, office, tmp_path, django_capture_on_commit_callbacks):
    earlier = answered(staff, desk(staff, office))
    base = {"received_at": "2026-04-02 10:00", "channel": "letter",
            "category": "record_error_awol", "applicant_name": "Кузнецова Анна Петровна",
            "applicant_email": "anna@example.org", "relation": "mother",
            "member_name": "Кузнецов Андрей Иванович", "member_birth_date": "01.05.1990",
            "text": TEXT}
    rows = [base,
            {**base, "applicant_email": "someone@example.org", "text": TEXT + " 2"},
            {**base, "member_birth_date": "02.05.1990", "text": TEXT + " 3"}]
    with django_capture_on_commit_callbacks(execute=True):
        result = appeals_import(actor=staff[Role.INTAKE_CLERK], office=office,
                                path=write_csv(tmp_path / "a.csv", rows))
    assert result.ok and result.imported == 3
    flagged = dict(Case.objects.exclude(pk=earlier.pk).values_list("sequence", "repeated_of"))
    assert sorted(flagged.values(), key=str) == sorted([earlier.pk, None, None], key=str)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_public_api_with_batching_flags_a_repeat(settings):
    """Through the registrar's thread: the flag's task is queued after the batch commits."""
    from casedesk.accounts.models import Office, User

    office = Office.objects.create(code="MSK", name_ru="Москва", name_en="Moscow")
    staff = {}
    for role in Role.values:
        staff[role] = User.objects.create_user(username=role, password="x" * 16, role=role)
        staff[role].offices.set([office])
    earlier = answered(staff, desk(staff, office))
    settings.CASEDESK_INTAKE_BATCH = 50

    def send(n, applicant):
        return appeal_submit(
            channel="api", idempotency_key=f"repeat-key-{n:04d}", payload={"n": n},
            applicant=applicant, relation="mother", service_member=SON, text=TEXT,
            category="record_error_awol", language="ru", consent=True)

    registrar = batching.registrar()
    before = registrar.batches  # the registrar may have served earlier tests
    try:
        repeat = send(1, PersonData(full_name="Кузнецова Анна", phone="+79001234567"))
        other = send(2, PersonData(full_name="Петрова Анна", email="p@example.org"))
    finally:
        batching.registrar_stop()
    assert registrar.batches - before == 2  # written by the registrar's thread, not this one
    cases = {c.number: c.repeated_of_id for c in Case.objects.all()}
    assert cases[repeat.case_number] == earlier.pk
    assert cases[other.case_number] is None
