"""Duplicates in a real (headless) Chromium: a new appeal about a man the office already
has a case for (his name in another grammatical form, the same birth date) is flagged
after the receipt; the caseworker sees "Likely the same person" with the reasons on the
case page, opens "compare and merge", confirms, and both cases are his. English on a
desktop, Russian at phone width. Screenshots in test-artifacts/screenshots/ (duplicate_*)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.cases.models import Case
from casedesk.intake.services import PersonData, duplicates_flag

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
BORN = dt.date(1992, 6, 14)
TEXTS = {
    "en": {"likely": "Likely the same person", "surname": "the same surname",
           "born": "the same birth date", "merge": "Same person: compare and merge",
           "confirm": "Merge the records", "done": "The records are merged"},
    "ru": {"likely": "Вероятно, тот же человек", "surname": "та же фамилия",
           "born": "та же дата рождения", "merge": "Это он же: сравнить и объединить",
           "confirm": "Объединить записи", "done": "Записи объединены"},
}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "viewport"), [("en", None), ("ru", PHONE)])
def test_a_flagged_duplicate_is_merged_from_the_case_page(
        live_server, new_page, staff, office, register, language, viewport):
    t = TEXTS[language]
    earlier = register(applicant=PersonData(full_name="Соколова Нина Петровна"),
                       relation="mother",
                       service_member=PersonData(full_name="Соколов Павел Игоревич",
                                                 birth_date=BORN, unit="в/ч 55123"))
    new = register(applicant=PersonData(full_name="Соколова Ирина"), relation="wife",
                   service_member=PersonData(full_name="Соколова Павла Игоревича",
                                             birth_date=BORN))
    duplicates_flag(case_ids=[new.pk])  # what the task does after the receipt

    page = new_page(viewport=viewport) if viewport else new_page()
    main = page.locator("main")
    login(page, live_server, staff[Role.CASEWORKER].username, PASSWORD, language=language)
    page.goto(url(live_server, "staff:case", new.number, language=language))
    section = main.locator("#duplicates")
    expect(section).to_contain_text(t["likely"])
    expect(section).to_contain_text(t["surname"])
    expect(section).to_contain_text(t["born"])
    expect(section.get_by_role("link", name=earlier.number)).to_be_visible()
    section.scroll_into_view_if_needed()
    suffix = "en" if viewport is None else "ru_phone"
    screenshot(page, f"duplicate_flag_{suffix}")

    section.get_by_role("link", name=t["merge"]).click()
    expect(main.locator("table")).to_contain_text("55123")
    main.locator("input[name=confirm]").check()
    main.get_by_role("button", name=t["confirm"]).click()
    expect(page.locator(".messages")).to_contain_text(t["done"])
    # The kept record names him as the new appeal wrote him; the heading, as a heading.
    expect(main.locator("h1")).to_have_text("Соколов Павел Игоревич")
    expect(main.locator(".person-as-written")).to_contain_text("Соколова Павла Игоревича")
    screenshot(page, f"duplicate_merged_{suffix}")
    earlier.refresh_from_db()
    assert earlier.service_member_id == Case.objects.get(pk=new.pk).service_member_id
    if viewport:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways at phone width: {width}"
