"""The duplicate flag's task (``intake.services.duplicates_flag``): queued after the
commit for imported cases too, run again without adding anything, and a failure logged
without personal data, leaving the cases as they were."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.intake import services, tasks
from casedesk.intake.bulk_import import appeals_import
from casedesk.intake.models import DuplicateFlag
from casedesk.intake.tests.test_bulk_import import write_csv

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ROW = {"received_at": "2026-04-02 10:00", "channel": "letter", "category": "other",
       "applicant_name": "Кузнецова Анна Петровна", "applicant_email": "anna@example.org",
       "relation": "mother", "member_name": "Кузнецов Андрей Иванович",
       "member_birth_date": "01.05.1990", "text": "Сына не отпускают домой."}


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    settings.TASKS = IMMEDIATE


def test_the_csv_import_flags_its_cases(staff, office, tmp_path,
                                        django_capture_on_commit_callbacks):
    rows = [ROW, {**ROW, "member_name": "Кузнецова Андрея", "text": "Второе письмо."},
            {**ROW, "member_name": "Петров Олег", "member_birth_date": "02.02.1980",
             "text": "Третье письмо."}]
    with django_capture_on_commit_callbacks(execute=True):
        result = appeals_import(actor=staff[Role.INTAKE_CLERK], office=office,
                                path=write_csv(tmp_path / "a.csv", rows))
    assert result.ok and result.imported == 3
    first, second, third = Case.objects.order_by("sequence")
    assert set(DuplicateFlag.objects.values_list("case_id", "person_id", "level")) == {
        (second.pk, first.service_member_id, "likely"),
        (first.pk, second.service_member_id, "likely")}
    assert not DuplicateFlag.objects.filter(case=third).exists()
    # Run again: nothing new, nothing changed.
    services.duplicates_flag(case_ids=[first.pk, second.pk, third.pk])
    assert DuplicateFlag.objects.count() == 2


def test_a_failure_is_logged_without_personal_data(staff, office, tmp_path, monkeypatch,
                                                   caplog):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "duplicates_flag", lambda **kw: [])
        result = appeals_import(actor=staff[Role.INTAKE_CLERK], office=office,
                                path=write_csv(tmp_path / "a.csv", [ROW]))
    case = Case.objects.get()

    def broken(**kwargs):
        raise ValueError("Кузнецов Андрей Иванович 01.05.1990")

    monkeypatch.setattr(services, "duplicates_flag", broken)
    assert tasks.duplicates_flag.call(case_ids=[case.pk]) == 0
    assert result.imported == 1
    assert "duplicates not checked: count=1 error=ValueError" in caplog.text
    assert "Кузнецов" not in caplog.text and "1990" not in caplog.text
    assert not DuplicateFlag.objects.exists()


def test_a_batch_is_checked_in_a_fixed_number_of_statements(
        staff, office, tmp_path, django_capture_on_commit_callbacks, monkeypatch):
    """The members of a batch and their data keys are read in one statement each, before
    anything is decrypted (a key missing from the cache was read alone while each row
    was decrypted: 300 reads of the key store for a batch of 300), and everyone's
    lookups are one statement; the fields the check compares read back as stored (here
    the unit, with no birth date)."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from casedesk.core import crypto

    monkeypatch.setattr(services, "duplicates_flag", lambda **kw: [])
    people = [("Кузнецов Андрей Иванович", "в/ч 74814"), ("Петров Олег Сергеевич",
                                                           "в/ч 11111"),
              ("Сидоров Иван Павлович", "в/ч 22222")]
    rows = [{**ROW, "member_name": name, "member_birth_date": "", "member_unit": unit,
             "text": f"Письмо {i}."} for i, (name, unit) in enumerate(people * 2)]
    with django_capture_on_commit_callbacks(execute=True):
        result = appeals_import(actor=staff[Role.INTAKE_CLERK], office=office,
                                path=write_csv(tmp_path / "a.csv", rows))
    assert result.ok and result.imported == 6
    monkeypatch.undo()
    ids = list(Case.objects.order_by("sequence").values_list("pk", flat=True))
    crypto.cache_clear()
    with CaptureQueriesContext(connections["keys"]) as keys, \
            CaptureQueriesContext(connections["default"]) as data:
        services.duplicates_flag(case_ids=ids)
    assert len(keys.captured_queries) == 1
    # The members, the lookups of all of them, their candidates' cases, the insert.
    assert len(data.captured_queries) == 4
    flags = {(case, level, tuple(reasons)) for case, level, reasons in
             DuplicateFlag.objects.values_list("case_id", "level", "reasons")}
    # Each man's two cases flag each other, likely: the same name and unit.
    assert len(flags) == 6
    assert {level for _case, level, _reasons in flags} == {"likely"}
    assert {reasons for _c, _l, reasons in flags} == {
        ("surname", "first_name", "patronymic", "unit")}
