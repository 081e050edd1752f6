"""The person page and a merge in a real (headless) Chromium: a caseworker of two offices
opens a case, follows the service member's name to his page (his cases of both offices,
the applicants and their relations, his units over time, the timeline of all his cases),
then merges a second record of the same man found by a case number, through the
confirmation step. In English on a desktop and in Russian at phone width. Screenshots in
test-artifacts/screenshots/ (person_*)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.cases.models import Case
from casedesk.cases.services import note_add
from casedesk.intake.services import PersonData
from casedesk.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
MEMBER = "Кузнецов Андрей Викторович"

TEXTS = {
    "en": {"cases": "Cases about him", "units": "Units over time", "mother": "mother",
           "wife": "wife", "find": "Find the record", "merge": "Merge the records",
           "step": "Merge two records", "done": "The records are merged",
           "timeline": "Timeline of all his cases", "field": "Case number"},
    "ru": {"cases": "Дела о нём", "units": "Воинские части по времени", "mother": "мать",
           "wife": "жена", "find": "Найти запись", "merge": "Объединить записи",
           "step": "Объединение двух записей", "done": "Записи объединены",
           "timeline": "История всех его дел", "field": "Номер дела"},
}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "viewport"), [("en", None), ("ru", PHONE)])
def test_a_caseworker_opens_the_person_page_and_merges_a_second_record(
        live_server, new_page, staff, office, other_office, make_user, register, language,
        viewport):
    t = TEXTS[language]
    now = timezone.now()
    mother = register(
        applicant=PersonData(full_name="Кузнецова Мария Ивановна", phone="+7 903 000-11-22"),
        relation="mother",
        service_member=PersonData(full_name=MEMBER, birth_date=dt.date(1994, 3, 2),
                                  unit="в/ч 74814", service_type="mobilized"),
        received_at=now - dt.timedelta(days=50))
    note_add(actor=staff[Role.CASEWORKER], case=mother, text="Звонила мать, сын в госпитале.")
    member = mother.service_member
    spb = register(actor=make_user(Role.INTAKE_CLERK, other_office), office=other_office,
                   applicant=PersonData(full_name="Кузнецова Мария Ивановна"),
                   relation="mother", service_member=PersonData(full_name=MEMBER),
                   received_at=now - dt.timedelta(days=20))
    Case.objects.filter(pk=spb.pk).update(service_member=member)
    wife = register(
        applicant=PersonData(full_name="Кузнецова Ольга Петровна", email="olga@example.org"),
        relation="wife",
        service_member=PersonData(full_name="Кузнецов Андрей", unit="12345",
                                  phone="+7 916 123-45-67"),
        received_at=now - dt.timedelta(days=2))
    second = wife.service_member
    make_user(Role.CASEWORKER, office, other_office, username="both")

    page = new_page(viewport=viewport) if viewport else new_page()
    main = page.locator("main")
    login(page, live_server, "both", PASSWORD, language=language)
    page.goto(url(live_server, "staff:case", mother.number, language=language))
    main.get_by_role("link", name=MEMBER).first.click()
    expect(main.locator("h1")).to_have_text(MEMBER)
    expect(main.locator("#person-cases")).to_have_text(t["cases"])
    for case in (mother, spb):  # two offices
        expect(main.get_by_role("link", name=case.number).first).to_be_visible()
    expect(main.get_by_role("link", name="Кузнецова Мария Ивановна").first).to_be_visible()
    expect(main.locator("section[aria-labelledby=person-applicants]")).to_contain_text(
        t["mother"])
    expect(main.locator("section[aria-labelledby=person-units]")).to_contain_text("в/ч 74814")
    expect(main.locator("section[aria-labelledby=person-timeline]")).to_contain_text(
        spb.number)
    suffix = "en" if viewport is None else "ru_phone"
    screenshot(page, f"person_{suffix}")

    main.get_by_label(t["field"]).fill(wife.number)
    main.get_by_role("button", name=t["find"]).click()
    expect(main.locator("h1")).to_have_text(t["step"])
    expect(main.locator("table")).to_contain_text("Кузнецов Андрей")
    expect(main.locator("table")).to_contain_text("12345")
    screenshot(page, f"person_merge_{suffix}")
    main.locator("input[name=confirm]").check()
    main.get_by_role("button", name=t["merge"]).click()

    expect(page.locator(".messages")).to_contain_text(t["done"])
    expect(main.locator("h1")).to_have_text(MEMBER)
    expect(main.get_by_role("link", name=wife.number).first).to_be_visible()
    units = main.locator("section[aria-labelledby=person-units]")
    expect(units).to_contain_text("12345")
    expect(units).to_contain_text("в/ч 74814")
    expect(main.locator("section[aria-labelledby=person-applicants]")).to_contain_text(
        t["wife"])
    screenshot(page, f"person_merged_{suffix}")
    assert Person.objects.get(pk=second.pk).merged_into_id == member.pk
    if viewport:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways at phone width: {width}"
