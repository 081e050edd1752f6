"""In Chromium: a caseworker forwards a case choosing the body from the list; another case's
extension is requested by the caseworker and approved by the supervisor. Screenshots of
the case page with the extension panel in both languages (test-artifacts/screenshots/)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import login, logout, screenshot, url
from casedesk.cases.models import Case, Document, ExtensionRequest, ExtensionStatus
from casedesk.cases.services import case_transition

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def in_review(register, staff, days_ago: int):
    case = register(at=timezone.now() - dt.timedelta(days=days_ago))
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


@pytest.mark.browser
def test_forward_and_extension_request_in_the_browser(live_server, new_page, staff, register,
                                                      media):
    forwarded, extended = in_review(register, staff, 3), in_review(register, staff, 5)
    page = new_page()
    main = page.locator("main")

    login(page, live_server, "caseworker", PASSWORD)
    page.goto(url(live_server, "staff:case", forwarded.number))
    box = main.locator("details.action", has=page.locator("summary",
                                                          has_text="Forward to the competent body"))
    box.locator("summary").click()
    box.get_by_label("Body forwarded to").select_option(label="military commissariat")
    box.get_by_label("Name and details of the body").fill("Военный комиссариат г. Твери")
    screenshot(page, "forward_form_en")
    with page.expect_navigation():
        box.get_by_role("button", name="Forward to the competent body").click()
    expect(main.locator("h1 .badge").first).to_have_text("forwarded to the competent body")
    expect(main.locator("dl.facts")).to_contain_text("Военный комиссариат г. Твери")
    documents = main.locator("section", has=page.locator("#documents"))
    expect(documents).to_contain_text("forwarding_notice")
    expect(documents).to_contain_text("covering_letter")

    page.goto(url(live_server, "staff:case", extended.number))
    panel = main.locator("section", has=page.locator("#extension-requests"))
    panel.get_by_label("Extend by (days)").fill("14")
    panel.get_by_label("Reason").fill("Запрошены документы из военного комиссариата.")
    with page.expect_navigation():
        panel.get_by_role("button", name="Request an extension").click()
    expect(panel).to_contain_text("Awaiting a supervisor's decision.")
    screenshot(page, "extension_requested_en")
    logout(page)

    login(page, live_server, "supervisor", PASSWORD, "ru")
    page.goto(url(live_server, "staff:supervisor", language="ru"))
    expect(main).to_contain_text(extended.number)
    page.goto(url(live_server, "staff:case", extended.number, language="ru"))
    screenshot(page, "extension_to_decide_ru")
    with page.expect_navigation():
        panel.get_by_role("button", name="Одобрить и уведомить заявителя").click()
    expect(main.locator(".messages")).to_contain_text("уведомление заявителю")
    assert ExtensionRequest.objects.get(case=extended).status == ExtensionStatus.APPROVED
    assert Case.objects.get(pk=extended.pk).deadlines.get(rule="answer").extension_days == 14
    names = [d.original_name for d in Document.objects.filter(case=extended)]
    assert any(re.search(r"-extension_notice-ru\.pdf$", n) for n in names)
    screenshot(page, "extension_approved_ru")
