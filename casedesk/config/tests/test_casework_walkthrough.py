"""One case through its whole life, as the people who use casedesk work it, in Russian and
in English (issue 14, "Done means"):

a mother in Moscow writes from her phone; three offices serve different regions and the
appeal reaches the Moscow one; its clerk finds it in "To register"; the caseworker
corrects the category and asks a question; the mother answers on her phone and the
caseworker's queue marks the case; the caseworker drafts the answer from a paragraph of
the rulebook, the supervisor approves it (the office requires it), the caseworker signs
it; the letter carries the outgoing number, the date, the signatory and the office's
address; the mother gets the email with the link and reads the answer on her phone.

It lives under ``config`` because it crosses the portal and the staff workspace, which
may not import each other. Screenshots: test-artifacts/screenshots/walkthrough-*.png.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from casedesk.accounts.models import Office, User
from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, login, logout, screenshot, url
from casedesk.cases import documents
from casedesk.cases.models import Case
from casedesk.cases.services import case_assign
from casedesk.cases.workflow import TRANSITIONS
from casedesk.core.models import Region
from casedesk.core.states import CaseState
from casedesk.letters.models import Answer, AnswerState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MOSCOW = {"ru": "г Москва", "en": "Moscow"}
QUESTION = "Пришлите, пожалуйста, выписной эпикриз из госпиталя."
REPLY = "Выписку прикладываю: сын в госпитале с 3 марта."
MSK_ADDRESS = {"ru": "101000, Москва, ул. Образцовая, д. 1",
               "en": "1 Obraztsovaya St, Moscow 101000"}


def t(language: str, text) -> str:
    with translation.override(language):
        return gettext(str(text)) if isinstance(text, str) else str(text)


@pytest.fixture
def offices(db):
    """Three offices, each serving its regions; Moscow's is the default and requires a
    supervisor's approval of answers."""
    regions = {r.code: r for r in Region.objects.filter(code__in=["RU-MOW", "RU-SPE",
                                                                  "RU-SVE"])}
    made = {}
    for code, name_ru, name_en, region, default in [
            ("KSM", "Комитет солдатских матерей", "Soldiers' Mothers Committee", "RU-SVE",
             False),
            ("MSK", "Приёмная Уполномоченного (Москва)", "Commissioner's reception (Moscow)",
             "RU-MOW", True),
            ("SPB", "Уполномоченный в Санкт-Петербурге", "Commissioner in St Petersburg",
             "RU-SPE", False)]:
        office = Office.objects.create(
            code=code, name_ru=name_ru, name_en=name_en, is_default=default,
            answer_approval=code == "MSK",
            address_ru=MSK_ADDRESS["ru"] if code == "MSK" else "",
            address_en=MSK_ADDRESS["en"] if code == "MSK" else "",
            phone="+7 495 000-00-01" if code == "MSK" else "")
        office.regions.set([regions[region]])
        made[code] = office
    from casedesk.intake import routing

    routing.offices_forget()
    return made


@pytest.fixture
def people(offices):
    def person(username, role, office, first, last, position_ru="", position_en=""):
        user = User.objects.create_user(username=username, password=PASSWORD, role=role,
                                        first_name=first, last_name=last,
                                        position_ru=position_ru, position_en=position_en)
        user.offices.set([office])
        return user

    msk = offices["MSK"]
    return {
        "clerk": person("clerk", Role.INTAKE_CLERK, msk, "Ирина", "Белова"),
        "caseworker": person("caseworker", Role.CASEWORKER, msk, "Мария", "Соколова",
                             "Главный специалист", "Chief specialist"),
        "supervisor": person("supervisor", Role.SUPERVISOR, msk, "Олег", "Никитин",
                             "Начальник отдела", "Head of department"),
        "spb_caseworker": person("spb_caseworker", Role.CASEWORKER, offices["SPB"], "Пётр",
                                 "Фролов"),
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def move(page, language: str, transition: str, fill: dict[str, str] | None = None):
    """Make a transition from the case page's Actions card."""
    inner = f"form[action$='/move/{transition}/']"
    box = page.locator("main details.action").filter(has=page.locator(inner))
    form = box.locator(inner)
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for name, text in (fill or {}).items():
        form.locator(f"[name$='{name}']").fill(text)
        expect(form.locator(f"[name$='{name}']")).to_have_value(text)
    with page.expect_navigation():
        form.get_by_role("button", name=t(language, TRANSITIONS[transition].label),
                         exact=True).click()


def open_status(phone, live_server, language: str, number: str, code: str) -> None:
    phone.goto(url(live_server, "portal:status", language=language))
    form = phone.locator("main form[method=post]").filter(has=phone.locator("#id_access_code"))
    form.locator("#id_case_number").fill(number)
    form.locator("#id_access_code").fill(code)
    with phone.expect_navigation():
        form.locator("button[type=submit]").tap()


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data,  # noqa: S603,S607
                          capture_output=True, check=True).stdout.decode()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ru", "en"])
def test_one_case_through_its_whole_life(live_server, new_page, offices, people, media,
                                         settings, language):
    settings.TASKS = IMMEDIATE  # the notices go out as the moves commit
    main_of = lambda page: page.locator("main")  # noqa: E731

    # 1. A mother in Moscow writes from her phone. Moscow is served by MSK, so it is MSK's.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True,
                     locale="ru-RU" if language == "ru" else "en-GB")
    phone.goto(url(live_server, "portal:appeal", language=language))
    form = phone.locator("main form[enctype='multipart/form-data']")
    form.locator("input[name=relation][value=mother]").check()
    form.locator("#id_applicant_name").fill("Смирнова Ольга Ивановна")
    form.locator("#id_email").fill("olga.smirnova@example.org")
    form.locator("#id_member_name").fill("Смирнов Денис Андреевич")
    form.locator("#id_member_region").select_option(label=MOSCOW[language])
    form.locator("#id_category").select_option("")  # "I don't know / other"
    form.locator("#id_text").fill("Сын с марта лежит в госпитале после ранения, а в части "
                                  "его записали в СОЧ. Помогите исправить запись.")
    form.locator("#id_consent").check()
    with phone.expect_navigation():
        form.locator("button[type=submit]").tap()
    receipt = main_of(phone)
    expect(receipt.locator(".code")).to_be_visible()
    number = NUMBER.search(receipt.inner_text()).group()
    code = CODE.search(receipt.locator(".code").inner_text()).group()
    expect(receipt).to_contain_text(offices["MSK"].name(language))
    expect(receipt).to_contain_text(MSK_ADDRESS[language])
    screenshot(phone, f"walkthrough-{language}-1-receipt-phone")
    case = Case.objects.get(number=number)
    assert case.office == offices["MSK"] and number.startswith("MSK-")
    assert case.category == "other" and case.state == CaseState.RECEIVED

    # 2. The Moscow clerk lands on "To register" and finds it there; registers it.
    page = new_page()
    main = main_of(page)
    login(page, live_server, "clerk", PASSWORD, language=language)
    page.goto(url(live_server, "staff:queues", language=language, query="queue=to_register"))
    expect(main.locator("table")).to_contain_text(number)
    screenshot(page, f"walkthrough-{language}-2-clerk-to-register")
    main.get_by_role("link", name=number).click()
    move(page, language, "register")
    case.refresh_from_db()
    assert case.state == CaseState.REGISTERED
    logout(page)
    # St Petersburg's caseworker never sees Moscow's case.
    login(page, live_server, "spb_caseworker", PASSWORD, language=language)
    response = page.goto(url(live_server, "staff:case", number, language=language))
    assert response.status == 404
    page.goto(url(live_server, "staff:queues", language=language))
    expect(main).not_to_contain_text(number)
    logout(page)

    # 3. The caseworker (assigned by the supervisor) corrects the category, takes the case
    #    into review and asks the mother a question.
    case_assign(actor=people["supervisor"], case=case, assignee=people["caseworker"])
    login(page, live_server, "caseworker", PASSWORD, language=language)
    page.goto(url(live_server, "staff:case", number, language=language))
    fix = main.locator("form[action$='/category/']")
    fix.locator("[name=classification]").select_option("record_error_awol")
    fix.locator("[name=reason]").fill("Речь об ошибочной записи о СОЧ.")
    with page.expect_navigation():
        fix.locator("button[type=submit]").click()
    case.refresh_from_db()
    assert case.category == "record_error_awol"
    expect(main.locator("dl.facts")).to_contain_text(
        case_book_label(case, language))
    move(page, language, "start_review")
    move(page, language, "request_information", fill={"message": QUESTION})
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_INFORMATION

    # 4. The mother answers on her phone.
    open_status(phone, live_server, language, number, code)
    status = main_of(phone)
    expect(status.locator(".question")).to_contain_text(QUESTION)
    reply = status.locator("section.card form").filter(has=phone.locator("#id_text"))
    reply.locator("#id_text").fill(REPLY)
    with phone.expect_navigation():
        reply.locator("button[type=submit]").tap()
    expect(status.locator(".question")).to_have_count(0)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW

    # ... and the caseworker's queue marks the case, with the names to scan by.
    page.goto(url(live_server, "staff:queues", language=language, query="queue=mine"))
    row = main.locator("tr", has=page.get_by_role("link", name=number))
    expect(row.locator(".attention-mark")).to_be_visible()
    expect(row).to_contain_text("Смирнов Денис Андреевич")
    expect(page.locator("header .attention-count")).not_to_have_text("0")
    screenshot(page, f"walkthrough-{language}-3-caseworker-queue-marker")

    # 5. She drafts the answer from the rulebook's paragraph and submits it for approval.
    page.goto(url(live_server, "staff:case", number, language=language))
    card = main.locator("#answer")
    card.locator("#answer-text").fill("Уважаемая Ольга Ивановна!")
    card.locator("#answer-paragraph").select_option(index=0)
    with page.expect_navigation():
        card.locator("button[value=insert]").click()
    expect(card.locator("#answer-text")).to_have_value(
        # The name in the genitive a Russian sentence needs, as written in an English one.
        re.compile(r"^Уважаемая Ольга Ивановна!\n\n.+" + {
            "ru": "военнослужащего Смирнова Дениса Андреевича",
            "en": "service member Смирнов Денис Андреевич"}[language], re.S))
    card.locator("#answer-text").fill(
        "Уважаемая Ольга Ивановна!\n\nПо вашему обращению запись о самовольном оставлении "
        "части в отношении Смирнова Дениса Андреевича исправлена командованием части.")
    card.locator("#answer-outcome").select_option("upheld")
    expect(card.locator("button[value=sign]")).to_have_count(0)  # approval comes first
    with page.expect_navigation():
        card.locator("button[value=submit]").click()
    logout(page)

    # 6. The supervisor approves; the caseworker signs and sends.
    login(page, live_server, "supervisor", PASSWORD, language=language)
    page.goto(url(live_server, "staff:case", number, language=language))
    expect(card).to_contain_text("запись о самовольном оставлении части")
    with page.expect_navigation():
        card.locator("button[value=approve]").click()
    logout(page)
    login(page, live_server, "caseworker", PASSWORD, language=language)
    page.goto(url(live_server, "staff:case", number, language=language))
    with page.expect_navigation():
        card.locator("button[value=sign]").click()
    answer = Answer.objects.get(case=case)
    assert answer.state == AnswerState.SIGNED
    assert answer.approver == people["supervisor"] and answer.signer == people["caseworker"]
    case.refresh_from_db()
    assert case.state == CaseState.ANSWERED and case.outcome == "upheld"
    expect(card).to_contain_text(answer.outgoing_number)
    screenshot(page, f"walkthrough-{language}-4-answer-signed")

    # The letter: the office's address, the outgoing number and date, the signatory.
    letter = case.documents.filter(generated=True, content_type="application/pdf",
                                   public=True).order_by("-pk").first()
    _document, handle = documents.document_open(actor=people["caseworker"],
                                                document_id=letter.pk, case=case)
    text = pdf_text(handle.read())
    applicant_language = letter_language(answer)
    assert answer.outgoing_number in text
    assert MSK_ADDRESS[applicant_language] in " ".join(text.split())
    assert "Соколова" in text
    assert ("Главный специалист" if applicant_language == "ru" else "Chief specialist") in text
    assert "Смирнова Ольга Ивановна" in text or "Olga" in text
    signed_on = answer.signed_at.date()
    assert str(signed_on.year) in text

    # 7. The mother gets the email with the link, and reads the answer on her phone.
    ready = [m for m in mail.outbox if "olga.smirnova@example.org" in m.to
             and "/status/" in m.body and case.number in m.body + m.subject]
    assert ready, [(m.subject, m.to) for m in mail.outbox]
    open_status(phone, live_server, language, number, code)
    section = main_of(phone).locator("section.answer")
    expect(section).to_contain_text("исправлена командованием части")
    expect(section).to_contain_text(answer.outgoing_number)
    expect(section.locator("a[href]").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, f"walkthrough-{language}-5-answer-on-phone")


def case_book_label(case: Case, language: str) -> str:
    from casedesk import rulebook

    return rulebook.get(case.rulebook_version).category_label(case.category, language)


def letter_language(answer: Answer) -> str:
    return answer.language or "ru"
