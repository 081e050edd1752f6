"""A repeated appeal in a real (headless) Chromium: the clerk sees the flag in the
appeals to register and on the case page, with the link to the earlier, answered case
and the ground of 59-FZ art. 11 part 5. Screenshots in test-artifacts/screenshots/
(repeated_*)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casedesk.browser_testing import login, screenshot, url
from casedesk.intake.services import repeats_flag
from casedesk.intake.tests.test_repeated import answered, desk
from casedesk.staff.tests.test_repeated_views import public_repeat

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16


@pytest.mark.browser
def test_the_clerk_sees_a_repeated_appeal_and_opens_the_earlier_case(live_server, new_page,
                                                                     staff, office):
    earlier = answered(staff, desk(staff, office))
    new = public_repeat(office)
    repeats_flag(case_ids=[new.pk])  # as the task does after the receipt
    page = new_page()
    main = page.locator("main")

    login(page, live_server, "intake_clerk", PASSWORD)
    row = main.locator("tr", has=page.get_by_role("link", name=new.number))
    expect(row.locator(".repeated-mark")).to_contain_text("Repeated appeal")
    expect(row.get_by_role("link", name=earlier.number)).to_be_visible()
    screenshot(page, "repeated_to_register_en")

    main.get_by_role("link", name=new.number).click()
    card = main.locator("#repeated")
    expect(card).to_contain_text("Repeated appeal")
    expect(card).to_contain_text("59-FZ")
    screenshot(page, "repeated_case_en")
    card.get_by_role("link", name=f"Open case {earlier.number} and its answer").click()
    expect(main.locator("h1")).to_contain_text(earlier.number)

    page.goto(url(live_server, "staff:case", new.number, language="ru"))
    expect(main.locator("#repeated")).to_contain_text("Повторное обращение")
    screenshot(page, "repeated_case_ru")
