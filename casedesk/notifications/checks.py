"""`manage.py check`: in production the applicant's emails never leave in clear text
(issue 15, finding 11). The acknowledgement carries the access code."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# A relay on this machine: the hop to it does not cross a network.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@checks.register(checks.Tags.security)
def email_encrypted(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.PRODUCTION or settings.EMAIL_BACKEND != SMTP_BACKEND:
        return []
    tls, ssl = settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL
    if tls and ssl:
        return [checks.Error(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both set; Django can use only one.",
            hint="Set EMAIL_USE_SSL=1 for port 465, or EMAIL_USE_TLS=1 (STARTTLS) for 587.",
            id="casedesk.E101")]
    host = (settings.EMAIL_HOST or "").strip().strip("[]").lower()
    if not (tls or ssl) and host not in LOCAL_HOSTS:
        return [checks.Error(
            f"Email to applicants would be sent to {host or '(no host)'} without encryption.",
            hint="Leave EMAIL_USE_TLS at its production default (1), or set EMAIL_USE_SSL=1; "
                 "sending in clear is allowed only to a relay on localhost.",
            id="casedesk.E100")]
    return []
