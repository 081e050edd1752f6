"""A campaign in a real (headless) Chromium: the supervisor opens it from a case page,
sees its cases and assigns them all at once, in English and in Russian. Screenshots in
test-artifacts/screenshots/ (campaign_*)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import login, screenshot, url
from casedesk.cases.campaigns import campaigns_group
from casedesk.cases.models import CampaignAppeal, Case
from casedesk.core.tests.test_similarity import LETTER
from casedesk.staff.tests.test_campaign_views import FAMILIES

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16


@pytest.mark.browser
def test_the_supervisor_opens_a_campaign_and_assigns_it_together(live_server, new_page,
                                                                 staff, office, register):
    cases = [register(text=LETTER.format(applicant=a, member=m)) for a, m in FAMILIES]
    campaigns_group(office=office)
    campaign = CampaignAppeal.objects.get(case=cases[0]).campaign
    worker = staff[Role.CASEWORKER]
    page = new_page()
    main = page.locator("main")

    login(page, live_server, "supervisor", PASSWORD)
    page.goto(url(live_server, "staff:case", cases[1].number))
    main.get_by_role("link", name=f"Part of campaign {campaign.pk}").click()
    expect(main.locator("h1")).to_contain_text(f"Campaign {campaign.pk}")
    for case in cases:
        expect(main.get_by_role("link", name=case.number)).to_be_visible()
    screenshot(page, "campaign_en")

    main.locator("select[name=assignee]").select_option(str(worker.pk))
    main.get_by_role("button", name="Assign all").click()
    expect(main.locator("h1")).to_contain_text(f"Campaign {campaign.pk}")
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases])
               .values_list("assignee_id", flat=True)) == {worker.pk}

    page.goto(url(live_server, "staff:campaign", campaign.pk, language="ru"))
    expect(main.locator("h1")).to_contain_text(f"Кампания {campaign.pk}")
    expect(main.locator("thead")).to_contain_text("Ближайший срок")
    screenshot(page, "campaign_ru")
