"""The COPY path of the bulk import: data keys stored by COPY in the key store, foreign keys
checked batch by batch and left deferred afterwards, deadlines worked out once per day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections, transaction
from django.utils import timezone

from casedesk import rulebook
from casedesk.cases.deadline_sync import deadlines_walk
from casedesk.cases.models import Case, CaseApplicant, Deadline, Relation
from casedesk.core import bulk, crypto
from casedesk.core.errors import ApplicationError
from casedesk.core.models import DataKey
from casedesk.intake import bulk_import
from casedesk.intake.bulk_import import appeals_import
from casedesk.intake.tests.test_bulk_import import MOTHER, SELF, WIFE, counts
from casedesk.people.models import Person


def test_data_keys_are_copied_to_the_key_store_and_open_the_data(csv_file, clerk, office):
    rows = [{**MOTHER, "external_id": f"m{i}"} for i in range(4)] + [SELF]
    appeals_import(actor=clerk, office=office, path=csv_file(rows), batch=2, use_copy=True)
    people = list(Person.objects.all())
    assert len(people) == 9  # four mothers and their sons, one service member himself
    keys = {k.id: k for k in DataKey.objects.all()}
    assert set(keys) == {p.key_id for p in people}
    current = crypto.master_keys().current
    assert all(k.master_key == current and k.created_at for k in keys.values())
    crypto.cache_clear()  # read back through the key store, not this process's cache
    names = sorted(Person.objects.values_list("full_name", flat=True))
    assert names.count("Сидорова Мария Ивановна") == 4 and "Petrov Ivan" in names


def test_foreign_keys_are_checked_as_rows_go_in_and_deferred_again_after(
        csv_file, clerk, office):
    appeals_import(actor=clerk, office=office, path=csv_file([MOTHER, WIFE]), use_copy=True)
    case = Case.objects.first()
    # Django declares foreign keys DEFERRABLE INITIALLY DEFERRED; the import checks them at
    # the end of each COPY while it writes, and puts them back as they were.
    with transaction.atomic():
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "INSERT INTO cases_deadline (case_id, rule, starts_on, due_on, flag, "
                "extension_days, pauses) VALUES (%s, 'x', now(), now(), 'ok', 0, '[]')",
                [case.pk + 10_000])  # no such case: accepted until the commit
        transaction.set_rollback(True)


def test_a_row_pointing_nowhere_stops_the_import_at_its_batch(csv_file, clerk, office,
                                                               monkeypatch):
    """Foreign keys are checked batch by batch: a broken reference in the second batch
    fails that batch's COPY, before the third is sent; everything is rolled back, the
    data keys included."""
    before = counts()
    original_write, original_row = bulk_import._CopyTable.write, bulk_import._CopyTable.row
    sent, made = [], []

    def row(self, values, key_id, now):  # runs in the importing thread
        out = original_row(self, values, key_id, now)
        if self.model is CaseApplicant:
            made.append(values["case_id"])
            if len(made) in (3, 4):  # the second batch
                out[[f.attname for f in self.fields].index("person_id")] = 10**12
        return out

    def write(self, raw, data):  # runs in the sender thread
        if self.model is CaseApplicant:
            sent.append(data.count(b"\n"))
        original_write(self, raw, data)

    monkeypatch.setattr(bulk_import._CopyTable, "row", row)
    monkeypatch.setattr(bulk_import._CopyTable, "write", write)
    rows = [{**WIFE, "external_id": f"w{i}"} for i in range(6)]
    with pytest.raises(ApplicationError):  # IntegrityError, reported as for a commit
        appeals_import(actor=clerk, office=office, path=csv_file(rows), batch=2,
                       use_copy=True)
    assert sent == [2, 2]
    after = counts()
    after.pop("CaseNumberCounter")
    before.pop("CaseNumberCounter")
    assert after == before


def test_rows_received_the_same_day_share_the_deadlines_of_that_day(csv_file, clerk, office):
    rows = [{**WIFE, "external_id": f"w{i}", "received_at": f"0{day}.03.2026 1{i}:00"}
            for i, day in enumerate((2, 2, 6, 6, 6))]
    appeals_import(actor=clerk, office=office, path=csv_file(rows), use_copy=True)
    today = timezone.localdate()
    for case in Case.objects.all():
        day = timezone.localtime(case.received_at).date()
        expected = deadlines_walk(rulebook.get(case.rulebook_version), case.procedure,
                                  ["received", "registered"], [day, day], today=today)
        stored = Deadline.objects.filter(case=case).order_by("id")
        assert [(d.rule, d.starts_on, d.due_on, d.closed_on, d.met) for d in stored] == [
            (e.rule, e.starts_on, e.due_on, e.closed_on, e.met) for e in expected]
        open_due = [e.due_on for e in expected if e.closed_on is None]
        assert case.next_due_on == min(open_due)
    assert {timezone.localtime(c.received_at).date() for c in Case.objects.all()} == {
        dt.date(2026, 3, 2), dt.date(2026, 3, 6)}


def test_copy_text_round_trips_through_postgresql(db):
    """The rows the importing thread formats for COPY come back from PostgreSQL as they
    were: escapes, NULLs, booleans, dates, times with offsets, bytes, choices."""
    moscow = dt.timezone(dt.timedelta(hours=3))
    rows = [
        ["tab\there", "line\nbreak\r\n", "back\\slash \\N", None, True, 7,
         dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=moscow),
         b"\x00\x01\\\xff", Relation.MOTHER],
        ["Сидорова «Мария»", "", "ck1.abc+/=", 5, False, -3, None, None, b"", "self"],
    ]
    with connections["default"].cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE copy_text_check (a text, b text, c text, "
                       "d int, e bool, f int, g date, h timestamptz, i bytea, j text)")
        raw = connections["default"].connection
        with raw.cursor() as pg, pg.copy("COPY copy_text_check FROM STDIN") as copy:
            copy.write(bulk.copy_text(rows))
        cursor.execute("SELECT * FROM copy_text_check")
        back = [list(row) for row in cursor.fetchall()]
    rows[0][9] = "mother"
    assert [[bytes(v) if isinstance(v, memoryview) else v for v in row] for row in back] == rows
    with pytest.raises(TypeError):
        bulk.copy_text([[["a list"]]])
