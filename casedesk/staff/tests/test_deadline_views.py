"""Forwarding with the body chosen from the list, and extensions requested by a caseworker
and decided by a supervisor, through the staff pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case, Document, ExtensionRequest, ExtensionStatus
from casedesk.cases.services import case_transition


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(register, staff):
    case = register(at=timezone.now() - dt.timedelta(days=2))
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


def names(case) -> list[str]:
    return sorted(d.original_name for d in Document.objects.filter(case=case))


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_forward_form_takes_a_body_from_the_list(client, staff, case, language):
    client.force_login(staff[Role.CASEWORKER])
    with translation.override(language):
        page = client.get(reverse("staff:case", args=[case.number]))
        content = page.content.decode()
        assert 'name="forward-forward_body"' in content
        label = {"ru": "военная прокуратура", "en": "military prosecutor&#x27;s office"}[language]
        assert label in content
        response = client.post(reverse("staff:transition", args=[case.number, "forward"]), {
            "forward-transition": "forward", "forward-forward_body": "military_prosecutor",
            "forward-forwarded_to": "Военная прокуратура гарнизона"})
    assert response.status_code == 302
    moved = Case.objects.get(pk=case.pk)
    assert (moved.state, moved.forward_body, moved.forwarded_to) == (
        "forwarded", "military_prosecutor", "Военная прокуратура гарнизона")
    assert f"{case.number}-forwarding_notice-ru.pdf" in names(case)
    assert f"{case.number}-covering_letter-ru.pdf" in names(case)
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "Военная прокуратура гарнизона" in page


def test_a_caseworker_requests_and_a_supervisor_approves(client, staff, case):
    worker, supervisor = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    client.force_login(worker)
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert reverse("staff:extension_request", args=[case.number]) in page
    assert reverse("staff:extend", args=[case.number]) not in page  # no direct extension
    response = client.post(reverse("staff:extension_request", args=[case.number]),
                           {"request-days": 15, "request-reason": "Ждём ответ из в/ч."})
    assert response.status_code == 302
    request = ExtensionRequest.objects.get(case=case)
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "Ждём ответ из в/ч." in page
    assert reverse("staff:extension_approve", args=[case.number, request.pk]) not in page
    # The caseworker cannot approve by posting either.
    response = client.post(reverse("staff:extension_approve", args=[case.number, request.pk]))
    assert response.status_code in (400, 403)
    assert ExtensionRequest.objects.get(pk=request.pk).status == ExtensionStatus.PENDING

    client.force_login(supervisor)
    assert case.number in client.get(reverse("staff:supervisor")).content.decode()
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert reverse("staff:extension_approve", args=[case.number, request.pk]) in page
    due = case.deadlines.get(rule="answer").due_on
    response = client.post(reverse("staff:extension_approve", args=[case.number, request.pk]))
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(pk=request.pk).status == ExtensionStatus.APPROVED
    answer = case.deadlines.get(rule="answer")
    assert answer.extension_days == 15 and answer.due_on > due
    assert names(case) == [f"{case.number}-extension_notice-ru.docx",
                           f"{case.number}-extension_notice-ru.pdf"]
    assert all(d.public for d in Document.objects.filter(case=case))


def test_a_supervisor_refuses_with_a_reason(client, staff, case):
    client.force_login(staff[Role.CASEWORKER])
    client.post(reverse("staff:extension_request", args=[case.number]),
                {"request-days": 15, "request-reason": "Нужно время."})
    request = ExtensionRequest.objects.get(case=case)
    client.force_login(staff[Role.SUPERVISOR])
    url = reverse("staff:extension_refuse", args=[case.number, request.pk])
    assert client.post(url, {f"refuse-{request.pk}-refusal": ""}).status_code == 400
    response = client.post(url, {f"refuse-{request.pk}-refusal": "Ответ можно дать в срок."})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.refusal) == (ExtensionStatus.REFUSED,
                                                 "Ответ можно дать в срок.")
    assert not Document.objects.filter(case=case).exists()
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "Ответ можно дать в срок." in page  # on the timeline


@pytest.mark.parametrize("language", ["ru", "en"])
def test_after_the_due_date_the_page_says_why_and_the_extension_is_refused(
        client, staff, register, language):
    late = register(at=timezone.now() - dt.timedelta(days=60))
    late = case_transition(actor=staff[Role.CASEWORKER], case=late, transition="start_review")
    client.force_login(staff[Role.SUPERVISOR])
    with translation.override(language):
        response = client.post(reverse("staff:extend", args=[late.number]),
                               {"days": 10, "reason": "Поздно"},
                               HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    text = response.content.decode()
    assert {"ru": "пропущенный срок продлить нельзя",
            "en": "a missed deadline cannot be extended"}[language] in text
    assert late.deadlines.get(rule="answer").extension_days == 0
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(reverse("staff:case", args=[late.number])).content.decode()
    assert reverse("staff:extension_request", args=[late.number]) not in page


def test_forwarded_cases_add_no_queries_to_the_queue(client, staff, register):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from casedesk.core import crypto
    from casedesk.letters import notices

    client.force_login(staff[Role.SUPERVISOR])
    url = reverse("staff:queues") + "?queue=all"

    def forwarded(n):
        for _ in range(n):
            case = register()
            notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                              forward_body="insurer", forwarded_to="АО Страховая компания")

    def count():
        crypto.cache_clear()  # a cold cache: every key read would be a query
        with CaptureQueriesContext(connections["default"]) as main, \
                CaptureQueriesContext(connections["keys"]) as keys:
            assert client.get(url).status_code == 200
        return len(main.captured_queries) + len(keys.captured_queries)

    forwarded(1)
    few = count()
    forwarded(4)
    assert count() == few
