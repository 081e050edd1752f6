"""Erasure reaches the texts of forwarding (the body a case went to, the body a forwarded
appeal came from) and of extension requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.cases import extensions
from casedesk.cases.models import Appeal
from casedesk.cases.timeline import public_event_text
from casedesk.intake.services import Sender
from casedesk.intake.tests.test_desk import BODY as SENDER_BODY
from casedesk.intake.tests.test_desk import NUMBER, raw
from casedesk.letters import notices
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.testing import at

BODY = "Военная прокуратура гарнизона, ул. Тестовая 7"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(register):
    return register(at=at("2027-01-11"))


def forward(case, staff):
    return notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                             forward_body="military_prosecutor", forwarded_to=BODY,
                             at=at("2027-01-14"))


def test_the_status_page_text_names_the_body(case, staff):
    forward(case, staff)
    moved = case.events.get(kind="state_changed", data__transition="forward")
    assert BODY in public_event_text(moved)


def test_erasing_the_service_member_blanks_the_body_and_the_reasons(case, staff):
    request = extensions.extension_request(actor=staff[Role.CASEWORKER], case=case, days=5,
                                           reason="Нужно время.", at=at("2027-01-12"))
    extensions.extension_refuse(actor=staff[Role.SUPERVISOR], request=request,
                                reason="Не нужно.", at=at("2027-01-12"))
    forward(case, staff)
    person_erase(actor=staff[Role.SUPERVISOR], person=case.service_member,
                 reason_code="request")
    with connection.cursor() as cursor:
        cursor.execute("SELECT forwarded_to, forward_body FROM cases_case WHERE id = %s",
                       [case.pk])
        assert cursor.fetchone() == ("", "military_prosecutor")
        cursor.execute("SELECT reason, refusal FROM cases_extensionrequest WHERE id = %s",
                       [request.pk])
        assert cursor.fetchone() == ("", "")


def test_erasing_the_applicant_erases_the_forwarding_body(register, staff):
    case = register(channel="forwarded", sender=Sender(body=SENDER_BODY, number=NUMBER,
                                                       sent_on=dt.date(2026, 3, 5)))
    appeal = Appeal.objects.get(case=case)
    person_erase(actor=staff[Role.SUPERVISOR], person=appeal.submitter, reason_code="request")
    assert raw(appeal) == ("", "", None)
