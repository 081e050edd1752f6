"""Background tasks that email the applicant (django-tasks; run by ``manage.py db_worker``).

Arguments are ids and the sealed access code only; everything personal is read from the
case when the task runs. A failure raises, so the backend records the task as failed.
"""

from __future__ import annotations

from django_tasks import task

from casedesk.cases.models import Case
from casedesk.core import secrets
from casedesk.intake.public import answer_due

from . import notices


def _case(case_id: int) -> Case:
    return Case.objects.select_related("office").get(pk=case_id)


@task()
def send_acknowledgement(*, case_id: int, sealed_code: str) -> bool:
    """The appeal has arrived: its number, the access code, the answer date, what next."""
    case = _case(case_id)
    context = {
        # None if the code cannot be unsealed (SECRET_KEY rotated): the letter says so.
        "access_code": secrets.unseal(sealed_code),
        "answer_due": answer_due(case),
    }
    return notices.deliver(kind="acknowledgement", case=case, context=context,
                           task_name="send_acknowledgement")


@task()
def send_access_code(*, case_id: int, sealed_code: str) -> bool:
    """A new access code, asked for on the portal because the old one was lost (the old
    one no longer works)."""
    case = _case(case_id)
    return notices.deliver(kind="access_code", case=case,
                           context={"access_code": secrets.unseal(sealed_code)},
                           task_name="send_access_code")


@task()
def send_access_code_reissued(*, case_id: int) -> bool:
    """Staff replaced the applicant's access code: the applicant is told (never the code:
    the office gives it by letter or in person) so that a code that stopped working, or
    one they did not ask for, is not a silent surprise."""
    case = _case(case_id)
    return notices.deliver(kind="access_code_reissued", case=case, context={},
                           task_name="send_access_code_reissued")


@task()
def send_information_request(*, case_id: int) -> bool:
    """The office asked the applicant a question."""
    case = _case(case_id)
    return notices.deliver(kind="information_request", case=case,
                           context={"question": notices.latest_question(case)},
                           task_name="send_information_request")


@task()
def send_answer_ready(*, case_id: int) -> bool:
    """The office has answered the appeal."""
    case = _case(case_id)
    return notices.deliver(kind="answer_ready", case=case, context={},
                           task_name="send_answer_ready")


# Letters the law requires the office to send the applicant around a move (written by
# ``letters.notices``): the email says a letter is waiting on the status page.
LETTER_NOTICES = ("forwarding_notice", "extension_notice", "unanswered_notice")


@task()
def send_letter_notice(*, case_id: int, kind: str) -> bool:
    """A letter of ``kind`` (one of ``LETTER_NOTICES``) is in the case file for the
    applicant: forwarded, deadline extended, or left unanswered."""
    if kind not in LETTER_NOTICES:
        raise ValueError(f"not a letter notice: {kind}")
    case = _case(case_id)
    return notices.deliver(kind=kind, case=case, context={}, task_name="send_letter_notice")
