"""The letters the law requires, written with the move that owes them (letters.notices)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from casedesk import rulebook
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases import extensions
from casedesk.cases.documents import file_read
from casedesk.cases.models import Case, Deadline, Document, ExtensionRequest, ExtensionStatus
from casedesk.cases.services import case_transition, deadline_extend, deadlines_sweep
from casedesk.core.errors import ApplicationError
from casedesk.letters import notices
from casedesk.letters.answers import answer_draft_save, answer_sign
from casedesk.testing import at

from .helpers import ARTIFACTS, docx_text, first_page_png, flat, needs_poppler, pdf_text

RECEIVED = "2027-01-11"  # registered the same day: the answer is due on 2027-02-10
BODY = "Военная прокуратура Западного военного округа, г. Санкт-Петербург, ул. Тестовая 7"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASEDESK_PUBLIC_URL = "http://letters.test/"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(register):
    return register(at=at(RECEIVED))


def named(case, name: str) -> Document:
    return next(d for d in Document.objects.filter(case=case) if d.original_name == name)


def forward(case, staff, *, body="military_prosecutor", name=BODY, day="2027-01-14"):
    return notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                             forward_body=body, forwarded_to=name, at=at(day))


# --- forwarding -------------------------------------------------------------------------------


def test_forwarding_stores_the_bodys_name_only_encrypted(case, staff):
    forward(case, staff)
    with connection.cursor() as cursor:
        cursor.execute("SELECT forward_body, forwarded_to FROM cases_case WHERE id = %s",
                       [case.pk])
        body, stored = cursor.fetchone()
        cursor.execute("SELECT data::text, texts FROM cases_caseevent WHERE case_id = %s",
                       [case.pk])
        events = cursor.fetchall()
        cursor.execute("SELECT data::text FROM audit_auditentry WHERE object_id = %s",
                       [str(case.pk)])
        audit = cursor.fetchall()
    assert body == "military_prosecutor"  # the code names no person
    assert stored and "Тестовая" not in stored and "прокуратура" not in stored
    for data, texts in events:
        assert "Тестовая" not in data and "Тестовая" not in (texts or "")
        assert "forwarded_to" not in data
    assert all("Тестовая" not in row[0] for row in audit)
    # Read back through the model, it is the name staff typed.
    again = Case.objects.get(pk=case.pk)
    assert again.forwarded_to == BODY and again.get_forward_body_display()
    moved = again.events.get(kind="state_changed", data__transition="forward")
    assert moved.texts["forwarded_to"] == BODY
    assert moved.data["forward_body"] == "military_prosecutor"


def test_a_body_from_the_list_without_details_is_named_by_its_kind(case, staff):
    from django.utils import translation

    with translation.override("ru"):  # the language of the staff member who forwards
        forward(case, staff, body="commissariat", name="")
    assert Case.objects.get(pk=case.pk).forwarded_to == "военный комиссариат"


@pytest.mark.parametrize(("body", "name", "code"), [
    ("", "", "missing_forwarded_to"),
    ("other", "", "missing_forwarded_to"),
    ("ministry_of_magic", "x", "unknown_body"),
])
def test_forwarding_needs_a_body(case, staff, body, name, code):
    with pytest.raises(ApplicationError) as refused:
        forward(case, staff, body=body, name=name)
    assert refused.value.code == code
    assert Case.objects.get(pk=case.pk).state == "registered"
    assert not Document.objects.filter(case=case).exists()


@needs_poppler
def test_forwarding_writes_the_notice_and_the_covering_letter(case, staff, tmp_path):
    forward(case, staff)
    documents = list(Document.objects.filter(case=case, doc_type="letter").order_by("id"))
    names = [d.original_name for d in documents]
    assert names == [f"{case.number}-forwarding_notice-ru.pdf",
                     f"{case.number}-forwarding_notice-ru.docx",
                     f"{case.number}-covering_letter-ru.pdf",
                     f"{case.number}-covering_letter-ru.docx"]
    # The applicant sees the notice on the status page; the covering letter is for the body.
    assert [d.public for d in documents] == [True, True, False, False]

    notice = pdf_text(file_read(documents[0]), tmp_path)
    assert BODY in notice and case.number in notice and "MSK/2027/00001" in notice
    assert "Уважаемая Анна Петровна!" in notice

    covering = pdf_text(file_read(documents[2]), tmp_path)
    rule = rulebook.get(case.rulebook_version).rules["forwarding"]
    for fragment in (BODY, case.number, "Иванова Анна Петровна", "MSK/2027/00002",
                     rule.citation, "в течение семи дней", "Приложение: обращение заявителя",
                     "14 января 2027 г."):
        assert fragment in covering, fragment
    assert "Уважаемая" not in covering  # written to a body, not to the applicant
    first_page_png(file_read(documents[2]), ARTIFACTS, "covering_letter_ru", resolution=80)


@needs_poppler
def test_an_english_applicant_gets_the_notice_in_english(register, staff, tmp_path):
    case = register(language="en", at=at(RECEIVED))
    forward(case, staff, body="insurer", name="AO SOGAZ, Moscow")
    names = [d.original_name for d in Document.objects.filter(case=case).order_by("id")]
    assert f"{case.number}-forwarding_notice-en.pdf" in names
    assert f"{case.number}-covering_letter-ru.pdf" in names  # to a Russian body
    text = pdf_text(file_read(named(case, f"{case.number}-forwarding_notice-en.pdf")), tmp_path)
    assert "AO SOGAZ, Moscow" in text and "art. 8, part 3" in text


def test_a_refused_move_writes_no_letter_and_takes_no_number(case, staff):
    with pytest.raises(ApplicationError):
        notices.case_move(actor=staff[Role.INTAKE_CLERK], case=case, transition="forward",
                          forward_body="insurer", forwarded_to="x")
    assert not Document.objects.filter(case=case).exists()
    forward(case, staff)
    assert "MSK/2027/00001" in docx_texts(case)


def docx_texts(case) -> str:
    docx = Document.objects.filter(case=case, content_type__contains="word").order_by("id")
    return " ".join(docx_text(file_read(d)) for d in docx)


# --- leaving unanswered --------------------------------------------------------------------

# The grounds on which a case is left unanswered (a forward ground forwards it instead).
GROUNDS = [g for g in rulebook.current().grounds.values() if not g.forward]


@pytest.mark.parametrize("ground", GROUNDS, ids=[g.code for g in GROUNDS])
def test_the_unanswered_notice_only_where_the_ground_owes_one(case, staff, ground):
    actor = staff[Role.SUPERVISOR if ground.head_decides else Role.CASEWORKER]
    notices.case_move(actor=actor, case=case, transition="leave_unanswered",
                      ground=ground.code, at=at("2027-01-13"))
    made = list(Document.objects.filter(case=case, doc_type="letter"))
    if ground.notify_applicant:
        assert sorted(d.original_name for d in made) == sorted([
            f"{case.number}-unanswered_notice-ru.pdf",
            f"{case.number}-unanswered_notice-ru.docx"])
        assert all(d.public for d in made)
        text = docx_text(file_read(next(d for d in made if d.original_name.endswith("docx"))))
        assert flat(ground.notice.ru) in text
        assert ground.citation in text and case.number in text
    else:
        assert made == []


@needs_poppler
def test_the_unanswered_notice_in_english(register, staff, tmp_path):
    case = register(language="en", at=at(RECEIVED))
    notices.case_move(actor=staff[Role.SUPERVISOR], case=case, transition="leave_unanswered",
                      ground="repeated_no_new_arguments", at=at("2027-01-13"))
    text = pdf_text(file_read(named(case, f"{case.number}-unanswered_notice-en.pdf")), tmp_path)
    assert "correspondence with you on this question is ended" in text
    first_page_png(file_read(named(case, f"{case.number}-unanswered_notice-en.pdf")), ARTIFACTS,
                   "unanswered_notice_en", resolution=80)
    assert "ст. 11, ч. 5" in text


def test_no_notice_letter_for_a_ground_that_owes_none(case, staff):
    from casedesk.letters.services import letter_generate

    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="leave_unanswered",
                    ground="anonymous_or_no_address")
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=staff[Role.CASEWORKER], case=case, kind="unanswered_notice")
    assert refused.value.code == "no_notice_owed"


# --- extensions ---------------------------------------------------------------------------------


@needs_poppler
def test_an_extension_before_the_due_date_sends_the_notice(case, staff, tmp_path):
    deadline = notices.deadline_extend_notify(actor=staff[Role.SUPERVISOR], case=case,
                                              days=30, reason="Запрошены документы из в/ч.",
                                              at=at("2027-02-10"))  # the last day: still on time
    assert deadline.due_on == dt.date(2027, 3, 12)
    notice = named(case, f"{case.number}-extension_notice-ru.pdf")
    assert notice.public
    text = pdf_text(file_read(notice), tmp_path)
    assert "12 марта 2027 г." in text and "Запрошены документы из в/ч." in text


def test_an_extension_after_the_due_date_is_refused_and_the_deadline_stays_missed(case, staff):
    deadlines_sweep(at=at("2027-02-11"))
    for extend in (deadline_extend, notices.deadline_extend_notify):
        with pytest.raises(ApplicationError) as refused:
            extend(actor=staff[Role.SUPERVISOR], case=case, days=10, reason="Поздно.",
                   at=at("2027-02-11"))
        assert refused.value.code == "deadline_passed"
        with translation.override("ru"):
            message = str(refused.value)
        assert "10.02.2027" in message or "10 февраля 2027" in message
    answer = Deadline.objects.get(case=case, rule="answer")
    assert (answer.due_on, answer.extension_days, answer.flag) == (
        dt.date(2027, 2, 10), 0, "overdue")
    assert not Document.objects.filter(case=case).exists()
    assert not case.events.filter(kind="deadline_extended").exists()
    # Answered later, it stays late: met is decided against the unextended due date.
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review",
                    at=at("2027-02-20"))
    answer_draft_save(actor=staff[Role.CASEWORKER], case=case, text="Ответ по существу.",
                      outcome="upheld", at=at("2027-02-20"))
    answer_sign(actor=staff[Role.CASEWORKER], case=case, at=at("2027-02-20"))
    answer.refresh_from_db()
    assert answer.met is False and answer.due_on == dt.date(2027, 2, 10)
    assert case.events.filter(kind="deadline_overdue", data__rule="answer").count() == 1


def test_the_refusal_speaks_english(case, staff):
    from django.utils import translation

    with pytest.raises(ApplicationError) as refused:
        deadline_extend(actor=staff[Role.SUPERVISOR], case=case, days=10, reason="x",
                        at=at("2027-03-01"))
    with translation.override("en"):
        assert "a missed deadline cannot be extended" in str(refused.value)
    with translation.override("ru"):
        assert "пропущенный срок продлить нельзя" in str(refused.value)


def test_a_caseworker_cannot_extend_directly(case, staff):
    for extend in (deadline_extend, notices.deadline_extend_notify):
        with pytest.raises(ApplicationError) as refused:
            extend(actor=staff[Role.CASEWORKER], case=case, days=10, reason="x",
                   at=at("2027-01-20"))
        assert refused.value.code == "forbidden"
    assert Deadline.objects.get(case=case, rule="answer").extension_days == 0


@needs_poppler
def test_request_then_approval_extends_and_notifies(case, staff, tmp_path):
    worker, supervisor = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    request = extensions.extension_request(actor=worker, case=case, days=20,
                                           reason="Ждём ответ военкомата.", at=at("2027-02-01"))
    assert request.status == ExtensionStatus.PENDING
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM cases_extensionrequest WHERE id = %s", [request.pk])
        assert "военкомата" not in cursor.fetchone()[0]  # encrypted
    event = case.events.get(kind="extension_requested")
    assert event.texts["reason"] == "Ждём ответ военкомата." and "reason" not in event.data
    assert AuditEntry.objects.filter(action="extension.requested", actor_id=worker.pk).exists()
    # Nothing changes until a supervisor decides; a caseworker cannot approve.
    assert Deadline.objects.get(case=case, rule="answer").due_on == dt.date(2027, 2, 10)
    with pytest.raises(ApplicationError) as refused:
        notices.extension_approve_notify(actor=worker, request=request, at=at("2027-02-02"))
    assert refused.value.code == "forbidden"
    # A second request for the same deadline waits for the first.
    with pytest.raises(ApplicationError) as refused:
        extensions.extension_request(actor=worker, case=case, days=5, reason="ещё",
                                     at=at("2027-02-01"))
    assert refused.value.code == "already_requested"

    approved, deadline = notices.extension_approve_notify(actor=supervisor, request=request,
                                                          at=at("2027-02-02"))
    assert approved.status == ExtensionStatus.APPROVED and approved.decided_by == supervisor
    assert deadline.due_on == dt.date(2027, 3, 2)
    extended = case.events.get(kind="deadline_extended")
    assert extended.data["request"] == request.pk and extended.actor == supervisor
    assert AuditEntry.objects.filter(action="extension.approved", actor_id=supervisor.pk).exists()
    notice = named(case, f"{case.number}-extension_notice-ru.pdf")
    text = pdf_text(file_read(notice), tmp_path)
    assert "2 марта 2027 г." in text and "Ждём ответ военкомата." in text
    with pytest.raises(ApplicationError) as refused:
        notices.extension_approve_notify(actor=supervisor, request=request)
    assert refused.value.code == "already_decided"


def test_a_refused_request_changes_no_deadline(case, staff):
    worker, supervisor = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    request = extensions.extension_request(actor=worker, case=case, days=20,
                                           reason="Нужно время.", at=at("2027-02-01"))
    with pytest.raises(ApplicationError) as refused:
        extensions.extension_refuse(actor=supervisor, request=request, reason=" ")
    assert refused.value.code == "missing_reason"
    extensions.extension_refuse(actor=supervisor, request=request,
                                reason="Материалов достаточно для ответа.", at=at("2027-02-02"))
    request.refresh_from_db()
    assert request.status == ExtensionStatus.REFUSED
    assert request.refusal == "Материалов достаточно для ответа."
    event = case.events.get(kind="extension_refused")
    assert event.texts["reason"] == "Материалов достаточно для ответа." and not event.public
    assert AuditEntry.objects.filter(action="extension.refused", actor_id=supervisor.pk).exists()
    assert Deadline.objects.get(case=case, rule="answer").extension_days == 0
    assert not Document.objects.filter(case=case).exists()


def test_a_request_approved_after_the_due_date_is_refused(case, staff):
    request = extensions.extension_request(actor=staff[Role.CASEWORKER], case=case, days=20,
                                           reason="Нужно время.", at=at("2027-02-09"))
    with pytest.raises(ApplicationError) as refused:
        notices.extension_approve_notify(actor=staff[Role.SUPERVISOR], request=request,
                                         at=at("2027-02-11"))
    assert refused.value.code == "deadline_passed"
    assert ExtensionRequest.objects.get(pk=request.pk).status == ExtensionStatus.PENDING
    assert not Document.objects.filter(case=case).exists()
    with pytest.raises(ApplicationError) as refused:
        extensions.extension_request(actor=staff[Role.CASEWORKER], case=case, days=5,
                                     reason="x", at=at("2027-02-11"))
    assert refused.value.code == "deadline_passed"


def test_another_offices_supervisor_cannot_decide(case, staff, other_office, make_user):
    request = extensions.extension_request(actor=staff[Role.CASEWORKER], case=case, days=20,
                                           reason="Нужно время.", at=at("2027-02-01"))
    stranger = make_user(Role.SUPERVISOR, other_office)
    with pytest.raises(ApplicationError) as refused:
        notices.extension_approve_notify(actor=stranger, request=request, at=at("2027-02-02"))
    assert refused.value.code == "not_found"
    assert list(extensions.extension_requests_pending(actor=stranger)) == []
    assert list(extensions.extension_requests_pending(actor=staff[Role.SUPERVISOR])) == [request]

