"""Issue 16, point 3 (procedures): every letter cites the basis of ITS office's procedure.

59-FZ binds public bodies only: a federal commissioner's letters cite 1-FKZ, a regional
commissioner's 48-FZ and the office's regional law, an NGO's say its terms are its own
rules, not law. The decision letter points to the remedies against the body's act, never
to an appeal against the commissioner's decision. Read as the applicant reads them: the
rendered text of the letter, in Russian and in English.
"""

from __future__ import annotations

import html
import re

import pytest

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases.documents import file_read
from casedesk.cases.models import Document
from casedesk.letters import selectors, services
from casedesk.letters.models import LetterKind
from casedesk.testing import at

from .helpers import needs_poppler, pdf_text

RECEIVED = "2027-01-11"
REGIONAL_LAW = "Закон Тестовской области от 01.02.2003 № 45-ОЗ «Об Уполномоченном»"

FZ59 = ("59-ФЗ", "59-FZ")
FKZ1 = "Федеральный конституционный закон от 26.02.1997 № 1-ФКЗ"
FZ48 = "Федеральный закон от 18.03.2020 № 48-ФЗ"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASEDESK_PUBLIC_URL = "http://letters.test/"


@pytest.fixture
def offices(db):
    """One office of each procedure kind, as an administrator sets them up."""
    return {
        "public_body": Office.objects.create(code="PUB", name_ru="Орган", name_en="Body",
                                             procedure="appeal_59fz"),
        "federal_commissioner": Office.objects.create(
            code="FED", name_ru="Уполномоченный", name_en="Commissioner",
            procedure="commissioner_1fkz"),
        "regional_commissioner": Office.objects.create(
            code="REG", name_ru="Региональный уполномоченный", name_en="Regional commissioner",
            procedure="commissioner_regional", regional_law=REGIONAL_LAW),
        "ngo": Office.objects.create(code="NGO", name_ru="Комитет", name_en="Committee",
                                     procedure="ngo_own_rules"),
    }


@pytest.fixture
def case_in(register, make_user, offices):
    def make(kind: str, language: str = "ru"):
        office = offices[kind]
        clerk = make_user(Role.INTAKE_CLERK, office)
        return register(actor=clerk, office=office, language=language, at=at(RECEIVED))
    return make


def text_of(case, kind: str, language: str, **given) -> str:
    """The letter's text as the applicant reads it (the HTML the PDF is printed from)."""
    book = rulebook.get(case.rulebook_version)
    context = services._context(case, kind=kind, language=language, given=given,
                                 letter_date=at("2027-01-20").date())
    rendered = selectors.letter_source(kind=kind, language=language, book=book).render(context)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


LETTERS = [
    (LetterKind.ACKNOWLEDGEMENT, {}),
    (LetterKind.FORWARDING_NOTICE, {"forwarded_to": "Военная прокуратура гарнизона"}),
    (LetterKind.EXTENSION_NOTICE, {"reason": "Ждём ответа части.", "new_due_on": "2027-03-01"}),
]


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("letter", "given"), LETTERS)
def test_a_federal_commissioners_letters_never_cite_59fz(case_in, language, letter, given):
    case = case_in("federal_commissioner", language)
    text = text_of(case, letter, language, **given)
    assert not any(law in text for law in FZ59), text
    if letter != LetterKind.EXTENSION_NOTICE:  # 1-FKZ sets no extension
        assert FKZ1 in text
    if language == "en" and letter != LetterKind.EXTENSION_NOTICE:
        assert "Federal Constitutional Law No. 1-FKZ" in text


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("letter", "given"), LETTERS)
def test_a_public_bodys_letters_cite_59fz(case_in, language, letter, given):
    case = case_in("public_body", language)
    text = text_of(case, letter, language, **given)
    assert "Федеральный закон от 02.05.2006 № 59-ФЗ" in text
    assert FKZ1 not in text
    if letter == LetterKind.FORWARDING_NOTICE:
        assert ("art. 8, part 3" if language == "en" else "ст. 8, ч. 3") in text
    if letter == LetterKind.EXTENSION_NOTICE:
        assert ("art. 12, part 2" if language == "en" else "ст. 12, ч. 2") in text


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("letter", "given"), LETTERS[:2])
def test_a_regional_commissioner_cites_48fz_and_its_regional_law(case_in, language, letter,
                                                                 given):
    case = case_in("regional_commissioner", language)
    text = text_of(case, letter, language, **given)
    assert FZ48 in text and REGIONAL_LAW in text
    assert not any(law in text for law in FZ59) and FKZ1 not in text
    if language == "en":
        assert "Federal Law No. 48-FZ" in text


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("letter", "given"), LETTERS)
def test_an_ngos_letters_cite_no_law_and_say_its_rules_are_its_own(case_in, language, letter,
                                                                   given):
    case = case_in("ngo", language)
    text = text_of(case, letter, language, **given)
    assert not any(law in text for law in FZ59) and FKZ1 not in text and FZ48 not in text
    assert not re.search(r"Федеральн\w* закон|Federal Law", text), text
    own = {"ru": "собственн", "en": "own rules"}[language]
    assert own in text
    assert ("не закон" if language == "ru" else "not") in text


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_unanswered_notice_of_a_commissioner_cites_its_own_law(case_in, language):
    case = case_in("federal_commissioner", language)
    ground = next(g for g in rulebook.get(case.rulebook_version).grounds.values()
                  if g.notify_applicant and g.notice is not None)
    text = text_of(case, LetterKind.UNANSWERED_NOTICE, language, ground=ground.code)
    assert not any(law in text for law in FZ59), text
    assert FKZ1 in text


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("kind", ["federal_commissioner", "regional_commissioner", "ngo",
                                  "public_body"])
def test_the_decision_letter_points_to_the_remedies_against_the_bodys_act(case_in, language,
                                                                         kind):
    case = case_in(kind, language)
    text = text_of(case, LetterKind.DECISION, language, outcome="rejected",
                   reasoning="Оснований нет.", signed_on="2027-01-20")
    if language == "ru":
        assert "военную прокуратуру" in text and "военном суде" in text
        assert "главы 22 Кодекса административного судопроизводства" in text
        assert "Как обжаловать решение" not in text
        assert "Если вы не согласны с решением, вы вправе обжаловать" not in text  # old text
    else:
        assert "military prosecutor" in text and "military court" in text
        assert "chapter 22 of the Code of Administrative Procedure" in text
        assert "Code of Administrative Procedure of the Russian Federation, ch. 22" in text
        assert "If you disagree with the decision, you may challenge it" not in text
        assert "How to challenge the decision" not in text
        assert "challenge it by administrative or judicial means" not in text
    assert "Кодекс административного судопроизводства РФ, гл. 22" in text  # the citation
    # Only a public body's answer itself may be complained of (59-FZ art. 5 point 4).
    assert ("59-ФЗ, ст. 5, п. 4" in text) == (kind == "public_body")


@needs_poppler
def test_the_decision_letter_pdf_of_a_commissioner(case_in, offices, make_user, tmp_path):
    case = case_in("federal_commissioner", "ru")
    worker = make_user(Role.CASEWORKER, offices["federal_commissioner"])
    services.letter_generate(actor=worker, case=case, kind=LetterKind.DECISION,
                             context={"outcome": "rejected", "reasoning": "Оснований нет.",
                                      "signed_on": "2027-01-20"}, at=at("2027-01-20"))
    pdf = next(d for d in Document.objects.filter(case=case)
               if d.original_name.endswith(".pdf"))
    text = pdf_text(file_read(pdf), tmp_path)
    assert "военную прокуратуру" in text and "военном суде" in text
    assert "59-ФЗ" not in text and "Как обжаловать решение" not in text
