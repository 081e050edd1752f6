"""The commission in a real (headless) Chromium, from referral to the applicant's letter.

A caseworker refers a case in review to the office's commission; the chair puts it on a
session's agenda; the three members vote with reasons; the chair cannot sign before the
quorum and signs after it; the decision letter (PDF and DOCX, in the appeal's language)
lands in the case file; the applicant sees the decision, the agenda date and the letter
on the status page on a phone and downloads the letter.

The staff walk through the English pages (/en/...) for stable labels; the applicant's
Russian page is checked against the translation catalogue (gettext in Russian), so a
string missing from the .po file shows up in the screenshots, not as a failure here.
Screenshots and the rendered letter go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from playwright.sync_api import expect

from casedesk.accounts.roles import Role
from casedesk.browser_testing import PHONE, SCREENSHOTS, login, screenshot, url
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.core.states import CaseState
from casedesk.intake import public
from casedesk.intake.services import PersonData
from casedesk.letters.tests.helpers import flat, ink_share
from casedesk.review.models import (
    Commission,
    CommissionMember,
    Decision,
    ReferralStatus,
    Session,
)

# The regions come from a data migration: restore them after each flush of the database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "x" * 16
SUMMARY = ("Сын заявительницы с марта находится в госпитале, часть записала его в СОЧ; "
           "выписка из госпиталя подтверждает лечение.")
QUESTION = "Поддержать обращение и рекомендовать части исправить запись о СОЧ?"
PLACE = "Зал заседаний, каб. 214"
MOVE_REASON = "Заседание переносится: зал освободился раньше."
REASONING = "Запись о СОЧ ошибочна: выписка подтверждает лечение в госпитале."
REASONS = {
    "chair": "Выписка из госпиталя подтверждает лечение.",
    "member1": "Даты лечения совпадают с периодом записи.",
    "member2": "Оснований для записи о СОЧ нет.",
}


@pytest.fixture
def media(settings, tmp_path):
    """Letters go to a temporary folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def commission(office, make_user):
    """The office's commission: the chair and two members."""
    commission = Commission.objects.create(office=office, name_ru="Комиссия офиса",
                                           name_en="Office commission")
    for username in ("chair", "member1", "member2"):
        person = make_user(Role.COMMISSION_MEMBER, office, username=username)
        CommissionMember.objects.create(commission=commission, user=person,
                                        is_chair=username == "chair")
    return commission


@pytest.fixture
def receipt(office, staff, media):
    """A mother's appeal from the public form (in Russian, no email), registered and taken
    into review."""
    receipt = public.appeal_submit(
        channel="web", idempotency_key=uuid.uuid4().hex, payload={"test": "commission"},
        applicant=PersonData(full_name="Смирнова Ольга Ивановна"),
        relation="mother",
        service_member=PersonData(full_name="Смирнов Денис Андреевич", unit="31135",
                                  service_type="mobilized"),
        text="Мой сын с марта лежит в госпитале, а в части его записали в СОЧ.",
        request="Прошу исправить запись.", category="record_error_awol", language="ru",
        consent=True, office=office)
    case = Case.objects.get(number=receipt.case_number)
    case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register")
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    return receipt


# --- what a person sees and does ------------------------------------------------------------

def gettext_in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def message(page):
    return page.locator("main .messages")


def state_badge(page):
    return page.locator("main h1 .badge").first


def card(page, heading_id: str):
    return page.locator("main section", has=page.locator(f"#{heading_id}"))


def open_commission(page):
    """From anywhere in the workspace to the Commission page, by the header's link."""
    with page.expect_navigation():
        page.locator("header nav").get_by_role("link", name="Commission", exact=True).click()
    expect(page.locator("main").get_by_role("heading", level=1)).to_have_text("Commission")


def open_session(page):
    """From the Commission page to the (only) session, by its link in the Sessions list."""
    with page.expect_navigation():
        page.locator("main a[href*='/commission/sessions/']").first.click()
    expect(page).to_have_url(re.compile(r"/en/staff/commission/sessions/\d+/$"))


def vote_uphold(page, reason: str) -> None:
    form = page.locator("main form.vote")
    form.get_by_label("uphold", exact=True).check()
    form.get_by_label("Reason", exact=True).fill(reason)
    with page.expect_navigation():
        form.get_by_role("button", name="Vote", exact=True).click()
    expect(message(page)).to_contain_text("Your vote is recorded.")


def sign(page, outcome: str, reasoning: str) -> None:
    form = page.locator("main form.sign")
    form.get_by_label("Outcome", exact=True).select_option(outcome)
    form.get_by_label("Reasoning", exact=True).fill(reasoning)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign the decision", exact=True).click()


# --- the walkthrough ------------------------------------------------------------------------

@pytest.mark.browser
def test_referral_session_votes_quorum_decision_letter_and_the_applicant_sees_it(
        live_server, new_page, staff, commission, receipt, tmp_path):
    number = receipt.case_number
    case = Case.objects.get(number=number)
    assert case.state == CaseState.IN_REVIEW

    # 1. The caseworker refers the case to the commission from the case page.
    caseworker = new_page()
    login(caseworker, live_server, "caseworker", PASSWORD)
    caseworker.goto(url(live_server, "staff:case", number))
    expect(state_badge(caseworker)).to_have_text("under review")
    refer = caseworker.locator("main details.action").filter(
        has=caseworker.locator("summary", has_text="Refer to the commission"))
    expect(refer).to_have_count(1)
    refer.locator("summary").click()
    refer.get_by_label("Commission", exact=True).select_option(label="Office commission")
    # By name: the label "Summary of the case" (for="summary") points at the Summary card's
    # <h2 id="summary">, the first element with that id, not at the textarea.
    refer.locator("textarea[name=summary]").fill(SUMMARY)
    refer.get_by_label("Question to decide").fill(QUESTION)
    with caseworker.expect_navigation():
        refer.get_by_role("button", name="Refer to the commission", exact=True).click()
    expect(message(caseworker)).to_contain_text("The case is referred to the commission.")
    expect(state_badge(caseworker)).to_have_text("referred to the commission")
    referral = case.referrals.get()
    assert (referral.commission, referral.status) == (commission, ReferralStatus.PENDING)

    # 2. The chair finds it waiting and schedules a session with it on the agenda.
    chair = new_page()
    main = chair.locator("main")
    login(chair, live_server, "chair", PASSWORD)
    open_commission(chair)
    section = main.locator("section.card", has_text="Office commission")
    waiting = section.locator("tbody tr", has=chair.get_by_role("link", name=number))
    expect(waiting).to_contain_text(QUESTION)
    box = waiting.get_by_role("checkbox", name=number)
    expect(box).not_to_be_checked()  # nothing goes on an agenda unless the chair ticks it
    starts = (timezone.localtime() + dt.timedelta(days=10)).replace(
        hour=10, minute=30, second=0, microsecond=0)
    section.get_by_label("Session date and time").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    section.get_by_label("Place").fill(PLACE)
    schedule = section.get_by_role("button", name="Schedule a session with the selected cases")
    with chair.expect_navigation():
        schedule.click()
    expect(message(chair).locator(".error")).to_have_text(
        "Tick the cases to put on the agenda: none is ticked.")
    assert not Session.objects.exists()
    section.get_by_label("Session date and time").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    section.get_by_label("Place").fill(PLACE)
    section.locator("tbody tr", has=chair.get_by_role("link", name=number)) \
        .get_by_role("checkbox", name=number).check()
    with chair.expect_navigation():
        schedule.click()
    expect(chair).to_have_url(re.compile(r"/en/staff/commission/sessions/\d+/$"))
    expect(main.locator("[role=status].error")).to_have_count(0)
    expect(main).to_contain_text(PLACE)
    item = main.locator("section.agenda-item")
    expect(item).to_have_count(1)
    expect(item.get_by_role("heading", level=2)).to_have_text(f"1. {number}")
    expect(item).to_contain_text(SUMMARY)
    expect(item).to_contain_text(QUESTION)
    expect(item.locator("ul.votes")).to_have_text("No votes yet.")
    session = Session.objects.get()
    assert (session.starts_at, session.place) == (starts, PLACE)
    session_url = chair.url

    # 3. Before the session's day nobody votes or signs: the page says from when.
    with translation.override("en"):
        opens = date_format(starts.date(), "DATE_FORMAT")
    expect(main.locator("p.session-opens")).to_have_text(
        f"Members vote and the chair signs from {opens}, the day of the session.")
    expect(main.locator("form.vote, form.sign")).to_have_count(0)
    screenshot(chair, "commission_session_before_the_day_en")
    chair.goto(session_url.replace("/en/", "/ru/", 1))
    expect(main.locator("p.session-opens")).to_contain_text(
        gettext_in("ru", "Members vote and the chair signs from %(date)s, the day of the "
                   "session.").split("%(date)s")[0])
    screenshot(chair, "commission_session_before_the_day_ru")
    chair.goto(session_url)

    # The chair moves the session to today, with a reason; the forms appear.
    today = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)
    move = main.locator("details.session-move")
    move.locator("summary").click()
    move.get_by_label("New date and time").fill(today.strftime("%Y-%m-%dT%H:%M"))
    # No reason, no move: the browser asks for it (and the service refuses an empty one).
    expect(move.get_by_label("Reason for moving")).to_have_attribute("required", "")
    move.get_by_label("Reason for moving").fill(MOVE_REASON)
    with chair.expect_navigation():
        move.get_by_role("button", name="Move the session").click()
    expect(message(chair)).to_contain_text(
        "The session is moved; the applicants see the new date.")
    expect(main.locator("section.session-moves")).to_contain_text(MOVE_REASON)
    expect(main.locator("p.session-opens")).to_have_count(0)
    expect(main.locator("form.vote")).to_have_count(1)
    expect(main.locator("form.sign")).to_have_count(1)
    assert Session.objects.get().starts_at == today
    screenshot(chair, "commission_session_on_the_day_en")

    # The members vote; with two votes of the three needed the chair cannot sign yet.
    vote_uphold(chair, REASONS["chair"])
    member1 = new_page()
    login(member1, live_server, "member1", PASSWORD)
    open_commission(member1)
    open_session(member1)
    vote_uphold(member1, REASONS["member1"])
    expect(member1.locator("main ul.votes li")).to_have_count(2)
    expect(member1.locator("main form.sign")).to_have_count(0)  # only the chair signs

    chair.reload()
    sign(chair, "uphold", REASONING)
    expect(message(chair).locator(".error")).to_have_text(
        "No quorum: 2 votes with reasons, 3 needed.")
    expect(main.locator(".decision")).to_have_count(0)
    assert not Decision.objects.exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.REFERRED_TO_COMMISSION

    member2 = new_page()
    login(member2, live_server, "member2", PASSWORD)
    open_commission(member2)
    open_session(member2)
    vote_uphold(member2, REASONS["member2"])
    votes = member2.locator("main ul.votes li")
    expect(votes).to_have_count(3)
    for username, reason in REASONS.items():
        expect(votes.filter(has_text=reason)).to_contain_text(f"{username}: uphold")

    # 4. With the quorum the chair signs; the decision replaces the forms.
    chair.reload()
    sign(chair, "uphold", REASONING)
    expect(message(chair)).to_contain_text(
        "The decision is signed; the letter is in the case file.")
    decision = main.locator(".decision")
    expect(decision).to_have_count(1)
    expect(decision.locator("strong").first).to_have_text("Decision: upheld")
    expect(decision).to_contain_text("signed by chair")
    expect(decision).to_contain_text(REASONING)
    expect(main.locator("form.vote, form.sign")).to_have_count(0)
    screenshot(chair, "commission_session_en")
    chair.goto(session_url.replace("/en/", "/ru/", 1))
    expect(chair.locator("html")).to_have_attribute("lang", "ru")
    expect(main.locator(".decision")).to_contain_text(REASONING)
    screenshot(chair, "commission_session_ru")
    assert Decision.objects.get().outcome == "uphold"

    # 5. The case is decided and the letter is in its file, as a PDF and a DOCX.
    caseworker.reload()
    expect(state_badge(caseworker)).to_have_text("decided by the commission")
    documents = card(caseworker, "documents")
    pdf_name, docx_name = f"{number}-decision-ru.pdf", f"{number}-decision-ru.docx"
    expect(documents.get_by_role("link", name=pdf_name)).to_have_count(1)
    expect(documents.get_by_role("link", name=docx_name)).to_have_count(1)
    with caseworker.expect_download() as download_info:
        documents.get_by_role("link", name=pdf_name).click()
    download = download_info.value
    assert download.suggested_filename == pdf_name
    pdf = tmp_path / pdf_name
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    command = ["pdftotext", "-enc", "UTF-8", str(pdf), "-"]
    text = flat(subprocess.run(command, capture_output=True, check=True,  # noqa: S603
                               text=True).stdout)
    with translation.override("ru"):
        today_ru = date_format(timezone.localdate(), "j E Y")  # "5 декабря 2025"
    assert number in text
    assert REASONING in text
    assert today_ru in text, (today_ru, text[:400])
    assert "Решение комиссии" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = SCREENSHOTS / "letter_decision_ru"
    png = SCREENSHOTS / "letter_decision_ru-1.png"
    png.unlink(missing_ok=True)
    command = ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(stem)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603
    assert png.stat().st_size > 20_000, png.stat().st_size
    assert ink_share(png) > 0.01  # text on the page, not a blank sheet

    # 6. The applicant, on a phone in Russian, sees the decision and downloads the letter.
    cache.clear()  # the status look-up is rate-limited per client
    applicant = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    main = applicant.locator("main")
    applicant.goto(url(live_server, "portal:status", language="ru"))
    expect(applicant.locator("html")).to_have_attribute("lang", "ru")
    form = main.locator("form[method=post]").filter(has=applicant.locator("#id_access_code"))
    form.locator("#id_case_number").fill(number)
    form.locator("#id_access_code").fill(receipt.access_code)
    with applicant.expect_navigation():
        form.locator("button[type=submit]").tap()
    expect(applicant).to_have_url(re.compile(r"/ru/status/case/$"))
    expect(main.get_by_role("heading", level=1)).to_contain_text(number)
    expect(main.locator(".stage")).to_have_text(gettext_in(
        "ru", "The commission has decided; the answer is being prepared."))
    history = main.locator("ol.timeline")
    with translation.override("ru"):
        agenda = gettext("Your case is on the commission's agenda for %(date)s.") % {
            "date": date_format(starts.date(), "DATE_FORMAT")}
        decided = gettext("The commission decided: %(outcome)s.") % {
            "outcome": gettext("upheld")}
        moved = gettext("The commission's session on your case was moved to %(date)s.") % {
            "date": date_format(today.date(), "DATE_FORMAT")}
    expect(history.locator("li", has_text=agenda)).to_have_count(1)
    expect(history.locator("li", has_text=moved)).to_have_count(1)
    expect(history).not_to_contain_text(MOVE_REASON)  # the reason stays with the commission
    expect(history.locator("li", has_text=decided)).to_have_count(1)
    expect(history).not_to_contain_text(REASONING)  # the reasoning is in the letter only
    letters = card(applicant, "letters")
    expect(letters.get_by_role("heading", level=2)).to_have_text(
        gettext_in("ru", "Letters from the office"))
    expect(letters.get_by_role("link")).to_have_count(2)
    screenshot(applicant, "portal_case_decided_phone_ru")
    # The applicant sees what the letter is and its format, not a file name.
    title = gettext_in("ru", "Decision of the commission")
    for name, fmt in ((pdf_name, "PDF"), (docx_name, "DOCX")):
        with applicant.expect_download() as download_info:
            letters.get_by_role("link", name=f"{title} ({fmt})").tap()
        assert download_info.value.suggested_filename == name
        assert download_info.value.suggested_filename.endswith((".pdf", ".docx"))
