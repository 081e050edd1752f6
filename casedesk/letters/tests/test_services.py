"""Generating letters into the case file: every kind in both languages, as PDF and DOCX."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases import events
from casedesk.cases.documents import file_read
from casedesk.cases.events import EventKind
from casedesk.cases.models import CaseEvent, Document, DocumentType
from casedesk.cases.services import case_transition, deadline_extend
from casedesk.core.errors import ApplicationError
from casedesk.letters import services
from casedesk.letters.services import DOCX, PDF, letter_generate
from casedesk.testing import at

from .helpers import (
    ARTIFACTS,
    docx_paragraphs,
    docx_text,
    first_page_png,
    flat,
    ink_share,
    needs_poppler,
    pdf_text,
)

RECEIVED = "2027-01-11"

# kind -> language -> (context, texts the letter must contain besides the case number)
LETTERS = {
    "acknowledgement": {
        "ru": ({"access_code": "K7M2-Q9XD-4TPA"},
               ["Уведомление о регистрации обращения", "11 января 2027 г.",
                "10 февраля 2027 г.", "K7M2-Q9XD-4TPA", "http://letters.test/ru/status/",
                "Уважаемая Анна Петровна!"]),
        "en": ({"access_code": "K7M2-Q9XD-4TPA"},
               ["Acknowledgement of your appeal", "January 11, 2027", "February 10, 2027",
                "K7M2-Q9XD-4TPA", "http://letters.test/en/status/"]),
    },
    "information_request": {
        "ru": ({"message": "Пришлите, пожалуйста, копию выписного эпикриза."},
               ["Запрос дополнительных сведений",
                "Пришлите, пожалуйста, копию выписного эпикриза.", "10 февраля 2027 г."]),
        "en": ({"message": "Please send a copy of the hospital discharge summary."},
               ["Request for further information",
                "Please send a copy of the hospital discharge summary.",
                "February 10, 2027"]),
    },
    "extension_notice": {
        "ru": ({"reason": "Направлен запрос в военный комиссариат.",
                "new_due_on": dt.date(2027, 3, 12)},
               ["Направлен запрос в военный комиссариат.", "12 марта 2027 г.",
                "59-ФЗ, ст. 12, ч. 2", "11 января 2027 г."]),
        "en": ({"reason": "We have asked the military commissariat for records.",
                "new_due_on": dt.date(2027, 3, 12)},
               ["We have asked the military commissariat for records.", "March 12, 2027",
                "59-FZ of 2 May 2006 on citizens' appeals, art. 12, part 2"]),
    },
    "forwarding_notice": {
        "ru": ({"forwarded_to": "Военная прокуратура Западного военного округа"},
               ["Военная прокуратура Западного военного округа", "59-ФЗ, ст. 8, ч. 3"]),
        "en": ({"forwarded_to": "Military Prosecutor's Office of the Western Military District"},
               ["Military Prosecutor's Office of the Western Military District",
                "59-FZ of 2 May 2006 on citizens' appeals, art. 8, part 3"]),
    },
    "decision": {
        "ru": ({"outcome": "partly_upheld", "signed_on": dt.date(2027, 2, 3),
                "reasoning": "Запись о самовольном оставлении части ошибочна."},
               ["Решение комиссии по обращению", "обращение поддержано частично",
                "3 февраля 2027 г.", "Запись о самовольном оставлении части ошибочна.",
                "военном суде", "военную прокуратуру"]),
        "en": ({"outcome": "partly_upheld", "signed_on": dt.date(2027, 2, 3),
                "reasoning": "The record of unauthorised absence is wrong."},
               ["Decision of the commission", "partly upheld", "February 3, 2027",
                "The record of unauthorised absence is wrong.", "military court",
                "military prosecutor"]),
    },
}
LETTER_DATE = {"ru": "11 января 2027 г.", "en": "January 11, 2027"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASEDESK_PUBLIC_URL = "http://letters.test/"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(register):
    return register(at=at(RECEIVED))


def files_in(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@needs_poppler
@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("kind", list(LETTERS))
def test_every_kind_in_both_languages_is_stored_as_pdf_and_docx(
        kind, language, case, staff, tmp_path, media):
    assert case.deadlines.get(rule="answer").due_on == dt.date(2027, 2, 10)
    context, texts = LETTERS[kind][language]
    pdf_doc, docx_doc = letter_generate(actor=staff[Role.CASEWORKER], case=case, kind=kind,
                                        language=language, context=context,
                                        at=at(RECEIVED, 15))

    for document, extension, content_type, magic in ((pdf_doc, "pdf", PDF, b"%PDF"),
                                                     (docx_doc, "docx", DOCX, b"PK\x03\x04")):
        document.refresh_from_db()
        data = file_read(document)
        assert data.startswith(magic)
        with document.file.open("rb") as handle:
            assert not handle.read().startswith(magic)  # stored encrypted
        assert document.case_id == case.pk and document.doc_type == DocumentType.LETTER
        assert document.generated and document.public
        assert document.original_name == f"{case.number}-{kind}-{language}.{extension}"
        assert document.content_type == content_type
        assert document.size == len(data) and document.sha256 == hashlib.sha256(data).hexdigest()
        assert document.uploaded_by == staff[Role.CASEWORKER]
        assert case.number not in document.file.name  # no personal data in storage paths
    added = CaseEvent.objects.filter(case=case, kind=EventKind.DOCUMENT_ADDED)
    assert sorted(e.data["document"] for e in added) == [pdf_doc.pk, docx_doc.pk]
    assert all(e.public and e.data["doc_type"] == "letter" for e in added)

    expected = [case.number, LETTER_DATE[language], *texts]
    text = pdf_text(file_read(pdf_doc), tmp_path)
    for fragment in expected:
        assert flat(fragment) in text, fragment
    docx_bytes = file_read(docx_doc)
    docx_all = docx_text(docx_bytes)
    for fragment in expected:
        assert flat(fragment) in docx_all, fragment

    png = first_page_png(file_read(pdf_doc), tmp_path / "png", "page")
    assert png.stat().st_size > 2000
    assert 0.002 < ink_share(png) < 0.5  # text on a white page
    # A copy for a person to look at.
    first_page_png(file_read(pdf_doc), ARTIFACTS, f"{kind}_{language}",
                   resolution=80)


def test_docx_has_the_letters_parts_in_order(case, staff):
    _pdf, docx_doc = letter_generate(
        actor=staff[Role.CASEWORKER], case=case, kind="information_request", language="ru",
        context={"message": "Первый абзац вопроса.\n\nВторой абзац:\nс переносом строки."},
        at=at(RECEIVED, 15))
    paragraphs = docx_paragraphs(file_read(docx_doc))
    # The addressee's postal address follows the name (a line break in the DOCX).
    assert paragraphs[:5] == ["Москва", "11 января 2027 г.", f"Дело № {case.number}",
                              "Иванова Анна Петровна Москва, ул. Примерная, 1",
                              "Запрос дополнительных сведений"]
    assert paragraphs[5] == "Уважаемая Анна Петровна!"
    assert "Первый абзац вопроса." in paragraphs
    assert "Второй абзац: с переносом строки." in paragraphs  # one paragraph, a line break
    assert paragraphs[-2:] == ["С уважением,", "Москва"]  # signed by the office
    assert not any("{{" in p or "{%" in p for p in paragraphs)


@needs_poppler
def test_the_applicants_text_is_printed_as_text_not_markup(case, staff, tmp_path):
    message = 'Что значит <b>"СОЧ"</b> & <script>x</script>?'
    pdf_doc, docx_doc = letter_generate(
        actor=staff[Role.CASEWORKER], case=case, kind="information_request", language="ru",
        context={"message": message})
    assert flat(message) in pdf_text(file_read(pdf_doc), tmp_path)
    assert flat(message) in docx_text(file_read(docx_doc))


def test_language_defaults_to_the_first_appeal(register, staff):
    case = register(language="en", at=at(RECEIVED))
    documents = letter_generate(actor=staff[Role.INTAKE_CLERK], case=case,
                                kind="acknowledgement")
    assert [d.original_name for d in documents] == [
        f"{case.number}-acknowledgement-en.pdf", f"{case.number}-acknowledgement-en.docx"]


@needs_poppler
def test_without_a_code_the_acknowledgement_says_how_to_get_one(case, staff, tmp_path):
    pdf_doc, _docx = letter_generate(actor=staff[Role.INTAKE_CLERK], case=case,
                                     kind="acknowledgement", language="ru")
    text = pdf_text(file_read(pdf_doc), tmp_path)
    assert "Чтобы получить код доступа, обратитесь к нам" in text
    assert "Ваш код доступа" not in text


@needs_poppler
def test_defaults_come_from_the_case(case, staff, tmp_path):
    supervisor = staff[Role.SUPERVISOR]
    deadline_extend(actor=supervisor, case=case, days=30, reason="Запрос в военкомат.",
                    at=at("2027-02-01"))
    pdf_doc, _docx = letter_generate(actor=supervisor, case=case, kind="extension_notice",
                                     language="en", context={"reason": "Records requested."})
    assert "March 12, 2027" in pdf_text(file_read(pdf_doc), tmp_path)

    worker = staff[Role.CASEWORKER]
    case_transition(actor=worker, case=case, transition="forward",
                    forwarded_to="Военный комиссариат г. Москвы", at=at("2027-02-02"))
    pdf_doc, _docx = letter_generate(actor=worker, case=case, kind="forwarding_notice",
                                     language="ru", at=at("2027-02-02"))
    text = pdf_text(file_read(pdf_doc), tmp_path)
    assert "Военный комиссариат г. Москвы" in text and "2 февраля 2027 г." in text


@pytest.mark.parametrize(("kind", "context", "code"), [
    ("information_request", {}, "letter_context"),
    ("information_request", {"message": "   "}, "letter_context"),
    ("extension_notice", {"reason": "x", "new_due_on": "next week"}, "letter_context"),
    ("forwarding_notice", {}, "letter_context"),
    ("decision", {"reasoning": "x"}, "letter_context"),
    ("decision", {"outcome": "lottery", "reasoning": "x"}, "letter_context"),
    ("decision", {"outcome": "upheld", "reasoning": "x", "date": "2027-01-01"},
     "letter_context"),
    ("apology", {}, "unknown_letter"),
])
def test_a_letter_missing_its_facts_is_refused(case, staff, media, kind, context, code):
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=staff[Role.CASEWORKER], case=case, kind=kind, language="ru",
                        context=context)
    assert refused.value.code == code
    assert not Document.objects.filter(case=case).exists()
    assert files_in(media) == []


def test_an_unknown_language_is_refused(case, staff):
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=staff[Role.CASEWORKER], case=case, kind="acknowledgement",
                        language="de")
    assert refused.value.code == "unknown_language"


def test_an_outcome_outside_the_workflow_needs_its_label(case, staff):
    documents = letter_generate(
        actor=None, system=True, case=case, kind="decision", language="ru",
        context={"outcome": "returned", "outcome_label": "дело возвращено исполнителю",
                 "reasoning": "Нужны дополнительные документы."})
    assert len(documents) == 2 and all(d.uploaded_by is None for d in documents)


# --- who may write letters -------------------------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.INTAKE_CLERK, True), (Role.CASEWORKER, True), (Role.SUPERVISOR, True),
    (Role.COMMISSION_MEMBER, True), (Role.ANALYST, False), (Role.ADMINISTRATOR, False),
])
def test_role_matrix(case, staff, media, role, allowed):
    kwargs = dict(case=case, kind="acknowledgement", language="ru")
    if allowed:
        assert len(letter_generate(actor=staff[role], **kwargs)) == 2
    else:
        with pytest.raises(ApplicationError) as refused:
            letter_generate(actor=staff[role], **kwargs)
        assert refused.value.code == "forbidden"
        assert files_in(media) == []


def test_staff_of_another_office_are_refused(case, other_office, make_user, media):
    stranger = make_user(Role.CASEWORKER, other_office)
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=stranger, case=case, kind="acknowledgement", language="ru")
    assert refused.value.code == "not_found"
    assert files_in(media) == []


def test_casedesk_itself_writes_only_when_it_says_so(case, media):
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=None, case=case, kind="acknowledgement", language="ru")
    assert refused.value.code == "forbidden"
    documents = letter_generate(actor=None, system=True, case=case, kind="acknowledgement",
                                language="ru")
    assert len(documents) == 2
    event = CaseEvent.objects.filter(case=case, kind=EventKind.DOCUMENT_ADDED).first()
    assert event.actor is None and event.public


# --- nothing is left behind ------------------------------------------------------------------


def test_a_failure_while_storing_leaves_no_rows_and_no_files(case, staff, media, monkeypatch):
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    original = events.document_added
    monkeypatch.setattr(events, "document_added", failing)
    with pytest.raises(RuntimeError):
        letter_generate(actor=staff[Role.CASEWORKER], case=case, kind="acknowledgement",
                        language="ru")
    assert not Document.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.DOCUMENT_ADDED).exists()
    assert files_in(media) == []


def test_preview_is_a_pdf_with_sample_data(db):
    pdf = services.letter_preview("decision", "ru")
    assert pdf.startswith(b"%PDF")


@needs_poppler
@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_correction_and_a_request_for_information(case, staff, tmp_path, language):
    pdf_doc, docx_doc = letter_generate(
        actor=None, system=True, case=case, kind="decision", language=language,
        context={"outcome": "request_information", "reasoning": "Нет заключения ВВК.",
                 "signed_on": at("2027-02-03", 23), "corrects": True})
    text = pdf_text(file_read(pdf_doc), tmp_path)
    docx_all = docx_text(file_read(docx_doc))
    expected = {
        "ru": ["Комиссия исправила своё ранее принятое решение", "3 февраля 2027 г.",
               "для принятия решения необходимы дополнительные сведения"],
        "en": ["The commission has corrected its earlier decision", "February 3, 2027",
               "more information is needed before a decision can be made"],
    }[language]
    for fragment in [*expected, "Нет заключения ВВК."]:
        assert flat(fragment) in text, fragment
        assert flat(fragment) in docx_all, fragment
    assert "прокуратур" not in text and "prosecutor" not in text
