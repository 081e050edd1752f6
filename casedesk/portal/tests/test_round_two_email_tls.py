"""Issue 15, finding 11 (portal part): the acknowledgement email, which carries the access
code, was sent without TLS by default. In production TLS is now the default, and a
production setup that would send in clear to another host does not pass the system
check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from casedesk.notifications.checks import email_encrypted

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def production(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CASEDESK_", "DATABASE_URL", "EMAIL_"))}
    env.update(DJANGO_ENV="production", DJANGO_SECRET_KEY="x" * 20 + "-prod-" + "y" * 40,
               DJANGO_ALLOWED_HOSTS="casedesk.example.org", **extra)
    return env


def manage(*args, **extra):
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], capture_output=True, text=True,
        env=production(**extra), cwd=settings.BASE_DIR, timeout=120)


def test_production_sends_mail_with_starttls_by_default():
    result = manage("shell", "-c", "from django.conf import settings as s; "
                    "print(s.EMAIL_BACKEND, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)",
                    EMAIL_HOST="smtp.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [SMTP, "True", "False"]
    ssl = manage("shell", "-c", "from django.conf import settings as s; "
                 "print(s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)",
                 EMAIL_HOST="smtp.example.org", EMAIL_USE_SSL="1", EMAIL_PORT="465")
    assert ssl.stdout.strip().splitlines()[-1].split() == ["False", "True"]


def test_production_refuses_to_send_in_clear_to_another_host():
    result = manage("check", EMAIL_HOST="smtp.example.org", EMAIL_USE_TLS="0")
    assert result.returncode != 0
    assert "casedesk.E100" in result.stderr + result.stdout


@pytest.mark.parametrize("host, tls, ssl, errors", [
    ("smtp.example.org", False, False, ["casedesk.E100"]),
    ("SMTP.example.org", False, False, ["casedesk.E100"]),
    ("10.0.0.5", False, False, ["casedesk.E100"]),
    ("", False, False, ["casedesk.E100"]),
    ("smtp.example.org", True, False, []),
    ("smtp.example.org", False, True, []),
    ("smtp.example.org", True, True, ["casedesk.E101"]),
    ("localhost", False, False, []),
    ("127.0.0.1", False, False, []),
    ("[::1]", False, False, []),
])
def test_the_check_in_production(settings, host, tls, ssl, errors):
    settings.PRODUCTION = True
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = host, tls, ssl
    assert [message.id for message in email_encrypted()] == errors


def test_development_and_file_mail_are_left_alone(settings):
    settings.PRODUCTION = False
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = "smtp.example.org", \
        False, False
    assert email_encrypted() == []
    settings.PRODUCTION = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    assert email_encrypted() == []
