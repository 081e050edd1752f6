"""CSV import: all rows checked first, every bad row reported, all or nothing, idempotent,
the same cases, people, deadlines and timeline as registering each appeal by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseNumberCounter,
    Deadline,
)
from casedesk.core.errors import ApplicationError
from casedesk.core.fields import blind_value
from casedesk.core.models import DataKey
from casedesk.core.secrets import key_hash
from casedesk.intake.bulk_import import COLUMNS, appeals_import
from casedesk.intake.services import PersonData, appeal_register
from casedesk.people.models import Person

MOTHER = {
    "received_at": "2026-03-02 10:15", "channel": "letter", "category": "record_error_awol",
    "language": "ru", "applicant_name": "Сидорова  Мария Ивановна",
    "applicant_email": "maria@example.org", "applicant_phone": "+7 900 111-22-33",
    "applicant_address": "Курск, ул. Примерная, д. 5", "relation": "mother",
    "member_name": "Сидоров Олег Петрович", "member_birth_date": "01.05.1998",
    "member_unit": "54321", "member_service_type": "mobilized", "member_region": "RU-KRS",
    "text": "Сына записали в СОЧ, хотя он с 10.02.2026 лежит в госпитале.",
    "request": "Прошу исправить запись.",
}
SELF = {
    "received_at": "2026-02-27T09:00:00+03:00", "channel": "email",
    "category": "demobilization_term", "language": "en",
    "applicant_name": "Petrov Ivan", "applicant_email": "ivan@example.org",
    "relation": "self", "member_birth_date": "1985-11-30", "member_unit": "12345",
    "member_service_type": "contract", "text": "My contract ended in January, I am not "
    "discharged.",
}
WIFE = {
    "received_at": "03.03.2026 16:40", "applicant_name": "Орлова Анна", "relation": "wife",
    "member_name": "Орлов Денис", "text": "Муж не получает выплату за ранение.",
    "category": "insurance_payment",
}
PERSONAL = ("Сидоров", "Мария", "Олег", "maria@example.org", "Курск", "Petrov", "Орлов",
            "ivan@example.org", "госпитале", "54321", "111-22-33")


def write_csv(path, rows, *, columns=COLUMNS, delimiter=",", bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns] if isinstance(row, dict) else row)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def counts():
    return {model.__name__: model.objects.count() for model in (
        Case, Person, Appeal, CaseApplicant, CaseEvent, Deadline, CaseNumberCounter,
        AuditEntry, DataKey)}


# Both writers: COPY (PostgreSQL) and bulk_create (any database).
WRITERS = pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "bulk_create"])


@WRITERS
def test_a_good_file_imports_every_row_as_a_registered_case(csv_file, clerk, office, use_copy):
    path = csv_file([MOTHER, SELF, WIFE])
    result = appeals_import(actor=clerk, office=office, path=path, use_copy=use_copy)
    assert result.ok and (result.rows, result.imported, result.already_imported) == (3, 3, 0)

    # Numbered in the order the appeals were received, not the order of the file.
    cases = list(Case.objects.order_by("sequence"))
    assert [c.number for c in cases] == ["MSK-2026-000001", "MSK-2026-000002",
                                         "MSK-2026-000003"]
    self_case, mother_case, wife_case = cases
    assert {c.state for c in cases} == {"registered"}
    assert mother_case.category == "record_error_awol" and mother_case.rulebook_version
    assert mother_case.received_at == dt.datetime(2026, 3, 2, 10, 15,
                                                  tzinfo=timezone.get_current_timezone())
    assert mother_case.registered_at == mother_case.received_at

    member = Person.objects.get(pk=mother_case.service_member_id)
    assert (member.full_name, member.birth_date, member.unit, member.service_type,
            member.region.code) == ("Сидоров Олег Петрович", dt.date(1998, 5, 1), "54321",
                                    "mobilized", "RU-KRS")
    assert member.name_birth_index == blind_value("name+birth", "Сидоров Олег Петрович",
                                                  dt.date(1998, 5, 1))
    link = mother_case.applicant_links.get()
    mother = Person.objects.get(pk=link.person_id)
    assert link.relation == "mother"
    assert (mother.full_name, mother.email, mother.phone, mother.postal_address,
            mother.service_type) == ("Сидорова Мария Ивановна", "maria@example.org",
                                     "+7 900 111-22-33", "Курск, ул. Примерная, д. 5", "")
    assert mother.email_index == blind_value("email", "maria@example.org")
    appeal = Appeal.objects.get(case=mother_case)
    assert (appeal.text, appeal.request, appeal.channel, appeal.language,
            appeal.submitter_id, appeal.registered_by) == (
        MOTHER["text"], MOTHER["request"], "letter", "ru", mother.pk, clerk)
    assert appeal.search_tokens and appeal.idempotency_key.startswith("imp1:")
    # Stored encrypted: the name is not in the row.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT full_name FROM people_person WHERE id = %s", [mother.pk])
        assert cursor.fetchone()[0].startswith("ck1.")

    # A service member writing himself is one person, with his service details.
    assert self_case.applicant_links.get().person_id == self_case.service_member_id
    himself = Person.objects.get(pk=self_case.service_member_id)
    assert (himself.full_name, himself.birth_date, himself.service_type) == (
        "Petrov Ivan", dt.date(1985, 11, 30), "contract")
    assert Appeal.objects.get(case=self_case).channel == "email"
    # Defaults: channel "import", language ru, service type unknown.
    wife_appeal = Appeal.objects.get(case=wife_case)
    assert (wife_appeal.channel, wife_appeal.language) == ("import", "ru")
    assert Person.objects.get(pk=wife_case.service_member_id).service_type == "unknown"
    assert Person.objects.count() == 5
    assert DataKey.objects.count() == 5


@WRITERS
def test_imported_cases_match_cases_registered_through_the_service(csv_file, clerk, office,
                                                                   register, use_copy):
    at = timezone.localtime() - dt.timedelta(days=2)
    row = {**MOTHER, "received_at": at.strftime("%Y-%m-%d %H:%M:%S")}
    appeals_import(actor=clerk, office=office, path=csv_file([row]), use_copy=use_copy)
    imported = Case.objects.get()
    by_hand = register(at=at.replace(microsecond=0), category="record_error_awol")

    def shape(case):
        case.refresh_from_db()
        deadlines = [(d.rule, d.starts_on, d.due_on, d.closed_on, d.met, d.flag)
                     for d in case.deadlines.order_by("rule")]
        events = [(e.kind, e.actor_id, e.public, e.data, e.texts) for e in case.events.all()]
        return (case.state, case.registered_at, case.next_due_on, case.deadline_flag,
                case.procedure, case.rulebook_version, deadlines, events)

    assert shape(imported) == shape(by_hand)
    assert {d.rule for d in imported.deadlines.all()} == {"registration", "forwarding", "answer"}


def test_every_bad_row_is_reported_and_nothing_is_imported(csv_file, clerk, office):
    rows = [
        MOTHER,                                                               # row 2: good
        {**WIFE, "received_at": "вчера", "category": "space_travel"},         # row 3
        {**SELF, "relation": "self", "member_name": "Другой Человек"},       # row 4
        WIFE,                                                                 # row 5: good
        {**MOTHER, "member_name": "", "member_region": "RU-XX",
         "member_birth_date": "31.02.1990", "applicant_email": "not-an-email"},  # row 6
        ["2026-03-01", "letter"],                                             # row 7
        {**WIFE, "text": "", "channel": "pigeon", "received_at": "2099-01-01 10:00"},  # row 8
        {**WIFE, "external_id": "R-1", "relation": "neighbour", "language": "de"},   # row 9
    ]
    before = counts()
    result = appeals_import(actor=clerk, office=office, path=csv_file(rows))
    assert not result.ok and result.imported == 0
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "received_at"), (3, "category"),
        (4, "member_name"),
        (6, "member_name"), (6, "member_region"), (6, "member_birth_date"),
        (6, "applicant_email"),
        (7, ""),
        (8, "text"), (8, "channel"), (8, "received_at"),
        (9, "relation"), (9, "language"),
    }
    assert all(e.text() for e in result.errors)
    assert counts() == before


def test_the_command_lists_each_bad_row_and_fails(csv_file, office, clerk):
    path = csv_file([MOTHER, {**WIFE, "received_at": "someday"}, {**WIFE, "relation": ""}])
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError, match="Errors found: 2"):
        call_command("import_appeals", str(path), office="MSK", user=clerk.username,
                     operator=clerk.username,
                     language="en", stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert lines == [
        "Row 3, column received_at: Not a date and time: write 2026-03-01 14:30 or "
        "01.03.2026 14:30.",
        "Row 4, column relation: Choose who the applicant is.",
    ]
    assert counts() == before


def test_header_errors_are_reported(csv_file, clerk, office):
    columns = ("received_at", "applicant_name", "relation", "txt")
    result = appeals_import(actor=clerk, office=office,
                            path=csv_file([["2026-03-01", "A", "self", "t"]], columns=columns))
    assert {(e.row, e.column) for e in result.errors} == {(1, "txt"), (1, "text")}


def test_a_row_repeated_in_the_file_is_an_error(csv_file, clerk, office):
    result = appeals_import(actor=clerk, office=office, path=csv_file([MOTHER, WIFE, MOTHER]))
    assert [(e.row, e.params) for e in result.errors] == [(4, {"row": 2})]
    assert Case.objects.count() == 0


def test_cells_that_are_not_utf8_are_named(tmp_path, clerk, office):
    path = write_csv(tmp_path / "a.csv", [MOTHER, WIFE])
    data = path.read_bytes().replace("Орлов Денис".encode(), "Орлов Денис".encode("cp1251"))
    path.write_bytes(data)
    result = appeals_import(actor=clerk, office=office, path=path)
    assert [(e.row, e.column) for e in result.errors] == [(3, "member_name")]


def test_semicolons_a_byte_order_mark_and_multiline_cells_are_read(csv_file, clerk, office):
    row = {**WIFE, "text": "Первая строка;\nвторая строка, с запятой"}
    path = csv_file([row, MOTHER], delimiter=";", bom=True)
    result = appeals_import(actor=clerk, office=office, path=path)
    assert result.ok and result.imported == 2
    assert Appeal.objects.get(case__received_at__day=3).text == row["text"]


def test_reimporting_a_file_creates_no_duplicates(csv_file, clerk, office):
    path = csv_file([MOTHER, SELF])
    assert appeals_import(actor=clerk, office=office, path=path).imported == 2
    before = counts()

    again = appeals_import(actor=clerk, office=office, path=path)
    assert again.ok and (again.imported, again.already_imported) == (0, 2)
    assert counts() == before  # not even an audit entry

    # The file grew: only the new row is imported.
    grown = appeals_import(actor=clerk, office=office,
                           path=csv_file([SELF, WIFE, MOTHER], name="grown.csv"))
    assert (grown.imported, grown.already_imported) == (1, 2)
    assert Case.objects.count() == 3
    assert Case.objects.order_by("-sequence").first().number == "MSK-2026-000003"


def test_an_external_id_identifies_the_row_even_if_it_was_corrected(csv_file, clerk, office):
    appeals_import(actor=clerk, office=office,
                   path=csv_file([{**WIFE, "external_id": "Вх-17"}]))
    corrected = {**WIFE, "external_id": "Вх-17", "applicant_name": "Орлова Анна Сергеевна"}
    result = appeals_import(actor=clerk, office=office, path=csv_file([corrected], name="b.csv"))
    assert (result.imported, result.already_imported) == (0, 1)
    assert Appeal.objects.get().idempotency_key == "imp1:" + key_hash(
        "\x1f".join(("import-id", "MSK", "Вх-17")))


def test_a_dry_run_checks_and_counts_but_writes_nothing(csv_file, clerk, office):
    path = csv_file([MOTHER, SELF, WIFE])
    before = counts()
    result = appeals_import(actor=clerk, office=office, path=path, dry_run=True)
    assert result.ok and (result.dry_run, result.imported) == (True, 3)
    assert counts() == before

    out = io.StringIO()
    call_command("import_appeals", str(path), office="MSK", dry_run=True, language="en",
                 operator=clerk.username,
                 stdout=out)
    assert "would be imported: 3" in out.getvalue()
    assert counts() == before


def test_one_audit_entry_with_counts_and_nothing_personal(csv_file, clerk, office):
    appeals_import(actor=clerk, office=office, path=csv_file([MOTHER, SELF, WIFE]))
    entry = AuditEntry.objects.get(action="appeal.import")
    assert AuditEntry.objects.count() == 1
    assert (entry.actor_id, entry.actor_kind) == (clerk.pk, "staff")
    assert (entry.object_type, entry.object_id) == ("office", str(office.pk))
    assert entry.data == {"count": 3, "format": "csv"}
    row = " ".join(str(v) for v in (entry.action, entry.object_type, entry.object_id,
                                    entry.ip, entry.data))
    for text in PERSONAL:
        assert text not in row


def test_the_command_imports_as_the_system(csv_file, office, clerk):
    out = io.StringIO()
    call_command("import_appeals", str(csv_file([MOTHER, WIFE])), office="MSK",
                 language="en", operator=clerk.username, stdout=out)
    assert "Imported: 2 appeals" in out.getvalue()
    # no --user: the system imports, and the entry names the operator who ran the command
    entry = AuditEntry.objects.get(action="appeal.import")
    assert (entry.actor_id, entry.actor_kind) == (clerk.pk, "command")
    assert set(Appeal.objects.values_list("registered_by", flat=True)) == {None}


def test_only_registering_staff_of_the_office_may_import(csv_file, staff, office, make_user,
                                                         other_office):
    path = csv_file([MOTHER])
    for actor in (staff[Role.ANALYST], staff[Role.COMMISSION_MEMBER],
                  make_user(Role.INTAKE_CLERK, other_office)):
        with pytest.raises(ApplicationError):
            appeals_import(actor=actor, office=office, path=path)
    assert Case.objects.count() == 0


def test_the_number_of_queries_does_not_grow_with_the_rows(csv_file, clerk, office):
    def queries(rows, name):
        path = csv_file(rows, name=name)
        with CaptureQueriesContext(connections["default"]) as data, \
                CaptureQueriesContext(connections["keys"]) as keys:
            result = appeals_import(actor=clerk, office=office, path=path)
        assert result.imported == len(rows)
        return len(data), len(keys)

    queries([SELF], "first.csv")  # the year's number counter and the actor's offices
    few = queries([MOTHER, WIFE], "few.csv")
    many = queries([{**MOTHER, "external_id": f"m{i}"} for i in range(30)], "many.csv")
    assert few == many


def test_existing_appeals_registered_by_hand_are_untouched(csv_file, clerk, office):
    appeal_register(actor=clerk, office=office, channel="letter", text="Другое обращение",
                    applicant=PersonData(full_name="Кто-то"), relation="self",
                    category="other")
    appeals_import(actor=clerk, office=office, path=csv_file([MOTHER]))
    assert dict(Case.objects.values_list("category", "number")) == {
        "other": "MSK-2026-000001", "record_error_awol": "MSK-2026-000002"}


@WRITERS
def test_a_failure_while_writing_leaves_nothing_behind(csv_file, clerk, office, monkeypatch,
                                                       use_copy):
    """All or nothing: a database error in the third batch undoes the first two, data keys
    included (the case numbers reserved beforehand are given back: test_import_interrupted)."""
    from casedesk.intake import bulk_import

    before = counts()
    calls = []
    if use_copy:
        original = bulk_import._CopyTable.write

        def write(self, raw, rows):  # runs in the sender thread
            calls.append(self.model)
            if len(calls) > 12:  # six tables per batch
                raise RuntimeError("disk full")
            original(self, raw, rows)

        monkeypatch.setattr(bulk_import._CopyTable, "write", write)
    else:
        original = bulk_import._BulkCreateEmitter.emit

        def write(self, batch):
            calls.append(batch)
            if len(calls) > 2:
                raise RuntimeError("disk full")
            return original(self, batch)

        monkeypatch.setattr(bulk_import._BulkCreateEmitter, "emit", write)
    rows = [{**WIFE, "external_id": f"w{i}"} for i in range(5)]
    with pytest.raises(RuntimeError, match="disk full"):
        appeals_import(actor=clerk, office=office, path=csv_file(rows), batch=2,
                       use_copy=use_copy)
    after = counts()
    assert after.pop("CaseNumberCounter") == 1
    before.pop("CaseNumberCounter")
    assert after == before


def test_rows_stored_by_a_concurrent_import_refuse_the_whole_import(csv_file, clerk, office,
                                                                    monkeypatch):
    from casedesk.intake import bulk_import

    path = csv_file([MOTHER, WIFE])
    appeals_import(actor=clerk, office=office, path=path)
    before = counts()
    # As if another import stored the same rows between our check and our write.
    monkeypatch.setattr(bulk_import, "_stored_keys", lambda keys: set())
    with pytest.raises(ApplicationError) as refused:
        appeals_import(actor=clerk, office=office, path=path)
    assert refused.value.code == "concurrent_import"
    after = counts()
    assert after.pop("CaseNumberCounter") == before.pop("CaseNumberCounter")
    assert after == before


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-01 14:30", dt.datetime(2026, 3, 1, 14, 30)),
    ("2026-03-01T14:30:15", dt.datetime(2026, 3, 1, 14, 30, 15)),
    ("2026-03-01", dt.datetime(2026, 3, 1)),
    ("01.03.2026 14:30", dt.datetime(2026, 3, 1, 14, 30)),
    ("1.3.2026 9:05:07", dt.datetime(2026, 3, 1, 9, 5, 7)),
    ("01.03.2026", dt.datetime(2026, 3, 1)),
    ("31.02.2026", None), ("01.03.2026 25:00", None), ("2026-13-01", None),
    ("01/03/2026", None), ("вчера", None), ("01.03.26", None),
])
def test_received_at_formats(text, expected):
    from casedesk.intake.bulk_import import _parse_datetime

    tz = timezone.get_current_timezone()
    parsed = _parse_datetime(text, tz)
    assert parsed == (timezone.make_aware(expected, tz) if expected else None)


def test_an_offset_in_received_at_is_kept():
    from casedesk.intake.bulk_import import _parse_datetime

    parsed = _parse_datetime("2026-03-01T14:30:00+05:00", timezone.get_current_timezone())
    assert parsed == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("1990-05-01", dt.date(1990, 5, 1)), ("01.05.1990", dt.date(1990, 5, 1)),
    ("1.5.1990", dt.date(1990, 5, 1)), ("29.02.1990", None), ("01.05.1990 10:00", None),
    ("май 1990", None), ("", None),
])
def test_date_formats(text, expected):
    from casedesk.intake.bulk_import import _parse_date

    assert _parse_date(text) == expected


@WRITERS
def test_imported_appeals_are_found_by_the_staff_search(csv_file, clerk, office, use_copy):
    from casedesk.cases.search import case_search

    appeals_import(actor=clerk, office=office, path=csv_file([MOTHER, SELF, WIFE]),
                   use_copy=use_copy)

    def found(query):
        return {c.category for c in case_search(Case.objects.all(), query)}

    assert found("госпиталь") == {"record_error_awol"}
    assert found("выплата ранение") == {"insurance_payment"}
    assert found("discharged contract") == {"demobilization_term"}
    assert found("исправить") == {"record_error_awol"}  # the request counts too
    assert found("MSK-2026-000002") == {"record_error_awol"}


def test_an_old_register_is_imported_with_its_old_appeals(csv_file, clerk, office):
    """An office moving to casedesk imports last year's register: appeals received before
    the first rulebook came into force are taken (and shown overdue if they are), unlike
    at the desk, where such a date is a typo (docs/import.md)."""
    path = csv_file([{**MOTHER, "received_at": "2025-06-02 10:15"}, WIFE])
    result = appeals_import(actor=clerk, office=office, path=path)
    assert result.ok, result.errors
    old = Case.objects.get(year=2025)
    assert old.received_at.date() == dt.date(2025, 6, 2) and old.state == "registered"
    assert old.deadlines.exists()
