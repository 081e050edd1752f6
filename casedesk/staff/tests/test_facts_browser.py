"""Facts from the text in a real (headless) Chromium (issue 19): a caseworker opens a case
whose appeal names a unit and dates, sees them marked in the text, and fills the service
member's empty unit field with one click; in English, in Russian and at a phone's width.
Screenshots in test-artifacts/screenshots/ (facts_*)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.facts.services import facts_extract
from casedesk.intake.services import PersonData, appeal_register

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
TEXT = ("Здравствуйте. Мой сын, рядовой Кузнецов Андрей Викторович, мобилизован 21 сентября "
        "2022 года и служит в войсковой части 74814 (64-я отдельная мотострелковая "
        "бригада).\nС 12 марта по 5 апреля 2024 года он лежал в госпитале в Ростове-на-Дону, "
        "ВВК определила категорию годности «В», но командир снова отправляет его на "
        "фронт. Единовременная выплата 195 000 руб. по ст. 51 Федерального закона № 53-ФЗ "
        "не получена. Прошу помочь. Кузнецова Мария Ивановна.")


def _case(staff, office):
    case = appeal_register(
        actor=staff[Role.INTAKE_CLERK], office=office, channel="letter", text=TEXT,
        applicant=PersonData(full_name="Кузнецова Мария Ивановна",
                             postal_address="Тула, ул. Мира, 1"),
        relation="mother",
        service_member=PersonData(full_name="Кузнецов Андрей Викторович"),
        category="other").case
    facts_extract(case_ids=[case.pk])  # what the background task does after the receipt
    return case


@pytest.mark.browser
@pytest.mark.parametrize(("language", "viewport", "words"), [
    ("en", None, ("Facts from the text", "Use: в/ч 74814 → military unit",
                  "The service member's field is filled from the text.")),
    ("ru", None, ("Факты из текста", "Взять: в/ч 74814 → воинская часть",
                  "Поле военнослужащего заполнено из текста.")),
    ("ru", PHONE, ("Факты из текста", "Взять: в/ч 74814 → воинская часть",
                   "Поле военнослужащего заполнено из текста.")),
])
def test_the_caseworker_sees_the_facts_and_fills_the_unit_with_one_click(
        live_server, new_page, staff, office, language, viewport, words):
    heading, use, done = words
    case = _case(staff, office)
    page = new_page(viewport=viewport)
    main = page.locator("main")
    name = f"facts_{language}" + ("_phone" if viewport else "")

    login(page, live_server, "caseworker", PASSWORD, language=language)
    page.goto(url(live_server, "staff:case", case.number, language=language))
    expect(main.locator("#facts-title")).to_have_text(heading)
    unit = main.locator(".appeal-text mark.fact-unit").first
    expect(unit).to_have_text("войсковой части 74814")
    expect(main.locator(".appeal-text mark.fact-date").first).to_have_text("21 сентября 2022 года")
    expect(main.locator(".appeal-text mark.fact-date").nth(1)).to_have_text(
        "С 12 марта по 5 апреля 2024 года")
    expect(main.locator(".appeal-text mark.fact-fitness")).to_have_text("категорию годности «В»")
    unit.scroll_into_view_if_needed()
    screenshot(page, name)

    main.get_by_role("button", name=use).click()

    expect(page.get_by_text(done)).to_be_visible()
    expect(main.get_by_role("button", name=use)).to_have_count(0)
    case.service_member.refresh_from_db()
    assert case.service_member.unit == "в/ч 74814"
    screenshot(page, name + "_filled")
