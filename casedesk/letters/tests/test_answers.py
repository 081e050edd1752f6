"""The answer on the merits: drafting from the rulebook's paragraphs, approval, signing
(outgoing number, letter, the case answered), supplements, posting."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.documents import file_read
from casedesk.cases.events import EventKind
from casedesk.cases.models import Case, DocumentType
from casedesk.cases.services import case_transition
from casedesk.cases.workflow import allowed_for
from casedesk.core.errors import ApplicationError
from casedesk.letters import selectors
from casedesk.letters.answers import (
    answer_approve,
    answer_draft_save,
    answer_mark_posted,
    answer_return,
    answer_sign,
    answer_submit,
    paragraph_fill,
    paragraph_insert,
)
from casedesk.letters.models import Answer, AnswerState
from casedesk.testing import at

from .helpers import ARTIFACTS, docx_text, first_page_png, needs_poppler, pdf_text

TEXT = "Запись о самовольном оставлении части исправлена.\n\nКомандование подтвердило это."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASEDESK_PUBLIC_URL = "http://letters.test/"
    return settings.MEDIA_ROOT


@pytest.fixture
def office(db):
    return Office.objects.create(
        code="MSK", name_ru="Аппарат Уполномоченного по Москве", name_en="Moscow Office",
        address_ru="101000, Москва, ул. Мясницкая, д. 47",
        address_en="47 Myasnitskaya St, Moscow 101000")


@pytest.fixture
def staff(office, make_user):
    people = {role: make_user(role, office, username=role) for role in Role.values}
    worker = people[Role.CASEWORKER]
    worker.first_name, worker.last_name = "Мария", "Соколова"
    worker.position_ru, worker.position_en = "Главный специалист", "Chief specialist"
    worker.save()
    return people


@pytest.fixture
def case(register, staff):
    case = register(at=at("2027-01-11"))
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


def draft(case, staff, role=Role.CASEWORKER, text=TEXT, outcome="upheld", **kwargs):
    return answer_draft_save(actor=staff[role], case=case, text=text, outcome=outcome,
                             **kwargs)


# --- paragraphs -------------------------------------------------------------------------------


def test_placeholders_are_filled_and_unknown_ones_stay_visible():
    assert paragraph_fill("{member_name}, дело {case_number}; {nope} {x.__class__} {0}",
                          {"member_name": "Иванов", "case_number": "MSK-1"}) == \
        "Иванов, дело MSK-1; {nope} {x.__class__} {0}"
    assert paragraph_fill("{member_name!r:>30}", {"member_name": "Иванов"}) == "Иванов"
    assert paragraph_fill("a { b", {}) == "a { b"


def test_the_rulebook_offers_paragraphs_by_category():
    book = rulebook.current()
    codes = {p.code for p in book.paragraphs_for("record_error_awol")}
    assert {"awol_record_check", "opening_reviewed", "right_to_appeal"} <= codes
    assert "insurance_documents" not in codes
    for category in ("demobilization_term", "medical_discharge", "insurance_payment", "other"):
        assert any(category in p.categories for p in book.answer_paragraphs.values())
    # Every paragraph that names a law carries its citation.
    for paragraph in book.answer_paragraphs.values():
        if "закон" in paragraph.text.ru.lower() or "указ" in paragraph.text.ru.lower():
            assert paragraph.citation


def test_inserting_a_paragraph_fills_it_for_the_case(case, staff):
    text = paragraph_insert(case=case, text="Начало.", code="awol_record_check", language="ru")
    assert text.startswith("Начало.\n\nПо вашему обращению")
    # «…о самовольном оставлении части Иванова Петра Сергеевича»: the name in the
    # genitive the sentence needs, not «части Иванов Пётр Сергеевич».
    assert "части Иванова Петра Сергеевича." in text and "{" not in text
    opening = paragraph_insert(case=case, text="", code="opening_reviewed", language="ru")
    assert opening.startswith("Ваше обращение, поступившее ")
    assert "касающемуся военнослужащего Иванова Петра Сергеевича, рассмотрено" in opening
    assert "(о)" not in opening  # no «рассмотрел(о)»: the sentence fits any office's name
    english = paragraph_insert(case=case, text="", code="opening_reviewed", language="en")
    assert english.startswith("Moscow Office has reviewed your appeal received on")
    assert case.number in english and "service member Иванов Пётр Сергеевич." in english
    with pytest.raises(ApplicationError) as refused:
        paragraph_insert(case=case, text="", code="insurance_documents", language="ru")
    assert refused.value.code == "unknown_paragraph"


# --- drafting and approval --------------------------------------------------------------------


def test_a_draft_is_saved_encrypted_and_audited(case, staff):
    answer = draft(case, staff)
    assert (answer.state, answer.author, answer.supplements) == ("draft", staff[Role.CASEWORKER],
                                                                 None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM letters_answer WHERE id = %s", [answer.pk])
        raw = cursor.fetchone()[0]
    assert "исправлена" not in raw  # sealed in the database
    assert Answer.objects.get(pk=answer.pk).text == TEXT
    again = draft(case, staff, text="Новый текст")
    assert again.pk == answer.pk  # one draft per case
    assert AuditEntry.objects.filter(action="answer.saved", object_id=answer.pk).count() == 2
    assert case.events.filter(kind=EventKind.ANSWER_DRAFTED).count() == 1
    assert Case.objects.get(pk=case.pk).state == "in_review"  # a draft moves nothing


def test_only_caseworkers_and_supervisors_draft(case, staff):
    for role in (Role.INTAKE_CLERK, Role.COMMISSION_MEMBER, Role.ANALYST):
        with pytest.raises(ApplicationError):
            draft(case, staff, role=role)


def test_attachments_are_documents_of_the_case(case, staff, register):
    other = register()
    letter = selectors_letter(other, staff)
    with pytest.raises(ApplicationError) as refused:
        draft(case, staff, attachment_ids=[letter.pk])
    assert refused.value.code == "unknown_document"


def selectors_letter(case, staff):
    from casedesk.letters.services import letter_generate

    pdf, _docx = letter_generate(actor=staff[Role.CASEWORKER], case=case,
                                 kind="acknowledgement", language="ru")
    return pdf


def test_approval_flow_with_approval_required(case, staff, office, make_user):
    office.answer_approval = True
    office.save()
    worker, boss = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    draft(case, staff)
    with pytest.raises(ApplicationError) as refused:
        answer_sign(actor=worker, case=case)
    assert refused.value.code == "needs_approval"
    with pytest.raises(ApplicationError):
        answer_approve(actor=boss, case=case)  # not submitted yet
    answer_submit(actor=worker, case=case)
    with pytest.raises(ApplicationError) as refused:
        draft(case, staff, text="Правка")
    assert refused.value.code == "answer_locked"
    with pytest.raises(ApplicationError) as refused:
        answer_approve(actor=worker, case=case)
    assert refused.value.code == "forbidden"
    with pytest.raises(ApplicationError) as refused:
        answer_return(actor=boss, case=case, comment="  ")
    assert refused.value.code == "missing_comment"
    returned = answer_return(actor=boss, case=case, comment="Укажите номер приказа.")
    assert returned.state == AnswerState.RETURNED
    assert Answer.objects.get(pk=returned.pk).return_comment == "Укажите номер приказа."
    event = case.events.get(kind=EventKind.ANSWER_RETURNED)
    assert event.texts["reason"] == "Укажите номер приказа." and not event.public
    draft(case, staff, text=TEXT + "\n\nПриказ № 12.")
    answer_submit(actor=worker, case=case)
    approved = answer_approve(actor=boss, case=case)
    assert (approved.state, approved.approver) == (AnswerState.APPROVED, boss)
    signed = answer_sign(actor=worker, case=case)
    assert (signed.state, signed.signer) == (AnswerState.SIGNED, worker)
    assert Case.objects.get(pk=case.pk).state == "answered"


def test_the_author_cannot_approve_their_own_draft(case, staff, office, make_user):
    office.answer_approval = True
    office.save()
    boss = staff[Role.SUPERVISOR]
    draft(case, staff, role=Role.SUPERVISOR)
    answer_submit(actor=boss, case=case)
    with pytest.raises(ApplicationError) as refused:
        answer_approve(actor=boss, case=case)
    assert refused.value.code == "own_answer"
    second = make_user(Role.SUPERVISOR, office)
    assert answer_approve(actor=second, case=case).approver == second


def test_without_approval_the_caseworker_signs_the_draft(case, staff):
    draft(case, staff)
    signed = answer_sign(actor=staff[Role.CASEWORKER], case=case)
    assert signed.approver is None and signed.state == AnswerState.SIGNED
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("answered", "upheld")
    moved = case.events.get(kind=EventKind.STATE_CHANGED, data__transition="answer")
    assert moved.data["answer"] == signed.pk


def test_signing_needs_text_and_outcome(case, staff):
    draft(case, staff, outcome="")
    with pytest.raises(ApplicationError) as refused:
        answer_sign(actor=staff[Role.CASEWORKER], case=case)
    assert refused.value.code == "missing_outcome"
    draft(case, staff, text=" ")
    with pytest.raises(ApplicationError) as refused:
        answer_submit(actor=staff[Role.CASEWORKER], case=case)
    assert refused.value.code == "missing_text"
    assert Case.objects.get(pk=case.pk).state == "in_review"


# --- only a signed answer answers -------------------------------------------------------------


def test_nothing_but_signing_moves_a_case_to_answered(case, staff):
    assert "answer" not in {t.name for t in allowed_for("in_review", Role.CASEWORKER)}
    with pytest.raises(ApplicationError) as refused:
        case_transition(actor=staff[Role.CASEWORKER], case=case, transition="answer",
                        outcome="upheld")
    assert refused.value.code == "missing_answer"
    assert Case.objects.get(pk=case.pk).state == "in_review"


def test_the_staff_form_cannot_answer(client, case, staff):
    client.force_login(staff[Role.CASEWORKER])
    url = reverse("staff:transition", args=[case.number, "answer"])
    response = client.post(url, {"answer-transition": "answer", "answer-outcome": "upheld"})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == "in_review"
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert url not in page


# --- signing: number, letter, immutability, supplements ---------------------------------------


@needs_poppler
def test_the_letter_has_number_date_signatory_and_addresses(case, staff, tmp_path):
    draft(case, staff)
    signed = answer_sign(actor=staff[Role.CASEWORKER], case=case, at=at("2027-02-03"))
    assert signed.outgoing_number == "MSK/2027/00001"
    assert signed.letter_pdf.doc_type == DocumentType.LETTER and signed.letter_pdf.public
    text = pdf_text(file_read(signed.letter_pdf), tmp_path)
    for expected in ("Аппарат Уполномоченного по Москве", "101000, Москва, ул. Мясницкая, д. 47",
                     "3 февраля 2027 г.", "№ MSK/2027/00001", "Иванова Анна Петровна",
                     "Москва, ул. Примерная, 1", "Ответ на обращение",
                     "Запись о самовольном оставлении части исправлена.",
                     "Командование подтвердило это.",
                     "Результат рассмотрения обращения: поддержано",
                     "Главный специалист", "Соколова", case.number):
        assert expected in text, expected
    first_page_png(file_read(signed.letter_pdf), ARTIFACTS, "answer_ru", resolution=80)
    docx = docx_text(file_read(signed.letter_docx))
    for expected in ("MSK/2027/00001", "101000, Москва, ул. Мясницкая, д. 47",
                     "Главный специалист", "Мария Соколова", "Командование подтвердило это."):
        assert expected in docx, expected


@needs_poppler
def test_the_letter_is_in_the_applicants_language(register, staff, tmp_path):
    case = register(language="en", at=at("2027-01-11"))
    case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    draft(case, staff, text="The record has been corrected.")
    signed = answer_sign(actor=staff[Role.CASEWORKER], case=case, at=at("2027-02-03"))
    assert signed.language == "en"
    text = pdf_text(file_read(signed.letter_pdf), tmp_path)
    for expected in ("Answer to your appeal", "The record has been corrected.",
                     "No. MSK/2027/00001", "47 Myasnitskaya St, Moscow 101000",
                     "Chief specialist", "February 3, 2027", "upheld"):
        assert expected in text, expected


def test_a_signed_answer_is_never_changed(case, staff):
    draft(case, staff)
    signed = answer_sign(actor=staff[Role.CASEWORKER], case=case)
    signed.text = "Другой текст"
    with pytest.raises(ValueError):
        signed.save()
    with pytest.raises(ApplicationError):
        answer_submit(actor=staff[Role.CASEWORKER], case=case)  # no draft left
    assert Answer.objects.get(pk=signed.pk).text == TEXT


def test_a_supplement_follows_a_signed_answer_without_moving_the_case(case, staff):
    draft(case, staff)
    first = answer_sign(actor=staff[Role.CASEWORKER], case=case)
    case = case_transition(actor=staff[Role.CASEWORKER], case=case, transition="close")
    supplement = draft(case, staff, text="Дополнительно сообщаем: выплата назначена.",
                       outcome="")
    assert supplement.pk != first.pk and supplement.supplements == first
    signed = answer_sign(actor=staff[Role.CASEWORKER], case=case)
    assert signed.outgoing_number == first.outgoing_number[:-1] + "2"
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("closed", "upheld")  # not moved again
    assert [a.pk for a in selectors.answers_signed(case)] == [first.pk, signed.pk]
    assert case.events.filter(kind=EventKind.ANSWER_SIGNED).count() == 2


def test_a_reopened_case_is_answered_again(case, staff):
    draft(case, staff)
    answer_sign(actor=staff[Role.CASEWORKER], case=case)
    case = case_transition(actor=staff[Role.SUPERVISOR], case=case, transition="reopen",
                           reason="Новые документы")
    draft(case, staff, outcome="", text="Новый ответ.")
    with pytest.raises(ApplicationError) as refused:  # it answers the case: an outcome
        answer_sign(actor=staff[Role.CASEWORKER], case=case)
    assert refused.value.code == "missing_outcome"
    draft(case, staff, outcome="partly_upheld", text="Новый ответ.")
    answer_sign(actor=staff[Role.CASEWORKER], case=case)
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("answered", "partly_upheld")


def test_outgoing_numbers_are_per_office(case, staff, other_office, make_user, register):
    draft(case, staff)
    assert answer_sign(actor=staff[Role.CASEWORKER], case=case,
                       at=at("2027-02-03")).outgoing_number == "MSK/2027/00001"
    clerk, worker = make_user(Role.INTAKE_CLERK, other_office), make_user(Role.CASEWORKER,
                                                                        other_office)
    spb = register(office=other_office, actor=clerk)
    spb = case_transition(actor=worker, case=spb, transition="start_review")
    answer_draft_save(actor=worker, case=spb, text="Ответ.", outcome="explained")
    assert answer_sign(actor=worker, case=spb,
                       at=at("2027-02-04")).outgoing_number == "SPB/2027/00001"
    second = register(at=at("2027-01-20"))
    second = case_transition(actor=staff[Role.CASEWORKER], case=second,
                             transition="start_review")
    draft(second, staff)
    assert answer_sign(actor=staff[Role.CASEWORKER], case=second,
                       at=at("2027-02-05")).outgoing_number == "MSK/2027/00002"


def test_staff_of_another_office_cannot_touch_the_answer(case, staff, other_office, make_user):
    stranger = make_user(Role.SUPERVISOR, other_office)
    draft(case, staff)
    for service in (answer_submit, answer_approve, answer_sign):
        with pytest.raises(ApplicationError) as refused:
            service(actor=stranger, case=case)
        assert refused.value.code == "not_found"


def test_one_unsigned_answer_per_case(case, staff):
    answer = draft(case, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(case=case, author=answer.author, text="x")


# --- posting ----------------------------------------------------------------------------------


def test_the_posting_list_has_letter_channel_answers_only(case, staff, register):
    web = register(channel="email")
    web = case_transition(actor=staff[Role.CASEWORKER], case=web, transition="start_review")
    for each in (case, web):
        draft(each, staff)
        answer_sign(actor=staff[Role.CASEWORKER], case=each)
    listed = selectors.answers_to_post(office_ids={case.office_id})
    assert [a.case_id for a in listed] == [case.pk]
    web_answer = Answer.objects.get(case=web)
    with pytest.raises(ApplicationError) as refused:
        answer_mark_posted(actor=staff[Role.INTAKE_CLERK], answer_id=web_answer.pk)
    assert refused.value.code == "not_by_post"
    posted = answer_mark_posted(actor=staff[Role.INTAKE_CLERK], answer_id=listed[0].pk)
    assert posted.posted_at is not None
    assert AuditEntry.objects.filter(action="answer.posted", object_id=posted.pk).exists()
    assert selectors.answers_to_post(office_ids={case.office_id}) == []


