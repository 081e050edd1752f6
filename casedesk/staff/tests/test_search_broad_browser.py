"""A search too broad to sort, in a real (headless) Chromium: a supervisor types a
surname alone into the queue's search box; the queue shows the newest cases, service
members first, and says so instead of a count, in English on a desktop and in Russian at
phone width. Thresholds lowered (cases.search.BROAD_ESTIMATE) so that a handful of cases
are "too many". Screenshots in test-artifacts/screenshots/ (search_broad_*)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, screenshot, url
from casedesk.cases import search
from casedesk.intake.services import PersonData

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
SAYS = {"en": "shown are the 3 newest, service members first",
        "ru": "Показаны самые новые (3): сначала по военнослужащему"}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "viewport"), [("en", None), ("ru", PHONE)])
def test_a_surname_alone_shows_the_newest_and_says_so(live_server, new_page, office,
                                                       make_user, register, monkeypatch,
                                                       language, viewport):
    monkeypatch.setattr(search, "BROAD_ESTIMATE", -1)
    text = register(text="Кузнецов пропал без вести, прошу найти.")
    first = register(service_member=PersonData(full_name="Кузнецов Андрей Сергеевич"))
    last = register(service_member=PersonData(full_name="Кузнецов Олег Петрович"))
    register(service_member=PersonData(full_name="Сидоров Иван Петрович"))
    make_user(Role.SUPERVISOR, office, username="boss")

    page = new_page(viewport=viewport) if viewport else new_page()
    login(page, live_server, "boss", PASSWORD, language=language)
    page.goto(url(live_server, "staff:queues", language=language, query="queue=all"))
    box = page.locator("input[name=q]")
    box.fill("Кузнецов")
    box.press("Enter")
    main = page.locator("main")
    expect(main.get_by_role("status")).to_contain_text(SAYS[language])
    numbers = main.locator("tbody tr").all_inner_texts()
    assert [n for n in (last.number, first.number, text.number)
            if any(n in row for row in numbers)] == [last.number, first.number, text.number]
    assert numbers[0].find(last.number) >= 0 and numbers[2].find(text.number) >= 0
    assert "Кузнецов" not in page.url  # the words never travel in the address
    screenshot(page, f"search_broad_{language}")
