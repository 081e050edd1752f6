"""The outbox: a notice is sent at least once, never twice for one key, and a worker killed
while sending leaves nothing stuck (issue 15, finding 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from casedesk.cases.models import Case
from casedesk.notifications import outbox
from casedesk.notifications.models import Outbox

from .conftest import MOTHER, text_of


@pytest.fixture
def notice(submit):
    """An acknowledgement recorded and not yet sent (the fast path runs after a commit, and
    the test's transaction never commits)."""
    receipt = submit()
    return receipt, Outbox.objects.get()


def test_a_sent_notice_is_never_sent_again(smtp, notice):
    receipt, row = notice

    first = outbox.outbox_send()
    again = outbox.outbox_send()
    by_key = outbox.outbox_send(keys=[row.key])

    assert (first.sent, again.handled, by_key.handled) == (1, 0, 0)
    [message] = smtp.messages
    assert receipt.access_code in text_of(message)


def test_the_same_notice_is_recorded_once(submit, django_capture_on_commit_callbacks):
    receipt = submit()
    case = Case.objects.get(number=receipt.case_number)

    outbox.record("acknowledgement", case_id=case.pk, key=f"acknowledgement:{case.pk}",
                  sealed="x")

    assert Outbox.objects.filter(case=case).count() == 1


def test_a_claim_of_a_killed_worker_runs_out_and_the_row_is_taken_again(smtp, notice,
                                                                      settings):
    _receipt, row = notice
    claimed = outbox._claim(None, "killed-worker")  # claimed, then the worker was killed
    assert claimed.pk == row.pk

    assert outbox.outbox_send(worker="other").handled == 0  # the claim still holds
    assert smtp.messages == []

    Outbox.objects.filter(pk=row.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1))  # the claim ran out
    assert outbox.outbox_send(worker="other").sent == 1

    row.refresh_from_db()
    assert (row.state, row.attempts, row.claimed_by) == ("sent", 2, "other")
    assert len(smtp.messages) == 1


def test_sent_while_the_database_went_away_is_marked_later_and_not_sent_again(
        smtp, notice, monkeypatch):
    _receipt, row = notice
    real = outbox._mark_sent

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "_mark_sent", database_gone)
    with pytest.raises(OperationalError):
        outbox.outbox_send()
    assert len(smtp.messages) == 1
    Outbox.objects.filter(pk=row.pk).update(claimed_until=None)  # as if the claim ran out

    monkeypatch.setattr(outbox, "_mark_sent", real)
    outbox.outbox_send()

    row.refresh_from_db()
    assert row.state == "sent"
    assert len(smtp.messages) == 1  # marked, not sent twice
    assert outbox._unconfirmed == {}


def test_retries_back_off_and_give_up_with_the_code_blanked(submit, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.CASEDESK_OUTBOX_MAX_ATTEMPTS = 3
    submit()
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        outbox.outbox_send()
        row = Outbox.objects.get()
        if row.state == "pending":
            waits.append(round((row.next_attempt_at - before).total_seconds() / 30))
            Outbox.objects.update(next_attempt_at=before)

    assert waits == [1, 2]  # 30 s, then 60 s
    assert (row.state, row.attempts, row.sealed) == ("failed", 3, "")
    assert row.last_error == "ConnectionRefusedError"
    assert MOTHER not in str(Outbox.objects.values().get())
