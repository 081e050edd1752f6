"""The registration desk's rules in the intake service: the forwarding body of a forwarded
appeal (required, encrypted; its erasure: people/lifecycle/tests/test_erasure_notices.py)
and the time an appeal was received."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from casedesk import rulebook
from casedesk.cases.models import Appeal, Case
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError
from casedesk.intake.services import (
    Sender,
    received_at_check,
    received_at_earliest,
)
from casedesk.testing import at

BODY = "Военная прокуратура Кантемировского гарнизона"
NUMBER = "7/2-1184-26"


def raw(appeal: Appeal) -> tuple[str, str, str]:
    """The stored columns, bypassing the fields (which would decrypt them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sender_body, sender_number, sender_date FROM cases_appeal "
                       "WHERE id = %s", [appeal.pk])
        return cursor.fetchone()


def test_a_forwarded_appeal_keeps_the_body_and_its_number_encrypted(register):
    case = register(channel="forwarded", at=at("2026-03-10"),
                    sender=Sender(body=f"  {BODY} ", number=NUMBER,
                                  sent_on=dt.date(2026, 3, 5)))
    appeal = Appeal.objects.get(case=case)
    assert (appeal.sender_body, appeal.sender_number, appeal.sender_date) == (
        BODY, NUMBER, dt.date(2026, 3, 5))
    body, number, date = raw(appeal)
    for column in (body, number, date):
        assert crypto.is_sealed_text(column)
    stored = " ".join((body, number, date))
    for plain in (BODY, "Кантемиров", NUMBER, "1184", "2026-03-05"):
        assert plain not in stored


@pytest.mark.parametrize(("sender", "code"), [
    (None, "missing_sender_body"),
    (Sender(body=" ", number=NUMBER), "missing_sender_body"),
    (Sender(body=BODY, number=""), "missing_sender_number"),
    (Sender(body=BODY, number=NUMBER, sent_on=dt.date(2026, 3, 11)), "sender_date_late"),
])
def test_a_forwarded_appeal_needs_the_body_and_its_number(register, sender, code):
    with pytest.raises(ApplicationError) as refused:
        register(channel="forwarded", at=at("2026-03-10"), sender=sender)
    assert refused.value.code == code
    assert Case.objects.count() == 0


def test_other_channels_store_no_sender(register):
    case = register(channel="letter", sender=Sender(body=BODY, number=NUMBER))
    appeal = Appeal.objects.get(case=case)
    assert (appeal.sender_body, appeal.sender_number, appeal.sender_date) == ("", "", None)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Обращение не может поступить в будущем"),
    ("en", "The appeal cannot have been received in the future"),
])
def test_a_time_received_in_the_future_is_refused(language, words):
    now = timezone.now()
    received_at_check(now, now=now)  # the present is fine
    with translation.override(language), pytest.raises(ApplicationError) as refused:
        received_at_check(now + dt.timedelta(minutes=1), now=now)
    assert refused.value.code == "received_in_future"
    with translation.override(language):
        assert words in str(refused.value)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "сроки свода правил действуют с этого дня"),
    ("en", "the rulebook's deadlines start on that day"),
])
def test_a_time_received_before_the_first_rulebook_is_refused(language, words):
    first = min(b.manifest.effective_from for b in rulebook.versions().values())
    assert received_at_earliest() == first
    start = timezone.make_aware(dt.datetime.combine(first, dt.time(0, 0)))
    received_at_check(start)
    with translation.override(language), pytest.raises(ApplicationError) as refused:
        received_at_check(start - dt.timedelta(minutes=1))
    assert refused.value.code == "received_too_early"
    with translation.override(language):
        assert words in str(refused.value)
