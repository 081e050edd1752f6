"""The answer on the merits in a real (headless) Chromium: the caseworker drafts it from a
paragraph of the rulebook on a desktop, the supervisor approves it (the office requires
approval), the caseworker signs it, and the applicant reads it on her phone.

Screenshots: test-artifacts/screenshots/answer-*.png."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, logout, screenshot, url
from casedesk.cases.access import access_code_issue
from casedesk.cases.services import case_transition
from casedesk.intake.services import PersonData
from casedesk.letters.models import Answer, AnswerState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def approving_office(office, staff):
    office.answer_approval = True
    office.address_ru = "101000, Москва, ул. Образцовая, д. 1"
    office.address_en = "1 Obraztsovaya St, Moscow 101000"
    office.save()
    for user in staff.values():
        user.set_password(PASSWORD)
        user.save()
    worker = staff[Role.CASEWORKER]
    worker.first_name, worker.last_name = "Мария", "Соколова"
    worker.position_ru, worker.position_en = "Главный специалист", "Chief specialist"
    worker.save()
    return office


@pytest.mark.browser
def test_draft_from_a_paragraph_approve_sign_and_read_on_a_phone(
        live_server, new_page, register, staff, approving_office, media):
    case = register(channel="web", at=timezone.now(),
                    applicant=PersonData(full_name="Смирнова Ольга Ивановна",
                                         email="olga@example.org",
                                         postal_address="Тверь, ул. Советская, 5"),
                    service_member=PersonData(full_name="Смирнов Денис Андреевич",
                                              service_type="mobilized"))
    case = case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    # A web case: only a supervisor, with a reason (issue 15, finding 3).
    code = access_code_issue(actor=staff[Role.SUPERVISOR], case=case,
                             reason="applicant_request_by_phone")

    # The caseworker drafts the answer from the paragraphs for "wrongly recorded as AWOL".
    page = new_page()
    login(page, live_server, "caseworker", PASSWORD)
    page.goto(url(live_server, "staff:case", case.number))
    card = page.locator("main #answer")
    expect(card.get_by_role("button", name="Sign and send")).to_have_count(0)
    card.get_by_label("Text of the answer").fill("Уважаемая Ольга Ивановна!")
    card.get_by_label("Paragraph for this category").select_option(
        label="Checking the AWOL record")
    with page.expect_navigation():
        card.get_by_role("button", name="Insert paragraph").click()
    # The page is in English: the paragraph comes in English, filled for the case.
    text = card.get_by_label("Text of the answer")
    expect(text).to_have_value(re.compile(
        r"^Уважаемая Ольга Ивановна!\n\nFollowing your appeal, we asked .*"
        r"Смирнов Денис Андреевич", re.S))
    text.fill("Уважаемая Ольга Ивановна!\n\nПо вашему обращению направлен запрос в "
              "военную прокуратуру гарнизона: Смирнов Денис Андреевич находился на лечении.")
    card.get_by_label("Outcome").select_option(label="upheld")
    with page.expect_navigation():
        card.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("main .messages")).to_contain_text("submitted for approval")
    expect(card).to_contain_text("awaiting approval")
    expect(card.get_by_role("button", name="Approve")).to_have_count(0)
    screenshot(page, "answer-1-caseworker-submitted")
    logout(page)

    # The supervisor reads it and approves it.
    login(page, live_server, "supervisor", PASSWORD)
    page.goto(url(live_server, "staff:case", case.number))
    expect(card).to_contain_text("По вашему обращению направлен запрос")
    screenshot(page, "answer-2-supervisor-to-approve")
    with page.expect_navigation():
        card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("approved by")
    logout(page)

    # The caseworker signs it: the case is answered, the letter is in the file.
    login(page, live_server, "caseworker", PASSWORD)
    page.goto(url(live_server, "staff:case", case.number))
    with page.expect_navigation():
        card.get_by_role("button", name="Sign and send").click()
    answer = Answer.objects.get(case=case)
    assert answer.state == AnswerState.SIGNED and answer.approver == staff[Role.SUPERVISOR]
    expect(page.locator("main h1 .badge").first).to_have_text("answered")
    expect(card).to_contain_text(f"No. {answer.outgoing_number}")
    expect(card.get_by_role("link", name="Letter (PDF)")).to_be_visible()
    screenshot(page, "answer-3-signed")

    # The applicant reads the answer on her phone, in Russian.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    phone.goto(url(live_server, "portal:status", language="ru"))
    phone.get_by_label("Номер дела").fill(case.number)
    phone.get_by_label("Код доступа").fill(code)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Показать").click()
    section = phone.locator("section.answer")
    expect(section.get_by_role("heading", name="Ответ на ваше обращение")).to_be_visible()
    expect(section).to_contain_text("По вашему обращению направлен запрос")
    expect(section).to_contain_text(f"Исх. № {answer.outgoing_number}")
    expect(section.get_by_role("link", name="Подписанное письмо (PDF)")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone
    screenshot(phone, "answer-4-applicant-phone-ru")


@pytest.mark.browser
def test_the_list_to_post_on_screen_and_on_paper(live_server, new_page, register, staff,
                                                 approving_office, media):
    from casedesk.letters.answers import (
        answer_approve,
        answer_draft_save,
        answer_sign,
        answer_submit,
    )

    numbers = []
    for name, address, channel in [
            ("Кузнецова Мария Петровна", "170100, Тверь, ул. Советская, д. 5, кв. 2", "letter"),
            ("Орлова Нина Викторовна", "620014, Екатеринбург, ул. Ленина, д. 1", "letter"),
            ("Попова Анна Сергеевна", "Москва", "email")]:
        case = register(channel=channel,
                        applicant=PersonData(full_name=name, postal_address=address))
        case = case_transition(actor=staff[Role.CASEWORKER], case=case,
                               transition="start_review")
        answer_draft_save(actor=staff[Role.CASEWORKER], case=case, text="Ответ.",
                          outcome="explained")
        answer_submit(actor=staff[Role.CASEWORKER], case=case)
        answer_approve(actor=staff[Role.SUPERVISOR], case=case)
        numbers.append((case.number, answer_sign(actor=staff[Role.CASEWORKER], case=case)))
    page = new_page()
    login(page, live_server, "intake_clerk", PASSWORD, language="ru")
    page.locator("header nav").get_by_role("link", name="Отправка почтой").click()
    table = page.locator("main table.post-list")
    expect(table.locator("tbody tr")).to_have_count(2)  # the email appeal is not posted
    expect(table).to_contain_text("170100, Тверь, ул. Советская, д. 5, кв. 2")
    expect(table).to_contain_text(numbers[0][1].outgoing_number)
    screenshot(page, "answer-5-to-post-ru")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    screenshot(page, "answer-6-to-post-print")
    page.emulate_media(media="screen")
    row = table.locator("tbody tr", has_text=numbers[0][0])
    with page.expect_navigation():
        row.get_by_role("button", name="Отметить как отправленное").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(page.locator("main .messages")).to_contain_text(numbers[0][1].outgoing_number)
