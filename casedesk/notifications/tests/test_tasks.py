"""What the applicant receives: the tasks run at once (ImmediateBackend) and send through a
real SMTP server."""

from __future__ import annotations

import logging
import re

import pytest
from django.utils import translation
from django.utils.formats import date_format

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.core import secrets
from casedesk.notifications import notices, outbox
from casedesk.notifications.models import Outbox

from .conftest import (
    MOTHER,
    MOTHER_NAME,
    SOLDIER_NAME,
    free_port,
    html_of,
    subject_of,
    text_of,
)

pytestmark = pytest.mark.usefixtures("immediate_tasks")

QUESTION = "Пришлите, пожалуйста, копию выписного эпикриза & справку «форма 100» <из госпиталя>."


def local_date(value, language: str) -> str:
    with translation.override(language):
        return date_format(value, "DATE_FORMAT")


def move(case_number: str, staff, *steps: tuple[str, dict]) -> Case:
    case = Case.objects.get(number=case_number)
    for transition, extra in steps:
        role = Role.INTAKE_CLERK if transition == "register" else Role.CASEWORKER
        case = case_transition(actor=staff[role], case=case, transition=transition, **extra)
    return case


def test_acknowledgement_in_russian(smtp, submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(language="ru")

    [message] = smtp.messages
    body = text_of(message)
    assert message["To"] == MOTHER
    assert message["From"] == "noreply@casedesk.test"
    assert subject_of(message) == f"Обращение {receipt.case_number} получено"
    assert message["Auto-Submitted"] == "auto-generated"
    assert receipt.case_number in body
    assert f"Код доступа: {receipt.access_code}" in body
    assert receipt.answer_due is not None
    assert f"не позднее {local_date(receipt.answer_due, 'ru')}" in body
    assert " г." in local_date(receipt.answer_due, "ru")  # the Russian format, not ISO
    assert "http://127.0.0.1:8000/ru/status/" in body
    assert "Что дальше" in body
    # The code is never part of an address (histories, proxies and logs keep URLs).
    urls = re.findall(r"https?://\S+", body + html_of(message))
    assert urls
    code = secrets.access_code_normalise(receipt.access_code)
    for url in urls:
        assert receipt.access_code not in url
        assert code not in secrets.access_code_normalise(url)
    # Nothing in it the applicant did not need: no names, no appeal text.
    assert MOTHER_NAME not in body and SOLDIER_NAME not in body
    assert receipt.access_code in html_of(message)
    assert '<html lang="ru">' in html_of(message)


def test_acknowledgement_in_english(smtp, submit, settings, django_capture_on_commit_callbacks):
    settings.CASEDESK_PUBLIC_URL = "https://appeals.example.org/"
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(language="en")

    [message] = smtp.messages
    body = text_of(message)
    assert subject_of(message) == f"Your appeal {receipt.case_number} has been received"
    assert f"Access code: {receipt.access_code}" in body
    assert f"You are owed an answer by {local_date(receipt.answer_due, 'en')}." in body
    assert "https://appeals.example.org/en/status/" in body
    assert "Moscow" in body
    assert "Здравствуйте" not in body


def test_acknowledgement_when_the_code_cannot_be_unsealed(smtp, submit, settings):
    with_code = submit()  # recorded; its fast path runs only after a commit
    case = Case.objects.get(number=with_code.case_number)
    Outbox.objects.filter(case=case).update(sealed="not-a-fernet-token")

    outbox.outbox_send()

    [message] = smtp.messages
    body = text_of(message)
    assert case.number in body
    assert "Код доступа:" not in body
    assert "не смогли вложить в это письмо код доступа" in body
    assert with_code.access_code not in body


def test_no_address_no_mail(smtp, submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        receipt = submit(email="")

    assert callbacks  # the hook did run
    assert Case.objects.filter(number=receipt.case_number).exists()
    assert smtp.messages == []


def test_information_request_carries_the_question(smtp, submit, staff,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()
        move(receipt.case_number, staff, ("register", {}), ("start_review", {}),
             ("request_information", {"message": QUESTION}))

    ack, request = smtp.messages  # register and start_review send nothing
    assert subject_of(request) == (
        f"По обращению {receipt.case_number} нужны дополнительные сведения")
    body = text_of(request)
    assert QUESTION in body  # as written: the plain text is not HTML-escaped
    assert "http://127.0.0.1:8000/ru/status/" in body
    assert receipt.access_code not in body
    assert "&amp;" in html_of(request) and "&lt;из госпиталя&gt;" in html_of(request)


def test_information_request_quotes_the_latest_question(smtp, submit, staff,
                                                       django_capture_on_commit_callbacks):
    # Each step is its own request: its task runs after its own commit.
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(language="en")
    steps = [("register", {}), ("start_review", {}),
             ("request_information", {"message": "First question?"}),
             ("information_received", {}),
             ("request_information", {"message": "Second question?"})]
    for step in steps:
        with django_capture_on_commit_callbacks(execute=True):
            move(receipt.case_number, staff, step)

    first, second = smtp.messages[1:]
    assert subject_of(second) == f"Your appeal {receipt.case_number}: we need more information"
    assert "First question?" in text_of(first)
    assert "Second question?" in text_of(second)
    assert "First question?" not in text_of(second)


def test_answer_ready(smtp, submit, staff, django_capture_on_commit_callbacks, settings,
                      tmp_path):
    from casedesk.letters.answers import answer_draft_save, answer_sign

    settings.MEDIA_ROOT = tmp_path / "media"  # the answer letter is stored in the case file

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()
        case = move(receipt.case_number, staff, ("register", {}), ("start_review", {}))
    with django_capture_on_commit_callbacks(execute=True):
        answer_draft_save(actor=staff[Role.CASEWORKER], case=case, text="Запись исправлена.",
                          outcome="upheld")
    assert len(smtp.messages) == 1  # a draft is not sent
    with django_capture_on_commit_callbacks(execute=True):
        answer_sign(actor=staff[Role.CASEWORKER], case=case)

    ack, answer = smtp.messages
    assert subject_of(answer) == f"Ответ на обращение {receipt.case_number} готов"
    body = text_of(answer)
    assert f"На ваше обращение {receipt.case_number} дан ответ." in body
    assert "http://127.0.0.1:8000/ru/status/" in body


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_notices_the_law_requires_are_emailed(smtp, submit, staff, settings, tmp_path,
                                                  django_capture_on_commit_callbacks,
                                                  language):
    """Forwarding, an extension, and leaving unanswered: the letter goes into the case
    file and the applicant is emailed that it is on the status page (in her language)."""
    from casedesk.letters import notices as letter_notices

    settings.MEDIA_ROOT = tmp_path / "media"  # the letters are stored in the case file
    subjects = {
        "ru": ["Ваше обращение {n} направлено по компетенции",
               "Срок рассмотрения обращения {n} продлён", "Уведомление по обращению {n}"],
        "en": ["Your appeal {n} has been forwarded to the competent body",
               "The time to answer your appeal {n} has been extended",
               "A notice about your appeal {n}"]}[language]
    receipts = []
    with django_capture_on_commit_callbacks(execute=True):
        for key in range(3):
            receipts.append(submit(language=language, key=f"law-notices-{language}-{key}"))
    cases = [move(r.case_number, staff, ("register", {})) for r in receipts]
    with django_capture_on_commit_callbacks(execute=True):
        letter_notices.case_move(actor=staff[Role.CASEWORKER], case=cases[0],
                                 transition="forward", forward_body="military_prosecutor",
                                 forwarded_to="Военная прокуратура гарнизона")
    with django_capture_on_commit_callbacks(execute=True):
        letter_notices.deadline_extend_notify(actor=staff[Role.SUPERVISOR], case=cases[1],
                                              days=10, reason="Запрос в воинскую часть.")
    with django_capture_on_commit_callbacks(execute=True):
        letter_notices.case_move(actor=staff[Role.CASEWORKER], case=cases[2],
                                 transition="leave_unanswered", ground="obscene_or_threatening")
    notices_sent = smtp.messages[3:]  # after the three acknowledgements
    assert [subject_of(m) for m in notices_sent] == [
        subject.format(n=r.case_number) for subject, r in zip(subjects, receipts, strict=True)]
    for message in notices_sent:
        assert f"http://127.0.0.1:8000/{language}/status/" in text_of(message)
        assert "Военная прокуратура" not in text_of(message)  # the letter tells, not the mail


def test_logs_name_the_case_and_the_task_only(smtp, submit, caplog,
                                             django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()
    case = Case.objects.get(number=receipt.case_number)

    ours = "\n".join(r.getMessage() for r in caplog.records
                     if r.name.startswith(("casedesk", "django_tasks")))
    assert f"notice sent: task=acknowledgement case={case.pk}" in ours
    for personal in (MOTHER, MOTHER_NAME, SOLDIER_NAME, receipt.access_code, case.number):
        assert personal not in ours


def test_smtp_down_keeps_the_appeal_and_the_notice_for_a_retry(
        submit, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 5

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()

    assert Case.objects.filter(number=receipt.case_number).exists()
    [row] = Outbox.objects.all()
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "ConnectionRefusedError")
    assert row.next_attempt_at > row.created_at  # backed off
    assert row.sealed  # still there for the retry
    assert MOTHER not in repr(Outbox.objects.values().get())


def test_refused_recipient_is_not_quoted_in_the_error(smtp, submit):
    receipt = submit()
    case = Case.objects.get(number=receipt.case_number)
    smtp.refuse = True

    with pytest.raises(notices.DeliveryFailed) as failure:
        notices.deliver(kind="answer_ready", case=case, context={}, task_name="answer_ready")

    assert str(failure.value) == f"answer_ready for case {case.pk}: SMTPRecipientsRefused"
    assert failure.value.code == "SMTPRecipientsRefused"
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
