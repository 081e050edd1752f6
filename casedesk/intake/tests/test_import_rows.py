"""The CSV import writes what the other paths write: its COPY rows, made from plain values,
are stored exactly as ``core.bulk.create`` stores the same rows given as model instances;
its cases are those ``case_prepare`` works out and its events those ``cases.events``
builds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from casedesk.cases import events
from casedesk.cases.models import Appeal, Case, CaseEvent, Deadline
from casedesk.cases.services import case_prepare
from casedesk.cases.workflow import TRANSITIONS
from casedesk.core import bulk, crypto
from casedesk.core.fields import _Encrypted
from casedesk.core.models import Region
from casedesk.core.states import CaseState
from casedesk.intake import bulk_import
from casedesk.intake.bulk_import import appeals_import
from casedesk.intake.tests.test_bulk_import import MOTHER, WIFE
from casedesk.people.models import Person

pytestmark = pytest.mark.django_db

AT = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 15))


def by_import(model, values: dict, *, key_id: str | None = None) -> int:
    """Store ``values`` as the import's COPY emitter does; the row's id."""
    with_id = "id" in values
    table = bulk_import._copy_table(model, with_id=with_id)
    data = bulk.copy_text([table.row(values, key_id, timezone.now())])
    connection.ensure_connection()
    table.write(connection.connection, data)
    if with_id:
        return values["id"]
    return model.objects.order_by("-id").values_list("id", flat=True)[0]


def by_create(obj, **kwargs) -> int:
    bulk.create([obj], **kwargs)
    return obj.pk if obj.pk else type(obj).objects.order_by("-id").values_list(
        "id", flat=True)[0]


def stored(model, pk: int) -> dict:
    """Every column of the row as stored, but its id and automatic dates; sealed columns
    as their plaintext (their ciphertexts differ, by their random nonces)."""
    loaded = model.objects.get(pk=pk)
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608
        raw = dict(zip([c.name for c in cursor.description], cursor.fetchone(), strict=True))
    out = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        out[f.column] = getattr(loaded, f.attname) if isinstance(f, _Encrypted) \
            else raw[f.column]
    return out


def new_id(model) -> int:
    return next(bulk.new_ids(model, 1))


def test_the_import_rows_are_stored_as_bulk_create_stores_the_same_rows(office, clerk):
    region = Region.objects.order_by("code").first()
    key_id = crypto.keys_new(1)[0]
    person = dict(full_name="Сидорова Мария Ивановна", birth_date=dt.date(1970, 5, 3),
                  email="maria@example.org", phone="+7 900 111-22-33",
                  postal_address="Курск,\tул. Примерная\\5\nкв. 2", service_type="mobilized",
                  unit="54321", region_id=region.pk)
    a = by_import(Person, {**person, "id": new_id(Person), "key_id": key_id}, key_id=key_id)
    b = by_create(Person(**person, key_id=key_id))
    assert stored(Person, a) == stored(Person, b)
    assert stored(Person, a)["name_birth_index"]  # computed, not left empty

    member = Person.objects.get(pk=a)
    prepared = case_prepare(office=office, service_member=member, category="other",
                            received_at=AT).case
    columns = bulk_import._columns(prepared, leave_out=())
    prepared.sequence, prepared.number = 1, f"{office.code}-2026-000001"
    a = by_import(Case, {**columns, "id": new_id(Case), "sequence": 2,
                         "number": f"{office.code}-2026-000002"})
    b = by_create(prepared)
    case_a, case_b = stored(Case, a), stored(Case, b)
    assert case_a.pop("sequence") == 2 and case_a.pop("number").endswith("2")
    case_b.pop("sequence"), case_b.pop("number")
    assert case_a == case_b

    case = Case.objects.get(pk=b)
    appeal = dict(channel="letter", received_at=AT, language="ru",
                  text="Сын не вернулся\tиз отпуска \\ часть", request="Проверить",
                  registered_by_id=clerk.pk, idempotency_key="imp1:x")
    a = by_import(Appeal, {**appeal, "case_id": case.pk, "submitter_id": member.pk},
                  key_id=key_id)
    b = by_create(Appeal(**{**appeal, "idempotency_key": "imp1:y"}, case=case,
                         submitter=member), ids=False)
    appeal_a, appeal_b = stored(Appeal, a), stored(Appeal, b)
    assert appeal_a.pop("idempotency_key") != appeal_b.pop("idempotency_key")
    assert appeal_a == appeal_b

    for event in (events.case_opened_new(case, at=AT, actor=clerk, channel="letter"),
                  events.state_changed_new(case, at=AT, actor=clerk, transition="register",
                                           source="received", target="registered",
                                           public=False),
                  events.filing_limit_passed_new(case, at=AT, limit="three_months",
                                                 last_day=dt.date(2026, 1, 2))):
        values = bulk_import._columns(event, leave_out=())
        a = by_import(CaseEvent, values)
        b = by_create(event, ids=False)
        assert stored(CaseEvent, a) == stored(CaseEvent, b)

    deadline = dict(rule="answer", starts_on=AT.date(), due_on=AT.date() + dt.timedelta(30),
                    closed_on=None, met=None, flag="ok",
                    pauses=[["2026-03-03", None]])
    a = by_import(Deadline, {**deadline, "case_id": case.pk})
    b = by_create(Deadline(case=case, **deadline), ids=False)
    assert stored(Deadline, a) == stored(Deadline, b)


def test_imported_cases_are_what_case_prepare_works_out_and_registered(csv_file, clerk,
                                                                       office):
    appeals_import(actor=clerk, office=office, path=csv_file([MOTHER, WIFE]), use_copy=True)
    for case in Case.objects.select_related("service_member"):
        prepared = case_prepare(office=office, service_member=case.service_member,
                                category=case.category, subcategory=case.subcategory,
                                received_at=case.received_at,
                                violation_known_on=case.violation_known_on).case
        different = {f.attname for f in Case._meta.concrete_fields
                     if getattr(case, f.attname) != getattr(prepared, f.attname)}
        # Registered at once (its number, state and deadlines); saved (id, dates).
        assert different <= {"id", "number", "sequence", "state", "registered_at",
                             "next_due_on", "deadline_flag", "created_at", "updated_at"}
        assert case.state == CaseState.REGISTERED and case.registered_at == case.received_at
        stored_events = [(e.kind, e.actor_id, e.public, e.data, e.texts)
                         for e in case.events.order_by("id")]
        built = [events.case_opened_new(case, at=case.received_at, actor=clerk,
                                        channel=case.appeals.get().channel),
                 events.state_changed_new(case, at=case.received_at, actor=clerk,
                                          transition="register", source="received",
                                          target="registered",
                                          public=TRANSITIONS["register"].public)]
        assert stored_events[:1] + stored_events[-1:] == [
            (str(e.kind), e.actor_id, e.public, e.data, e.texts) for e in built]


def test_an_imported_text_that_looks_sealed_is_sealed_all_the_same(csv_file, clerk, office):
    text = "ck1.abc.def: a text that begins as a ciphertext does"
    appeals_import(actor=clerk, office=office, path=csv_file([{**WIFE, "text": text}]),
                   use_copy=True)
    appeal = Appeal.objects.get()
    assert appeal.text == text
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_appeal WHERE id = %s", [appeal.pk])
        assert cursor.fetchone()[0] != text
