"""The registration desk in a real (headless) Chromium: the clerk lands on the appeals to
register, enters a forwarded letter received days ago, chooses on a possible duplicate,
and sees the incoming number on the case page. Screenshots in test-artifacts/screenshots/
(desk_*)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.browser_testing import login, screenshot, url
from casedesk.cases.models import Appeal, Case
from casedesk.cases.services import local_date
from casedesk.intake.services import PersonData

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")


@pytest.mark.browser
def test_the_clerk_registers_a_forwarded_letter_received_days_ago(live_server, new_page,
                                                                  staff, register):
    waiting = register(channel="web", at=timezone.now() - dt.timedelta(days=1))
    register(service_member=PersonData(full_name="Смирнов Денис Андреевич",
                                       birth_date=dt.date(1996, 7, 21), unit="31135"))
    page = new_page()
    main = page.locator("main")

    # The clerk lands on the appeals waiting to be registered.
    login(page, live_server, "intake_clerk", PASSWORD)
    tab = main.locator("nav.tabs a[aria-current=page]")
    expect(tab).to_contain_text("To register")
    expect(tab.locator(".count")).to_have_text("1")
    expect(main.get_by_role("link", name=waiting.number)).to_be_visible()
    screenshot(page, "desk_to_register_en")

    page.locator("header nav").get_by_role("link", name="Register an appeal").click()
    form = main.locator("form")
    received = timezone.localtime() - dt.timedelta(days=5)
    # The time received defaults to now (the minute the page was made).
    expect(form.get_by_label("Received on (date and time)")).to_have_value(
        re.compile(timezone.localtime().strftime("%Y-%m-%dT")))
    form.get_by_label("Received on (date and time)").fill(received.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Received by").select_option("forwarded")
    form.get_by_label("Text of the appeal").fill(
        "Мой сын в госпитале с марта, а в части его записали в СОЧ. Прошу разобраться.")
    form.get_by_label("Category").select_option("record_error_awol")
    form.get_by_label("Applicant's full name").fill("Смирнова Ольга Ивановна")
    form.get_by_label("Applicant is").select_option("mother")
    form.get_by_label("Service member's full name").fill("Смирнов Денис Андреевич")
    form.get_by_label("Birth date").fill("1996-07-21")
    form.get_by_label("Military unit").fill("31135")
    with page.expect_navigation():
        form.get_by_role("button", name="Register", exact=True).click()
    # Forwarded, but the body was not named: the fields say what is missing.
    expect(main.locator("#sender .errorlist")).to_have_count(2)
    expect(main.locator("#sender")).to_contain_text("Name the body that forwarded the appeal.")
    form.get_by_label("Forwarded by (name of the body)").fill(
        "Военная прокуратура Кантемировского гарнизона")
    form.get_by_label("Their outgoing number").fill("7/2-1184-26")
    form.get_by_label("Their outgoing date").fill(
        (received - dt.timedelta(days=3)).strftime("%Y-%m-%d"))
    with page.expect_navigation():
        form.get_by_role("button", name="Register", exact=True).click()

    # The same son already has a case: nothing is chosen, the clerk must decide.
    matches = main.locator("#possible-duplicates")
    expect(matches).to_be_visible()
    radios = matches.locator("input[type=radio]")
    expect(radios).to_have_count(2)
    for i in range(2):
        expect(radios.nth(i)).not_to_be_checked()
    expect(form.get_by_label("Received on (date and time)")).to_have_value(
        received.strftime("%Y-%m-%dT%H:%M"))  # what was typed is kept
    screenshot(page, "desk_duplicate_prompt_en")
    matches.get_by_label("Open a new case").check()
    with page.expect_navigation():
        form.get_by_role("button", name="Register", exact=True).click()

    expect(page).to_have_url(re.compile(r"/en/staff/cases/[A-Z]+-\d{4}-\d{6}/$"))
    case = Case.objects.get(number=NUMBER.search(page.url).group())
    assert local_date(case.received_at) == received.date()
    appeal = Appeal.objects.get(case=case)
    assert appeal.channel == "forwarded" and appeal.sender_number == "7/2-1184-26"
    desk = main.locator(".appeal-desk")
    expect(desk).to_contain_text(f"Incoming No. MSK/{received.year}/")
    expect(desk).to_contain_text("Военная прокуратура Кантемировского гарнизона")
    expect(desk).to_contain_text("their No. 7/2-1184-26")
    screenshot(page, "desk_case_en")

    # The form in Russian, as the clerk first sees it.
    page.goto(url(live_server, "staff:register", language="ru"))
    expect(main.get_by_label("Дата и время поступления")).to_be_visible()
    expect(main.locator("#sender legend")).to_have_text("Перенаправлено другим органом")
    screenshot(page, "desk_register_ru")
