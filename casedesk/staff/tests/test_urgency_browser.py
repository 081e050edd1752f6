"""Urgency in a real (headless) Chromium (issue 19): the caseworker sees the urgent row
marked in the queue, filters the urgent cases, opens the case, reads the reasons and
clears the flag; in English, Russian and at a phone's width. Screenshots in
test-artifacts/screenshots/ (urgency_*)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.urgency.models import UrgencyFlag
from casedesk.urgency.services import cases_evaluate

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16


@pytest.mark.browser
def test_the_caseworker_sees_the_urgent_case_and_clears_it(live_server, new_page, staff,
                                                           register):
    urgent = register(text="Сын ранен осколком, его не лечат и не эвакуируют. "
                           "Вчера сказал, что не хочет жить.")
    plain = register(text="Просим пересчитать выплаты за март.")
    cases_evaluate(case_ids=[urgent.pk, plain.pk])
    page = new_page()
    main = page.locator("main")

    login(page, live_server, "supervisor", PASSWORD)
    page.goto(url(live_server, "staff:queues", query="queue=all"))
    row = main.locator("tr", has_text=urgent.number)
    expect(row.locator(".urgent-mark")).to_have_text("! Urgent")
    expect(main.locator("tr", has_text=plain.number).locator(".urgent-mark")).to_have_count(0)
    screenshot(page, "urgency_queue_en")

    main.get_by_label("Urgent only").check()
    expect(main.locator("tr", has_text=plain.number)).to_have_count(0)
    expect(main.locator("tr", has_text=urgent.number)).to_be_visible()

    page.goto(url(live_server, "staff:case", urgent.number))
    banner = main.locator("#urgency")
    expect(banner).to_contain_text("Risk of suicide")
    expect(banner).to_contain_text("Wounded without treatment")
    screenshot(page, "urgency_case_en")

    page.goto(url(live_server, "staff:case", urgent.number, language="ru"))
    expect(banner).to_contain_text("Риск суицида")
    screenshot(page, "urgency_case_ru")
    page.goto(url(live_server, "staff:queues", language="ru", query="queue=all"))
    expect(main.locator("tr", has_text=urgent.number).locator(".urgent-mark")).to_have_text(
        "! Срочно")
    screenshot(page, "urgency_queue_ru")
    page.goto(url(live_server, "staff:supervisor", language="ru"))
    expect(main.locator(".urgent-count")).to_contain_text("1 открытое дело")
    screenshot(page, "urgency_supervisor_ru")

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    login(phone, live_server, "caseworker", PASSWORD, language="ru")
    phone.goto(url(live_server, "staff:case", urgent.number, language="ru"))
    expect(phone.locator("#urgency")).to_contain_text("Ранен, не получает помощи")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "urgency_case_phone_ru", full_page=False)
    phone.locator("#urgency").get_by_role("button", name="Не срочно").click()
    expect(phone.locator("main")).not_to_contain_text("Риск суицида")
    assert not UrgencyFlag.objects.get(case=urgent).urgent
    assert staff[Role.CASEWORKER].username == "caseworker"
