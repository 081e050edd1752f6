"""Facts stored for new cases (casedesk.facts.services): encrypted under the service
member's key, once per appeal, queued by the hook after the receipt (never on the intake
path), a failure logged without a word of the text; filling a field by a click."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.core.errors import ApplicationError
from casedesk.facts import services, tasks
from casedesk.facts.models import Fact
from casedesk.intake.services import PersonData, appeal_register

TEXT = ("Мой сын, рядовой Кузнецов Андрей Викторович, служит в войсковой части 74814. "
        "С 12 марта по 5 апреля 2024 года он лежал в госпитале, ВВК определила категорию "
        "«В», но его снова отправляют. Выплата 195 000 руб. по ст. 51 Федерального закона "
        "№ 53-ФЗ не получена.")


def register(user, office, *, unit="", text=TEXT):
    return appeal_register(
        actor=user, office=office, channel="letter", text=text,
        applicant=PersonData(full_name="Кузнецова Мария Ивановна",
                             postal_address="Тула, ул. Мира, 1"),
        relation="mother",
        service_member=PersonData(full_name="Кузнецов Андрей Викторович", unit=unit),
        category="other").case


@pytest.fixture
def case(staff, office):
    return register(staff[Role.INTAKE_CLERK], office)


def test_facts_are_stored_encrypted_once_per_appeal(case):
    stored = services.facts_extract(case_ids=[case.pk])

    facts = list(Fact.objects.filter(case=case))
    assert stored == len(facts) > 0
    found = {(f.type, f.normal) for f in facts}
    assert {("UNIT", "74814"), ("RANK", "рядовой"), ("DATE", "2024-03-12/2024-04-05"),
            ("FITNESS", "В"), ("MONEY", "195000"), ("LAW", "53-ФЗ ст. 51")} <= found
    assert any(t == "PER" for t, _n in found)
    appeal = case.appeals.get()
    for fact in facts:
        assert appeal.text[fact.start:fact.end] == fact.text
    # At rest: ciphertext only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, normal FROM facts_fact WHERE case_id = %s", [case.pk])
        raw = " ".join(" ".join(row) for row in cursor.fetchall())
    assert "74814" not in raw and "Кузнецов" not in raw and "рядовой" not in raw
    # Run again (a retried task): nothing added.
    assert services.facts_extract(case_ids=[case.pk]) == 0
    assert Fact.objects.filter(case=case).count() == len(facts)


def test_the_hook_queues_the_task_after_the_receipt(staff, office, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks, "facts_extract", SimpleNamespace(
        enqueue=lambda **kwargs: queued.append(kwargs["case_ids"])))
    with django_capture_on_commit_callbacks(execute=True):
        case = register(staff[Role.INTAKE_CLERK], office)
    assert [case.pk] in queued
    # Nothing was extracted on the intake path.
    assert not Fact.objects.filter(case=case).exists()


def test_a_failure_is_logged_without_the_text(case, monkeypatch, caplog):
    def broken(text, ner=True):
        raise ValueError(f"cannot read {text}")

    monkeypatch.setattr(services, "extract", broken)
    with caplog.at_level(logging.WARNING, logger="casedesk.facts.tasks"):
        assert tasks.facts_extract.call(case_ids=[case.pk]) == 0
    assert "ValueError" in caplog.text and "74814" not in caplog.text
    assert case.appeals.get().text == TEXT


def test_a_queue_failure_loses_only_the_hint(monkeypatch, caplog):
    def refuse(**kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(tasks, "facts_extract", SimpleNamespace(enqueue=refuse))
    with caplog.at_level(logging.WARNING, logger="casedesk.facts.services"):
        services.facts_extract_later([1, 2, 3])
    assert "count=3" in caplog.text and "RuntimeError" in caplog.text


def test_a_caseworker_fills_the_empty_unit_with_a_fact(case, staff):
    services.facts_extract(case_ids=[case.pk])
    unit = Fact.objects.filter(case=case, type="UNIT").first()
    assert [o["value"] for o in services.offers(case, list(Fact.objects.filter(case=case)))] \
        == ["в/ч 74814"]

    person = services.fact_apply(actor=staff[Role.CASEWORKER], fact=unit)

    person.refresh_from_db()
    assert person.unit == "в/ч 74814"
    entry = AuditEntry.objects.get(action="person.fact_applied")
    assert entry.data == {"case": case.pk, "appeal": unit.appeal_id, "fields": ["unit"]}
    case.service_member.refresh_from_db()
    assert services.offers(case, list(Fact.objects.filter(case=case))) == []


def test_a_filled_field_is_never_overwritten(staff, office):
    case = register(staff[Role.INTAKE_CLERK], office, unit="в/ч 11111")
    services.facts_extract(case_ids=[case.pk])
    unit = Fact.objects.filter(case=case, type="UNIT").first()
    assert services.offers(case, [unit]) == []
    with pytest.raises(ApplicationError) as error:
        services.fact_apply(actor=staff[Role.CASEWORKER], fact=unit)
    assert error.value.code == "already_filled"
    case.service_member.refresh_from_db()
    assert case.service_member.unit == "в/ч 11111"


@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, Role.COMMISSION_MEMBER, Role.ANALYST])
def test_only_caseworkers_and_supervisors_fill_fields(case, staff, role):
    services.facts_extract(case_ids=[case.pk])
    unit = Fact.objects.filter(case=case, type="UNIT").first()
    with pytest.raises(ApplicationError):
        services.fact_apply(actor=staff[role], fact=unit)
    case.service_member.refresh_from_db()
    assert case.service_member.unit == ""


def test_another_office_cannot_fill_fields(case, make_user, other_office):
    services.facts_extract(case_ids=[case.pk])
    unit = Fact.objects.filter(case=case, type="UNIT").first()
    with pytest.raises(ApplicationError):
        services.fact_apply(actor=make_user(Role.SUPERVISOR, other_office), fact=unit)


BORN = ("Мой сын, рядовой Кузнецов Андрей Викторович, 01.05.1990 г.р., служит в в/ч "
        "74814 с 01.10.2022.")


def test_a_caseworker_fills_the_empty_birth_date_with_a_fact(staff, office):
    import datetime as dt

    case = register(staff[Role.INTAKE_CLERK], office, text=BORN)
    services.facts_extract(case_ids=[case.pk], ner=False)
    facts = list(Fact.objects.filter(case=case))
    offered = {o["field"]: o for o in services.offers(case, facts)}
    assert set(offered) == {"unit", "birth_date"}
    born = offered["birth_date"]["fact"]
    assert born.normal == "1990-05-01"
    # The call-up date is a date too, but not his birth date: refused.
    called = next(f for f in facts if f.type == "DATE" and f.normal == "2022-10-01")
    with pytest.raises(ApplicationError) as error:
        services.fact_apply(actor=staff[Role.CASEWORKER], fact=called)
    assert error.value.code == "not_offered"

    person = services.fact_apply(actor=staff[Role.CASEWORKER], fact=born)

    person.refresh_from_db()
    assert person.birth_date == dt.date(1990, 5, 1)
    entry = AuditEntry.objects.get(action="person.fact_applied")
    assert entry.data == {"case": case.pk, "appeal": born.appeal_id, "fields": ["birth_date"]}
    case.service_member.refresh_from_db()
    assert [o["field"] for o in services.offers(case, facts)] == ["unit"]
    with pytest.raises(ApplicationError) as error:
        services.fact_apply(actor=staff[Role.CASEWORKER], fact=born)
    assert error.value.code == "already_filled"


def test_two_different_birth_dates_are_no_answer(staff, office):
    case = register(staff[Role.INTAKE_CLERK], office, text=BORN)
    appeal_register(actor=staff[Role.INTAKE_CLERK], office=office, channel="letter",
                    text="Кузнецов Андрей Викторович, 01.06.1991 г.р., не на связи.",
                    applicant=PersonData(full_name="Кузнецова Мария Ивановна",
                                         postal_address="Тула, ул. Мира, 1"),
                    relation="mother", attach_to=case, category="other")
    services.facts_extract(case_ids=[case.pk], ner=False)
    facts = list(Fact.objects.filter(case=case))
    assert {f.normal for f in facts if f.type == "DATE"} >= {"1990-05-01", "1991-06-01"}
    assert [o["field"] for o in services.offers(case, facts)] == ["unit"]
    born = next(f for f in facts if f.normal == "1990-05-01")
    with pytest.raises(ApplicationError):
        services.fact_apply(actor=staff[Role.CASEWORKER], fact=born)
    case.service_member.refresh_from_db()
    assert case.service_member.birth_date is None


def test_the_mothers_birth_date_is_not_offered(staff, office):
    case = register(staff[Role.INTAKE_CLERK], office,
                    text="Я, Кузнецова Мария Ивановна, 15.04.1968 г.р., прошу помочь сыну, "
                         "Кузнецову Андрею, он в в/ч 74814.")
    services.facts_extract(case_ids=[case.pk], ner=False)
    facts = list(Fact.objects.filter(case=case))
    assert any(f.normal == "1968-04-15" for f in facts)
    assert [o["field"] for o in services.offers(case, facts)] == ["unit"]


@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, Role.ANALYST])
def test_only_caseworkers_and_supervisors_fill_the_birth_date(staff, office, role):
    case = register(staff[Role.INTAKE_CLERK], office, text=BORN)
    services.facts_extract(case_ids=[case.pk], ner=False)
    born = next(f for f in Fact.objects.filter(case=case, type="DATE")
                if f.normal == "1990-05-01")
    with pytest.raises(ApplicationError):
        services.fact_apply(actor=staff[role], fact=born)
    case.service_member.refresh_from_db()
    assert case.service_member.birth_date is None
