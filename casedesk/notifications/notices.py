"""The applicant's emails: who gets them, in which language, what they say, and sending.

Texts live in templates, one per message and language (``<kind>_<lang>.txt`` and
``<kind>_subject_<lang>.txt``); the HTML part is the same text in a minimal layout.
Nothing personal is logged or put in an exception: the case id and the task name only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from casedesk.cases.models import Case

logger = logging.getLogger(__name__)

LANGUAGES = ("ru", "en")


class DeliveryFailed(Exception):
    """Sending failed. The message names the task, the case id and the kind of error only:
    the original error can quote addresses (``SMTPRecipientsRefused``), and it would end up
    in the task table and the logs. ``code``: the kind of error (a class name or a code
    such as ``no_case``), what the outbox row records."""

    def __init__(self, message: str, *, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Addressee:
    email: str
    language: str


def addressee(case: Case) -> Addressee | None:
    """The submitter of the case's first appeal, if they gave an email address, with the
    language that appeal was written in."""
    first = case.appeals.select_related("submitter").order_by("received_at", "id").first()
    if first is None or not first.submitter.email:
        return None
    return Addressee(email=first.submitter.email, language=language_of(first.language))


def language_of(code: str) -> str:
    if code in LANGUAGES:
        return code
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in LANGUAGES else "ru"


def status_url(language: str) -> str:
    """The public status page, which asks for the number and the code (never put the code
    in a URL: it would stay in browser histories and server logs)."""
    base = settings.CASEDESK_PUBLIC_URL
    return f"{base.rstrip('/')}/{language}/status/"


def deliver(*, kind: str, case: Case, context: dict, task_name: str,
            message_id: str | None = None) -> bool:
    """Render the ``kind`` email in the applicant's language and send it. False when there
    is nobody to write to; raises DeliveryFailed when sending fails. ``message_id``: the
    Message-ID header, the same on every attempt of one notice (the outbox's key)."""
    to = addressee(case)
    if to is None:
        logger.info("notice skipped, no address: task=%s case=%s", task_name, case.pk)
        return False
    lang = to.language
    with translation.override(lang):
        ctx = {
            "case_number": case.number,
            "status_url": status_url(lang),
            "office_name": case.office.name_en if lang == "en" else case.office.name_ru,
            **context,
        }
        subject = " ".join(
            render_to_string(f"notifications/email/{kind}_subject_{lang}.txt", ctx).split())
        body = _tidy(render_to_string(f"notifications/email/{kind}_{lang}.txt", ctx))
        html = render_to_string("notifications/email/layout.html",
                                {"language": lang, "subject": subject, "body": body})
    message = EmailMultiAlternatives(
        subject=subject, body=body, to=[to.email],
        headers={"Auto-Submitted": "auto-generated",  # RFC 3834: no auto-replies, please
                 **({"Message-ID": message_id} if message_id else {})},
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        raise DeliveryFailed(f"{task_name} for case {case.pk}: {type(exc).__name__}",
                             code=type(exc).__name__) from None
    logger.info("notice sent: task=%s case=%s", task_name, case.pk)
    return True


def _tidy(text: str) -> str:
    """No trailing spaces and at most one blank line in a row (template tags leave both)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
