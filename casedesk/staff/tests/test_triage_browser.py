"""Category suggestions (issue 19) in a real (headless) Chromium: the clerk opens a new
web appeal from the appeals to register, sees three suggested categories with the words
that point to each, accepts one, and the case has that category; in English, in Russian
and at phone width. Screenshots in test-artifacts/screenshots/ (triage_*)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.cases.models import Case
from casedesk.triage import services

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
TEXT = ("Здравствуйте! Моего сына мобилизовали в октябре, хотя у него была отсрочка: он "
        "студент очной формы обучения. Военкомат справку из университета не принял, его "
        "направили в часть, где он служит до сих пор. Денежное довольствие ему тоже не "
        "выплачивают. Прошу помочь.")
WORDS = {"en": ("Suggested categories", "Words that point to it", "Accept",
                "Wrongful mobilization: Deferment ignored"),
         "ru": ("Предлагаемые категории", "Слова, которые на неё указывают", "Принять",
                "Незаконная мобилизация: Не учтена отсрочка")}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("en", False), ("ru", False), ("ru", True)])
def test_the_clerk_accepts_a_suggested_category(live_server, new_page, register, language,
                                                phone):
    case = register(channel="web", text=TEXT, category="other",
                    at=timezone.now() - dt.timedelta(hours=3))
    services.suggest([case.pk])  # as the task does after the receipt
    title, reasons, accept, label = WORDS[language]
    name = f"triage_{language}{'_phone' if phone else ''}"
    page = new_page(viewport=PHONE) if phone else new_page()
    main = page.locator("main")

    login(page, live_server, "intake_clerk", PASSWORD, language=language)
    page.goto(url(live_server, "staff:queues", language=language, query="queue=to_register"))
    row = main.locator("tr", has=page.get_by_role("link", name=case.number))
    expect(row.locator(".suggested-mark")).to_contain_text(label)
    screenshot(page, f"{name}_queue")
    with page.expect_navigation():
        main.get_by_role("link", name=case.number).click()
    card = main.locator("#suggestions")
    expect(card.get_by_role("heading", name=title)).to_be_visible()
    items = card.locator("li.suggestion")
    expect(items).to_have_count(3)
    first = items.nth(0)
    expect(first).to_contain_text(label)
    expect(first.locator(".suggestion-reasons")).to_contain_text(reasons)
    expect(first.locator(".suggestion-reasons mark").first).to_be_visible()
    expect(first.locator(".suggestion-reasons")).to_contain_text("отсрочка")
    screenshot(page, f"{name}_before")

    with page.expect_navigation():
        first.get_by_role("button", name=accept).click()
    expect(page.locator(".messages [role=status]")).to_be_visible()
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("wrongful_mobilization", "deferment_ignored")
    summary = main.locator("dl.facts")
    expect(summary).to_contain_text(label)
    expect(card.locator("li.suggestion").nth(0).get_by_role("button", name=accept)) \
        .to_have_count(0)
    screenshot(page, f"{name}_after")
    assert Case.objects.get(pk=case.pk).category == "wrongful_mobilization"
