"""The public portal on a phone in a real (headless) Chromium: a relative files an appeal
without an account, keeps the receipt, follows the case and answers the office's question;
a double tap files one appeal; mistakes are explained; a wrong code says nothing about
which part was wrong; axe-core finds no serious accessibility problem; and every main page
is photographed in both languages (test-artifacts/screenshots/portal_<page>_<lang>.png).

Expected texts come from the translation catalogue (gettext in the page's language), so
these tests check the behaviour in both languages; whether the Russian pages are actually
in Russian is checked while photographing them.
"""

from __future__ import annotations

import re
import threading
import uuid
from urllib.parse import unquote

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import screenshot, url
from casedesk.cases import timeline
from casedesk.cases.models import Appeal, Case
from casedesk.cases.services import case_transition
from casedesk.core.states import CaseState
from casedesk.intake import public
from casedesk.intake.models import PublicSubmission
from casedesk.intake.services import PersonData
from casedesk.portal.forms import AppealForm
from casedesk.testing import pdf_bytes, png_bytes

# The regions come from a data migration: restore them after each flush of the database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LANGUAGES = ["ru", "en"]
NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
QUESTION = "Пришлите, пожалуйста, выписку из госпиталя."
MOSCOW = {"ru": "г Москва", "en": "Moscow"}


# --- real files -----------------------------------------------------------------------------

@pytest.fixture
def files(tmp_path):
    """Two attachments for the appeal and one for the answer, with Russian names."""
    paths = {"pdf": tmp_path / "Контракт.pdf", "png": tmp_path / "фото справки.png",
             "answer": tmp_path / "Выписка из госпиталя.pdf"}
    paths["pdf"].write_bytes(pdf_bytes("contract"))
    paths["png"].write_bytes(png_bytes())
    paths["answer"].write_bytes(pdf_bytes("discharge summary"))
    return paths


# --- what a person sees and does ------------------------------------------------------------

def gettext_in(language: str, message) -> str:
    with translation.override(language):
        return gettext(str(message)) if isinstance(message, str) else str(message)


def label_in(language: str, field: str) -> str:
    with translation.override(language):
        # (of a form made now: the consent names the offices' data controller)
        return str(AppealForm().fields[field].label)


def appeal_form(page):
    return page.locator("main form[enctype='multipart/form-data']")


def submit(page, button):
    """Tap a submit button and wait for the page it leads to; returns the response."""
    with page.expect_navigation() as navigation:
        button.tap()
    return navigation.value


def fill_appeal(page, language: str, files: dict | None = None) -> None:
    """Fill in the whole appeal form as a mother writing about her son."""
    form = appeal_form(page)
    form.locator("input[name=relation][value=mother]").check()
    form.locator("#id_applicant_name").fill("Смирнова Ольга Ивановна")
    form.locator("#id_email").fill("olga.smirnova@example.org")
    form.locator("#id_member_name").fill("Смирнов Денис Андреевич")
    form.locator("#id_member_birth_date").fill("1996-07-21")
    form.locator("#id_member_unit").fill("31135")
    form.locator("#id_member_region").select_option(label=MOSCOW[language])
    form.locator("#id_member_service_type").select_option("mobilized")
    form.locator("#id_category").select_option("record_error_awol")
    form.locator("#id_text").fill(
        "Мой сын с марта лежит в госпитале после ранения, а в части его записали в СОЧ. "
        "Денежное довольствие не платят.")
    form.locator("#id_request").fill("Прошу исправить запись и восстановить выплаты.")
    if files:
        form.locator("#id_files").set_input_files([files["pdf"], files["png"]])
    form.locator("#id_consent").check()


def read_receipt(page) -> tuple[str, str]:
    """The case number and access code shown on the receipt."""
    main = page.locator("main")
    expect(main.locator(".code")).to_be_visible()
    number = main.locator(".receipt dd strong").first.inner_text().strip()
    code = main.locator(".code").inner_text().strip()
    assert NUMBER.fullmatch(number), number
    assert CODE.fullmatch(code), code
    return number, code


def open_status(page, live_server, language: str, number: str, code: str):
    """Look the case up on the status page, typed the way a person might type it: the
    number in lower case with spaces around, the code in lower case with spaces for
    dashes. Returns the response."""
    page.goto(url(live_server, "portal:status", language=language))
    form = page.locator("main form[method=post]").filter(has=page.locator("#id_access_code"))
    form.locator("#id_case_number").fill(f"  {number.lower()} ")
    form.locator("#id_access_code").fill(code.lower().replace("-", " "))
    return submit(page, form.locator("button[type=submit]"))


def ask_a_question(case: Case, staff) -> None:
    """The office registers the case, takes it into review and asks the applicant."""
    case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="request_information",
                    message=QUESTION)


def squashed(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", unquote(text).upper())


SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


# --- 1. the walkthrough on a phone ----------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_walkthrough_file_keep_receipt_follow_and_answer(
        live_server, phone, staff, files, language):
    page = phone
    main = page.locator("main")
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    page.on("framenavigated",
            lambda frame: visited.append(frame.url) if frame == page.main_frame else None)

    # From the home page to the form, by the big button.
    page.goto(url(live_server, "portal:home", language=language))
    expect(page.locator("html")).to_have_attribute("lang", language)
    main.locator('a.button[href$="/appeal/"]').tap()
    expect(page).to_have_url(re.compile(rf"/{language}/appeal/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text(
        gettext_in(language, "Send an appeal"))

    # She fills it in, attaches a PDF and a photo, agrees and sends.
    fill_appeal(page, language, files)
    response = submit(page, appeal_form(page).locator("button[type=submit]"))
    assert response.status == 200
    expect(page).to_have_url(re.compile(rf"/{language}/appeal/received/$"))
    number, code = read_receipt(page)
    case = Case.objects.get(number=number)
    assert case.state == CaseState.RECEIVED
    assert sorted(case.documents.values_list("original_name", flat=True)) == sorted(
        [files["pdf"].name, files["png"].name])
    appeal = case.appeals.get()
    assert appeal.language == language
    assert case.service_member.full_name == "Смирнов Денис Андреевич"
    assert case.service_member.region.code == "RU-MOW"

    # The receipt says by when the answer is due, in the page's language.
    due = public.answer_due(case)
    assert due is not None
    with translation.override(language):
        expect(main.locator(".receipt")).to_contain_text(date_format(due, "DATE_FORMAT"))
    expect(main.locator(".receipt")).to_contain_text(
        gettext_in(language, "Answer due at the latest by"))

    # The code is shown once: a reload shows the number only.
    page.reload()
    expect(main.locator(".receipt")).to_contain_text(number)
    expect(main.locator(".code")).to_have_count(0)
    expect(main).not_to_contain_text(code)

    # She follows the case: number and code typed carelessly still work.
    main.locator('a[href$="/status/"]').tap()
    expect(page).to_have_url(re.compile(rf"/{language}/status/$"))
    response = open_status(page, live_server, language, number, code)
    assert response.status == 200
    expect(page).to_have_url(re.compile(rf"/{language}/status/case/$"))
    expect(main.get_by_role("heading", level=1)).to_contain_text(number)
    expect(main.locator(".stage")).to_have_text(
        gettext_in(language, timeline.PLAIN_STAGE[CaseState.RECEIVED]))
    expect(main.locator(".question")).to_have_count(0)

    # The office asks her a question; she sees it on the status page and answers it.
    ask_a_question(case, staff)
    page.reload()
    expect(main.locator(".stage")).to_have_text(
        gettext_in(language, timeline.PLAIN_STAGE[CaseState.AWAITING_INFORMATION]))
    expect(main.locator(".question")).to_contain_text(QUESTION)
    reply = main.locator("section.card form").filter(has=page.locator("#id_text"))
    reply.locator("#id_text").fill("Выписку прикладываю. Сын всё ещё в госпитале.")
    reply.locator("#id_files").set_input_files(files["answer"])
    response = submit(page, reply.locator("button[type=submit]"))
    assert response.status == 200
    expect(page).to_have_url(re.compile(rf"/{language}/status/case/$"))
    expect(main.locator(".messages[role=status]")).to_have_text(
        gettext_in(language, "Thank you: your answer has been added to the case."))
    expect(main.locator(".question")).to_have_count(0)
    expect(main.locator(".stage")).to_have_text(
        gettext_in(language, timeline.PLAIN_STAGE[CaseState.IN_REVIEW]))

    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.documents.count() == 3
    assert case.appeals.count() == 2
    # File names are encrypted: compare them in Python, not in a query.
    assert files["answer"].name in {d.original_name for d in case.documents.all()}

    # Neither the number nor the code ever travelled in an address.
    assert len(visited) > 10
    leaks = [u for u in visited if squashed(code) in squashed(u) or squashed(number)
             in squashed(u)]
    assert not leaks, leaks
    assert page.evaluate(SIDEWAYS) <= 0


# --- 2. sending twice files one appeal -----------------------------------------------------

@pytest.mark.browser
def test_double_tap_on_send_files_one_appeal(live_server, phone, office, files, monkeypatch):
    """The same form sent twice at once (a second tap while the first sending is on its
    way): one appeal, and the phone shows its receipt.

    The race is driven by the test, not by the browser's timing: the page sends the form a
    second time itself (``fetch`` of the same form, with its files and hidden key) and the
    tap sends it as a navigation; the server holds each sending until both have arrived,
    so both are always in flight together, whatever the machine's load."""
    real, keys = public.appeal_submit, []
    both_here = threading.Barrier(2, timeout=60)

    def held_until_both_arrive(**kwargs):
        keys.append(kwargs["idempotency_key"])
        both_here.wait()
        return real(**kwargs)

    monkeypatch.setattr(public, "appeal_submit", held_until_both_arrive)
    page = phone
    page.goto(url(live_server, "portal:appeal", language="ru"))
    fill_appeal(page, "ru", files)
    form = appeal_form(page)
    # The second sending, started first: it waits in the server for the tap's.
    # Like the first tap's navigation, which the second replaces, it never opens the
    # receipt its answer points to (redirect: "manual"), but its cookies count.
    form.evaluate("""form => { window.secondSending = fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        redirect: "manual"}); }""")
    send = form.locator("button[type=submit]")
    send.scroll_into_view_if_needed()
    with page.expect_request(lambda request: request.method == "POST"
                             and request.resource_type == "document"):
        send.tap()
    page.wait_for_url(re.compile(r"/ru/appeal/received/$"))
    number, _code = read_receipt(page)

    assert len(keys) == 2 and len(set(keys)) == 1  # both sendings carried the same key
    assert Case.objects.count() == 1
    assert Case.objects.get().number == number
    assert Appeal.objects.count() == 1
    assert PublicSubmission.objects.count() == 1
    assert Case.objects.get().documents.count() == 2


@pytest.mark.browser
def test_back_and_send_again_files_one_appeal(live_server, phone, office, files):
    """Unsure whether it went, she goes back from the receipt and sends the form again; the
    browser has kept what she typed."""
    page = phone
    page.goto(url(live_server, "portal:appeal", language="ru"))
    fill_appeal(page, "ru", files)
    submit(page, appeal_form(page).locator("button[type=submit]"))
    number, _code = read_receipt(page)
    assert Case.objects.count() == 1

    page.go_back()
    expect(page).to_have_url(re.compile(r"/ru/appeal/$"))
    form = appeal_form(page)
    # Chromium puts back what she typed (not the files: they must be chosen again).
    expect(form.locator("#id_text")).to_have_value(re.compile("лежит в госпитале"))
    expect(form.locator("#id_consent")).to_be_checked()
    form.locator("#id_files").set_input_files([files["pdf"], files["png"]])
    submit(page, form.locator("button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/ru/appeal/received/$"))
    again = page.locator("main .receipt dd strong").first.inner_text().strip()

    assert Case.objects.count() == 1, (
        f"sending the same appeal again after going back opened a second case ({number}, "
        f"{again}): the form came back with a new hidden idempotency key")
    assert again == number


# --- 3. mistakes on the form ----------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_validation_errors_listed_in_page_language_and_nothing_stored(
        live_server, phone, office, language):
    page = phone
    main = page.locator("main")
    page.goto(url(live_server, "portal:appeal", language=language))
    form = appeal_form(page)
    # She says she is his mother and writes some things, but leaves her name, his name, the
    # text and the consent empty.
    form.locator("input[name=relation][value=mother]").check()
    form.locator("#id_email").fill("olga.smirnova@example.org")
    form.locator("#id_member_unit").fill("31135")
    form.locator("#id_request").fill("Прошу разобраться.")
    form.locator("#id_member_region").select_option(label=MOSCOW[language])
    response = submit(page, form.locator("button[type=submit]"))
    assert response.status == 400

    summary = main.locator(".error[role=alert]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(gettext_in(
        language, "Please check these fields. Nothing was sent yet; files must be chosen again."))
    missing = ["applicant_name", "member_name", "text", "consent"]
    links = summary.locator("li a")
    expect(links).to_have_text([label_in(language, name) for name in missing])
    for name, link in zip(missing, links.all(), strict=True):
        assert link.get_attribute("href") == f"#id_{name}"
        expect(page.locator(f"#id_{name}")).to_have_attribute("aria-invalid", "true")
    with translation.override(language):
        required = gettext("This field is required.")
        member = gettext("Write the service member's full name.")
        consent = gettext("We can only take the appeal with your consent.")
    expect(summary).to_contain_text(required)
    expect(summary).to_contain_text(member)
    expect(summary).to_contain_text(consent)

    # What she typed is still there.
    form = appeal_form(page)
    expect(form.locator("#id_email")).to_have_value("olga.smirnova@example.org")
    expect(form.locator("#id_member_unit")).to_have_value("31135")
    expect(form.locator("#id_request")).to_have_value("Прошу разобраться.")
    expect(form.locator("#id_member_region option:checked")).to_have_text(MOSCOW[language])
    expect(form.locator("input[name=relation][value=mother]")).to_be_checked()

    # A tap on an error goes to its field.
    links.first.tap()
    expect(page).to_have_url(re.compile(r"#id_applicant_name$"))
    assert Case.objects.count() == 0
    assert PublicSubmission.objects.count() == 0


# --- 4. a wrong access code -----------------------------------------------------------------

@pytest.mark.browser
def test_wrong_code_and_unknown_number_get_the_same_refusal(live_server, phone, office):
    receipt = public.appeal_submit(
        channel="web", idempotency_key=uuid.uuid4().hex, payload={"test": "wrong code"},
        applicant=PersonData(full_name="Смирнова Ольга Ивановна",
                             email="olga.smirnova@example.org"),
        relation="mother", service_member=PersonData(full_name="Смирнов Денис Андреевич"),
        text="Сына записали в СОЧ.", category="record_error_awol", consent=True)
    wrong = "ACDE-FGHJ-KMNP" if receipt.access_code != "ACDE-FGHJ-KMNP" else "CDEF-GHJK-MNPQ"
    unknown = f"{office.code}-2099-999999"
    page = phone
    main = page.locator("main")
    for language in LANGUAGES:
        refusals = []
        for number, code in [(receipt.case_number, wrong), (unknown, receipt.access_code)]:
            response = open_status(page, live_server, language, number, code)
            assert response.status == 400
            expect(page).to_have_url(re.compile(rf"/{language}/status/$"))
            alert = main.locator("[role=alert]")
            expect(alert).to_be_visible()
            refusals.append(alert.inner_text())
            expect(main.locator(".stage")).to_have_count(0)
        assert refusals[0] == refusals[1] == gettext_in(
            language, "We could not find an appeal with this number and code. Check both "
                      "and try again.")
    # The right code still works after the failures.
    open_status(page, live_server, "en", receipt.case_number, receipt.access_code)
    expect(page).to_have_url(re.compile(r"/en/status/case/$"))
    expect(main.get_by_role("heading", level=1)).to_contain_text(receipt.case_number)


# --- 5 and 6. every page: accessibility and screenshots -------------------------------------

def tour(page, live_server, language: str, staff):
    """Visit every main page as the applicant sees it, yielding its name when on screen.
    (Without attachments: these pages look the same with them, and the walkthrough covers
    uploads.)"""
    main = page.locator("main")
    page.goto(url(live_server, "portal:home", language=language))
    yield "home"
    main.locator('a.button[href$="/appeal/"]').tap()
    expect(page).to_have_url(re.compile(r"/appeal/$"))
    yield "form"
    assert submit(page, appeal_form(page).locator("button[type=submit]")).status == 400
    expect(main.locator(".error[role=alert]")).to_be_visible()
    yield "form_errors"
    fill_appeal(page, language)
    submit(page, appeal_form(page).locator("button[type=submit]"))
    number, code = read_receipt(page)
    yield "receipt"
    main.locator('a[href$="/status/"]').tap()
    expect(page).to_have_url(re.compile(r"/status/$"))
    yield "lookup"
    ask_a_question(Case.objects.get(number=number), staff)
    open_status(page, live_server, language, number, code)
    expect(main.locator(".question")).to_contain_text(QUESTION)
    yield "status"


SERIOUS = {"serious", "critical"}


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_accessibility_problems(live_server, phone, staff, language):
    axe = Axe()
    serious, minor = {}, {}
    for name in tour(phone, live_server, language, staff):
        response = axe.run(phone).response
        assert response["testEngine"]["name"] == "axe-core" and response["passes"]
        for v in response["incomplete"]:
            print(f"axe [{language}] {name}: needs review: {v['id']} ({v['impact']}, "
                  f"{len(v['nodes'])}x): {v['help']} -> " + "; ".join(
                      f"{', '.join(n['target'])}: {n['html'][:120]} "
                      f"{[c['message'] for c in n['any'] + n['all'] + n['none']]}"
                      for n in v["nodes"][:3]))
        for v in response["violations"]:
            found = serious if v["impact"] in SERIOUS else minor
            found.setdefault(name, []).append(
                f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']} -> "
                + "; ".join(", ".join(n["target"]) for n in v["nodes"][:4]))
    for name, items in minor.items():
        for item in items:
            print(f"axe [{language}] {name}: {item}")
    assert not serious, serious


SMALL_TARGETS = """() => [...document.querySelectorAll(
    "a, button, input:not([type=hidden]), select, textarea, summary, label")]
  .filter(el => el.offsetParent !== null)
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width < 44 || r.height < 44)
  .map(([el, r]) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
       + `${el.name ? "[" + el.name + "]" : ""} "${(el.innerText || el.value || "")
       .trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""


# Words that may stay Latin on a Russian page: the brand, the language switch, file kinds,
# the example case number.
ALLOWED_LATIN = {"casedesk", "RU", "EN", "PDF", "JPEG", "JPG", "PNG", "WebP", "WEBP", "HEIC",
                 "MSK", "FZ"}
LATIN_WORDS = """() => {
  const text = [document.title, document.body.innerText,
    ...[...document.querySelectorAll("[placeholder],[aria-label],[title],[alt]")].map(el =>
      [el.placeholder, el.getAttribute("aria-label"), el.title, el.alt].join(" "))].join(" ");
  return text.match(/[A-Za-z][A-Za-z'’]+(?:[ ,.:;-]+[A-Za-z][A-Za-z'’]+)*/g) || [];
}"""


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_screenshots_of_the_portal_on_a_phone(live_server, phone, staff, language):
    """Photographs of every main page for a person to look at; on the way, each page must
    fit the phone's width and a Russian page must have no English left in it."""
    english = {}
    for name in tour(phone, live_server, language, staff):
        # The tour moves on once the address has changed, which can be before the style
        # sheet applies: an unstyled form is wider than the phone (48 px, seen twice).
        phone.wait_for_load_state("load")
        assert phone.evaluate(SIDEWAYS) <= 0, f"{name} scrolls sideways"
        path = screenshot(phone, f"portal_{name}_{language}")
        small = phone.evaluate(SMALL_TARGETS)
        print(f"{path.name}: {len(small)} touch targets under 44 px: {small}")
        if language == "ru":
            code = phone.locator("main .code")
            code = code.inner_text() if code.count() else ""
            words = [w for w in phone.evaluate(LATIN_WORDS)
                     if not set(re.split(r"[ ,.:;-]+", w)) <= ALLOWED_LATIN
                     and not (code and w in code)]
            if words:
                english[name] = sorted(set(words))
    assert not english, f"English words on the Russian pages: {english}"
