"""The pathways guide on a phone in a real (headless) Chromium, in Russian and English:
one question a screen, a mistake explained, the back link, the result with its sections
and citations, "file an appeal with these answers", and the answers on the staff case
page. Screenshots: test-artifacts/screenshots/guide_<page>_<lang>.png.

Two walks: one through the small fake guide of ``guide_fake`` (runs now), one through
the REAL guide of the rulebook for the three people of issue 16 (``PEOPLE``), which runs
once the guide engine (``casedesk/rulebook/guide.py``) is merged.
"""

from __future__ import annotations

import importlib.util
import re
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from casedesk import rulebook
from casedesk.browser_testing import login, screenshot, url
from casedesk.cases.models import Appeal

from . import guide_fake

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LANGUAGES = ["ru", "en"]
PASSWORD = "x" * 16  # conftest.make_user
ENGINE = importlib.util.find_spec("casedesk.rulebook.guide") is not None


def gettext_in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def tap_and_wait(page, button):
    with page.expect_navigation() as navigation:
        button.tap()
    return navigation.value


def question_key(page) -> str | None:
    match = re.search(r"/guide/question/([\w-]+)/$", page.url)
    return match.group(1) if match else None


def answer_here(page, values: list[str]) -> None:
    """Answer the question on screen with ``values`` the way a person does: tap the
    radio buttons or boxes, or type the number or date."""
    form = page.locator("main form").first
    for value in values:
        choice = form.locator(f"input[type=radio][value='{value}'], "
                              f"input[type=checkbox][value='{value}']")
        if choice.count():
            choice.first.check()
        else:
            form.locator("#answer").fill(value)
    tap_and_wait(page, form.locator("button[type=submit]"))


def walk(page, live_server, language: str, answers: dict[str, list[str]],
         shots: str = "") -> None:
    """From the guide's start page to its result, answering each question asked from
    ``answers`` (question key → the form values); a question the table does not answer
    fails the test by name."""
    page.goto(url(live_server, "portal:guide", language=language))
    expect(page.locator("html")).to_have_attribute("lang", language)
    if shots:
        screenshot(page, f"{shots}_start_{language}")
    tap_and_wait(page, page.locator("main form button[type=submit]").last)
    for _step in range(40):
        key = question_key(page)
        if key is None:
            break
        assert key in answers, f"the table gives no answer to the question {key!r}"
        answer_here(page, answers[key])
    expect(page).to_have_url(re.compile(rf"/{language}/guide/result/$"))


def file_appeal(page, language: str) -> Appeal:
    """"File an appeal with these answers", then fill in and send the appeal form."""
    main = page.locator("main")
    tap_and_wait(page, main.locator("form[action$='/guide/file/'] button"))
    expect(page).to_have_url(re.compile(rf"/{language}/appeal/$"))
    expect(main.locator("#guide-attached")).to_be_visible()
    form = main.locator("form[enctype='multipart/form-data']")
    form.locator("input[name=relation][value=mother]").check()
    form.locator("#id_applicant_name").fill("Смирнова Ольга Ивановна")
    form.locator("#id_email").fill("olga.smirnova@example.org")
    form.locator("#id_member_name").fill("Смирнов Денис Андреевич")
    form.locator("#id_text").fill("Прошу помочь с увольнением сына.")
    form.locator("#id_consent").check()
    response = tap_and_wait(page, form.locator("button[type=submit]"))
    assert response.status == 200
    expect(page).to_have_url(re.compile(rf"/{language}/appeal/received/$"))
    return Appeal.objects.get()


def staff_case_page(new_page, live_server, language: str, appeal: Appeal):
    desk = new_page()
    login(desk, live_server, "caseworker", PASSWORD, language=language)
    desk.goto(url(live_server, "staff:case", appeal.case.number, language=language))
    return desk


# --- the fake guide ----------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_walks_the_guide_files_the_appeal_and_staff_see_the_answers(
        live_server, phone, new_page, staff, monkeypatch, language):
    fake = guide_fake.install(monkeypatch)
    page, main = phone, phone.locator("main")

    # From the home page, by the guide's link.
    page.goto(url(live_server, "portal:home", language=language))
    tap_and_wait(page, main.locator("a[href$='/guide/']").first)
    expect(main).to_contain_text(fake.version)
    screenshot(page, f"guide_start_{language}")
    tap_and_wait(page, main.locator("form button[type=submit]").last)

    # One question a screen: the first has no back link.
    expect(page).to_have_url(re.compile(r"/guide/question/status/$"))
    expect(main.locator("a.back")).to_have_count(0)
    screenshot(page, f"guide_question_{language}")
    answer_here(page, ["mobilized"])

    # A mistake is explained in the page's language and nothing is lost.
    expect(page).to_have_url(re.compile(r"/guide/question/age/$"))
    answer_here(page, ["7"])  # a typing slip: not an age of service
    expect(main.locator("[role=alert]")).to_have_text(guide_fake.ERRORS["number"][language])
    screenshot(page, f"guide_error_{language}")

    # Back, and the first answer is still chosen; forward again.
    tap_and_wait(page, main.locator("a.back"))
    expect(page).to_have_url(re.compile(r"/guide/question/status/$"))
    expect(main.locator("input[value=mobilized]")).to_be_checked()
    answer_here(page, ["mobilized"])
    answer_here(page, ["52"])
    answer_here(page, ["children3"])
    answer_here(page, ["2022-09-25"])

    # The result: every section with its heading, each outcome with its citation.
    expect(page).to_have_url(re.compile(rf"/{language}/guide/result/$"))
    for heading in ("Grounds that may apply", "Documents to gather", "Who decides",
                    "What this office can do", "What the law says about refusing or leaving",
                    "Lawful alternatives"):
        expect(main.get_by_role("heading", level=2, name=gettext_in(language, heading))) \
            .to_be_visible()
    grounds = main.locator("section.guide-section").first
    expect(grounds).to_contain_text(guide_fake.OUTCOMES[0].title[language])
    expect(grounds).to_contain_text("53-ФЗ, ст. 51, п. 1")
    expect(grounds).to_contain_text(gettext_in(language, "to be verified"))
    expect(main).to_contain_text({"ru": "Это справка", "en": "This is information"}[language])
    expect(main).to_contain_text(fake.version)
    # The answers never travel in the address (its path and query; the live
    # server's port may well contain "52").
    address = urlsplit(page.url)
    assert "52" not in address.path + address.query
    assert "mobilized" not in address.path + address.query
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways <= 0, "the result scrolls sideways on a phone"
    screenshot(page, f"guide_result_{language}")

    # Filed with the answers; the category comes from the result.
    tap_and_wait(page, main.locator("form[action$='/guide/file/'] button"))
    expect(main.locator("#id_category")).to_have_value("demobilization_term")
    screenshot(page, f"guide_appeal_{language}")
    page.go_back()
    appeal = file_appeal(page, language)
    assert appeal.guide_answers == {"status": "mobilized", "age": 52,
                                    "family": ["children3"], "called": "2022-09-25"}
    assert appeal.guide_version == fake.version
    assert appeal.case.category == "demobilization_term"

    # The staff case page shows the questions, the answers and the grounds.
    desk = staff_case_page(new_page, live_server, language, appeal)
    card = desk.locator("section[aria-labelledby=guide]")
    expect(card).to_contain_text(guide_fake.QUESTIONS[0].text[language])
    expect(card).to_contain_text({"ru": "Мобилизован", "en": "Mobilized"}[language])
    expect(card).to_contain_text(guide_fake.OUTCOMES[0].title[language])
    expect(card).to_contain_text("53-ФЗ, ст. 51, п. 1")
    card.scroll_into_view_if_needed()
    screenshot(desk, f"guide_staff_case_{language}")


# --- the real guide: three people of issue 16 ----------------------------------------------

# Question key → the form values each person gives; the result's grounds must show the
# citations listed. The answers mirror the test cases of rulebook/2026.1/guide.yaml.
PEOPLE = {
    "mobilized man of 52": {
        "answers": {"status": ["mobilized"], "age": ["52"], "rank": ["soldier"],
                    "fitness": ["b"], "vvk": ["never_asked"], "injured": ["no"],
                    "family": [], "service_since": ["2022-10-01"], "sentenced": ["no"],
                    "missing": ["no"], "goal": ["discharge"]},
        "citations": ["53-ФЗ, ст. 49, ст. 51, п. 1", "№ 647, п. 5"],
        "category": "demobilization_term",
    },
    "contract soldier given category В": {
        "answers": {"status": ["contract"], "age": ["34"], "rank": ["soldier"],
                    "fitness": ["v"], "vvk": ["concluded"], "injured": ["yes"],
                    "family": [], "service_since": ["2023-03-15"],
                    "contract_ended": ["no"], "sentenced": ["no"], "missing": ["no"],
                    "goal": ["discharge"]},
        "citations": ["№ 647, п. 5, подп. «б»", "53-ФЗ, ст. 51"],
        "category": "medical_discharge",
    },
    "conscript kept past his term": {
        "answers": {"status": ["conscript"], "age": ["20"], "fitness": ["a"],
                    "vvk": ["never_asked"], "injured": ["no"], "family": [],
                    "term_served": ["yes"], "service_since": ["2025-04-10"],
                    "sentenced": ["no"], "missing": ["no"], "goal": ["discharge"]},
        "citations": ["53-ФЗ, ст. 38, ст. 51"],
        "category": "demobilization_term",
    },
}


@pytest.mark.browser
@pytest.mark.skipif(not ENGINE, reason="the guide engine is merged separately")
@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_walks_the_real_guide(live_server, phone, new_page, staff, language, person):
    expected = PEOPLE[person]
    page, main = phone, phone.locator("main")
    assert getattr(rulebook.current(), "guide", None) is not None, "no guide.yaml in force"
    walk(page, live_server, language, expected["answers"])
    grounds = main.locator("section#section-grounds, section[aria-labelledby=section-grounds]")
    for citation in expected["citations"]:
        expect(grounds).to_contain_text(citation)
    expect(main).to_contain_text(rulebook.current().version)
    slug = re.sub(r"\W+", "_", person).strip("_")
    screenshot(page, f"guide_real_{slug}_{language}")
    appeal = file_appeal(page, language)
    assert appeal.guide_version == rulebook.current().version
    assert appeal.guide_answers["status"] == expected["answers"]["status"][0]
    assert appeal.case.category == expected["category"]
    desk = staff_case_page(new_page, live_server, language, appeal)
    card = desk.locator("section[aria-labelledby=guide]")
    for citation in expected["citations"]:
        expect(card).to_contain_text(citation)
