"""In Chromium: the caseworker's queue shows the names and the attention markers, the
header counts them, opening a case clears its marker, the attention page lists the rest
and switches the daily digest. Screenshots in test-artifacts/screenshots/attention_*."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import login, screenshot, url
from casedesk.cases.services import case_assign, case_transition
from casedesk.intake.public import applicant_reply
from casedesk.intake.services import PersonData
from casedesk.testing import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
PEOPLE = [("Соколов Андрей Викторович", "Соколова Елена Павловна"),
          ("Кузнецов Илья Олегович", "Кузнецова Татьяна Сергеевна"),
          ("Морозов Денис Алексеевич", "Морозова Галина Ивановна"),
          ("Волков Сергей Петрович", "Волкова Ирина Николаевна")]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cases(register, staff, media):
    worker, boss = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    made = []
    for i, (member, applicant) in enumerate(PEOPLE):
        case = register(service_member=PersonData(full_name=member),
                        applicant=PersonData(full_name=applicant),
                        at=timezone.now() - dt.timedelta(days=3 + 6 * i))
        case_transition(actor=worker, case=case, transition="start_review")
        made.append(case)
    case_assign(actor=boss, case=made[0], assignee=worker)  # assigned to me
    case_assign(actor=worker, case=made[1], assignee=worker)  # taken myself: no marker
    case_assign(actor=boss, case=made[2], assignee=worker)
    case_transition(actor=worker, case=made[2], transition="request_information",
                    message="Пришлите выписку из госпиталя.")
    applicant_reply(case_id=made[2].pk, text="Выписку прилагаю.", attachments=[
        (SimpleUploadedFile("vypiska.pdf", pdf_bytes(), "application/pdf"), "")])
    case_assign(actor=boss, case=made[3], assignee=worker)
    return made


@pytest.mark.browser
def test_the_queue_shows_names_and_markers_and_opening_a_case_clears_its_marker(
        live_server, page, cases):
    main, header = page.locator("main"), page.locator("header.top")
    login(page, live_server, "caseworker", PASSWORD, "ru")
    page.goto(url(live_server, "staff:queues", language="ru", query="queue=mine"))
    expect(main.locator("tbody tr")).to_have_count(4)
    for member, applicant in PEOPLE:
        expect(main.get_by_text(member)).to_be_visible()
        expect(main.get_by_text(applicant)).to_be_visible()
    # assigned ×3 cases, answered and a document on one: 3 cases marked, 5 items counted
    expect(main.locator(".attention-mark")).to_have_count(3)
    expect(header.locator(".attention-count")).to_have_text("5")
    row = main.locator("tbody tr").filter(has_text=cases[2].number)
    expect(row.locator(".attention-mark")).to_contain_text("заявитель ответил")
    screenshot(page, "attention_queue_ru")

    page.goto(url(live_server, "staff:queues", language="en", query="queue=mine"))
    expect(header.get_by_role("link", name="Needs my attention")).to_be_visible()
    row = main.locator("tbody tr").filter(has_text=cases[2].number)
    expect(row.locator(".attention-mark")).to_contain_text("the applicant answered")
    screenshot(page, "attention_queue_en")

    row.get_by_role("link", name=cases[2].number).click()
    expect(main.get_by_role("heading", level=1)).to_contain_text(cases[2].number)
    expect(header.locator(".attention-count")).to_have_text("2")

    header.locator(".attention-link").click()
    expect(main.get_by_role("heading", level=1)).to_have_text("Needs my attention")
    expect(main.locator("tbody tr")).to_have_count(2)
    expect(main.locator("tbody")).not_to_contain_text(cases[2].number)
    expect(main).not_to_contain_text(PEOPLE[0][0])  # numbers and kinds only
    main.get_by_label("Email me a daily digest").check()
    main.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The daily digest is on.")
    expect(main.get_by_label("Email me a daily digest")).to_be_checked()
    screenshot(page, "attention_page_en")
