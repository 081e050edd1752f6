"""The applicant is told on the status page: the notices of forwarding, of leaving the appeal
unanswered and of an extension are listed as letters to download; the covering letter to
the body is not."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases import extensions
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.letters import notices

from .test_views import fresh_limits, submit  # noqa: F401 - the fixture is used


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def registered(client, staff, language):
    _, number, code = submit(client, language=language)
    case = Case.objects.get(number=number)
    for name, role in (("register", Role.INTAKE_CLERK), ("start_review", Role.CASEWORKER)):
        case = case_transition(actor=staff[role], case=case, transition=name)
    return case, number, code


def status_page(client, language, number, code) -> str:
    client.post(f"/{language}/status/", {"case_number": number, "access_code": code})
    return client.get(f"/{language}/status/case/").content.decode()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_forwarding_notice_is_on_the_status_page(client, office, staff, language):
    case, number, code = registered(client, staff, language)
    notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                      forward_body="commissariat", forwarded_to="Военный комиссариат Твери")
    page = status_page(client, language, number, code)
    assert "Военный комиссариат Твери" in page
    assert {"ru": "Уведомление о направлении по компетенции",
            "en": "Notice of forwarding"}[language] in page
    assert {"ru": "Сопроводительное письмо", "en": "Covering letter"}[language] not in page


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_unanswered_notice_is_on_the_status_page(client, office, staff, language):
    case, number, code = registered(client, staff, language)
    notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="leave_unanswered",
                      ground="essence_undeterminable")
    page = status_page(client, language, number, code)
    assert {"ru": "Уведомление об оставлении обращения без ответа",
            "en": "Notice that the appeal is left unanswered"}[language] in page


def test_the_extension_notice_is_on_the_status_page(client, office, staff):
    case, number, code = registered(client, staff, "en")
    request = extensions.extension_request(actor=staff[Role.CASEWORKER], case=case, days=10,
                                           reason="Records requested.")
    notices.extension_approve_notify(actor=staff[Role.SUPERVISOR], request=request)
    page = status_page(client, "en", number, code)
    assert "The time to answer was extended to" in page
    assert "Notice of extension" in page
