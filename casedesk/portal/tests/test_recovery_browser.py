"""A lost access code on a phone, in a real (headless) Chromium: from the status page's
link, the applicant gives the case number and her email, reads the same answer whatever
she typed, gets the new code by email and opens her case with it; the old code no longer
works. Photographed in both languages (test-artifacts/screenshots/portal_recover_*.png)."""

from __future__ import annotations

import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from casedesk.browser_testing import screenshot, url
from casedesk.cases.models import Case
from casedesk.intake import public
from casedesk.intake.services import PersonData
from casedesk.intake.tests.test_routing import make_offices

from .test_browser import SIDEWAYS, gettext_in, open_status, submit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
SENT = ("If the details match, a new code has been sent to the email address given in the "
        "appeal. The old code no longer works once the new one is sent.")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ru", "en"])
def test_phone_recovers_a_lost_access_code(live_server, phone, settings, language):
    settings.TASKS = {"default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    offices = make_offices()
    receipt = public.appeal_submit(
        channel="web", idempotency_key=uuid.uuid4().hex, payload={"test": "recover"},
        applicant=PersonData(full_name="Смирнова Ольга Ивановна",
                             email="olga.smirnova@example.org"),
        relation="mother", service_member=PersonData(full_name="Смирнов Денис Андреевич",
                                                     region_code="RU-SPE"),
        text="Сына не отпускают в отпуск уже год.", language=language, consent=True)
    number, old = receipt.case_number, receipt.access_code
    assert number.startswith("SPB-")
    mail.outbox.clear()
    page, main = phone, phone.locator("main")

    # (On the way: the form with several offices, a choice where two serve a region and
    # the data controllers beside the consent, photographed for a person to look at.)
    page.goto(url(live_server, "portal:appeal", language=language))
    expect(main.locator("#id_office")).to_be_visible()
    expect(main.locator(".consent")).to_contain_text("(MSK)")
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, f"portal_form_offices_{language}")
    page.goto(url(live_server, "portal:home", language=language))
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, f"portal_home_offices_{language}")

    # From the status page, by its link.
    page.goto(url(live_server, "portal:status", language=language))
    main.get_by_role("link", name=gettext_in(language, "Lost your access code?")).tap()
    expect(page).to_have_url(re.compile(rf"/{language}/status/lost-code/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text(
        gettext_in(language, "Lost your access code?"))
    # Those who gave no email are told where to write: every office's address.
    for office in offices.values():
        expect(main).to_contain_text(office.address(language).split("\n")[0])
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, f"portal_recover_{language}")
    axe = Axe().run(page).response
    serious = [v["id"] for v in axe["violations"] if v["impact"] in {"serious", "critical"}]
    assert not serious, serious

    # A wrong address first: the same answer, nothing sent.
    form = main.locator("form[method=post]")
    form.locator("#id_case_number").fill(number.lower())
    form.locator("#id_email").fill("someone.else@example.org")
    submit(page, form.locator("button[type=submit]"))
    expect(main.locator(".messages")).to_contain_text(gettext_in(language, SENT))
    assert not mail.outbox

    # Then her own address: a new code in her mailbox.
    page.goto(url(live_server, "portal:recover", language=language))
    form = main.locator("form[method=post]")
    form.locator("#id_case_number").fill(f" {number} ")
    form.locator("#id_email").fill("Olga.Smirnova@example.org")
    submit(page, form.locator("button[type=submit]"))
    expect(main.locator(".messages")).to_contain_text(gettext_in(language, SENT))
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, f"portal_recover_sent_{language}")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["olga.smirnova@example.org"]
    new = CODE.search(mail.outbox[0].body).group(0)
    assert new != old

    # The new code opens the case, which names the office handling it; the old one fails.
    response = open_status(page, live_server, language, number, new)
    assert response.status == 200
    expect(page).to_have_url(re.compile(rf"/{language}/status/case/$"))
    expect(main).to_contain_text(offices["SPB"].address(language))
    screenshot(page, f"portal_recover_case_{language}")
    page.context.clear_cookies()
    open_status(page, live_server, language, number, old)
    expect(page).to_have_url(re.compile(rf"/{language}/status/$"))
    expect(main.locator(".error")).to_be_visible()
    assert Case.objects.get(number=number).access_code_hash
