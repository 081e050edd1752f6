"""The optional daily email digest: each member of staff who switched it on gets, once a
day, the list of their unseen attention items: case numbers and kinds, nothing personal
(no names, no texts: an email leaves the system and is kept in mailboxes).

The language is the office's (``settings.LANGUAGE_CODE``, set by ``CASEDESK_LANGUAGE``):
staff have no language of their own.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from casedesk.accounts.models import User
from casedesk.cases.selectors import CASE_READERS

from .attention import attention_list
from .models import AttentionKind, DigestSent
from .notices import DeliveryFailed, _tidy, language_of

logger = logging.getLogger(__name__)


@dataclass
class DigestResult:
    sent: int = 0
    already: int = 0
    empty: int = 0
    failed: int = 0


def digest_recipients():
    """Active staff who read case files, switched the digest on and have an address."""
    return (User.objects.filter(is_active=True, daily_digest=True, role__in=CASE_READERS)
            .exclude(email="").order_by("pk"))


def staff_url() -> str:
    """The "Needs my attention" page (the staff pages are served beside the public ones)."""
    from django.urls import reverse

    base = settings.CASEDESK_PUBLIC_URL
    return base.rstrip("/") + reverse("staff:attention")


def digests_send(*, day: dt.date | None = None) -> DigestResult:
    """Send the digest of ``day`` (today) to every recipient that has not had it yet.

    Each digest is recorded (``DigestSent``, one per user and day) in a transaction that
    also sends it: a failed send rolls the record back, so the next run tries again; a
    run that is repeated, or two at once, send nothing twice (the second waits on the
    unique row and finds it taken)."""
    day = day or timezone.localdate()
    result = DigestResult()
    for user in digest_recipients():
        if DigestSent.objects.filter(user=user, day=day).exists():
            result.already += 1
            continue
        items = attention_list(user=user)
        if not items:
            result.empty += 1
            continue
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, day=day, items=len(items))
                _send(user, items, day)
        except IntegrityError:
            result.already += 1
        except DeliveryFailed as exc:
            logger.error("%s", exc)
            result.failed += 1
        else:
            result.sent += 1
    return result


def _send(user: User, items: list[dict], day: dt.date) -> None:
    lang = language_of(settings.LANGUAGE_CODE)
    with translation.override(lang):
        lines = [{"number": item["case"].number,
                  "kinds": ", ".join(str(AttentionKind(kind).label) for kind, _n in item["kinds"])}
                 for item in items]
        ctx = {"lines": lines, "count": len(lines), "day": day, "url": staff_url()}
        subject = " ".join(render_to_string("notifications/email/digest_subject.txt",
                                            ctx).split())
        body = _tidy(render_to_string("notifications/email/digest.txt", ctx))
        html = render_to_string("notifications/email/layout.html",
                                {"language": lang, "subject": subject, "body": body})
    message = EmailMultiAlternatives(subject=subject, body=body, to=[user.email],
                                     headers={"Auto-Submitted": "auto-generated"})
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        raise DeliveryFailed(f"staff_digest for user {user.pk}: {type(exc).__name__}") \
            from None
    logger.info("digest sent: user=%s items=%s", user.pk, len(items))
