"""A real SMTP server on 127.0.0.1 (aiosmtpd) and appeals sent through the public path."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from casedesk.intake.public import Receipt, appeal_submit
from casedesk.intake.services import PersonData

MOTHER = "mother@example.org"
MOTHER_NAME = "Иванова Анна Петровна"
SOLDIER_NAME = "Иванов Пётр Сергеевич"
APPEAL_TEXT = "Сына записали в СОЧ, хотя он лежит в госпитале."

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class Inbox:
    """An aiosmtpd handler that keeps what it receives; ``refuse`` rejects every
    recipient (550), as a server does for an unknown mailbox."""

    def __init__(self) -> None:
        self.envelopes = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default)
                for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "noreply@casedesk.test"
    settings.CASEDESK_PUBLIC_URL = "http://127.0.0.1:8000"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def submit(office):
    """Send an appeal through the public intake, as the web form does."""

    def do(*, key: str = "k" * 10, email: str = MOTHER, language: str = "ru") -> Receipt:
        payload = {"text": APPEAL_TEXT, "email": email, "language": language}
        return appeal_submit(
            channel="web", idempotency_key=key, payload=payload,
            applicant=PersonData(full_name=MOTHER_NAME, email=email), relation="mother",
            service_member=PersonData(full_name=SOLDIER_NAME), text=APPEAL_TEXT,
            language=language, consent=True, office=office,
        )

    return do


def subject_of(message: EmailMessage) -> str:
    # Django folds a long encoded subject onto the next line ("Subject:\n =?utf-8?b?...")
    # and the parser keeps the folding space; mail clients do not show it.
    return str(message["Subject"]).strip()


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
