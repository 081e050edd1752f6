"""The daily digest: one email a day to each member of staff who asked for it, with case
numbers and kinds only, in the office's language; nothing to anyone else."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.cases.services import case_assign
from casedesk.notifications.models import DigestSent

from .conftest import subject_of, text_of


@pytest.fixture
def people(staff):
    """The caseworker asked for the digest; the supervisor did not."""
    worker, boss = staff[Role.CASEWORKER], staff[Role.SUPERVISOR]
    worker.email, worker.daily_digest = "worker@office.test", True
    worker.save()
    boss.email = "boss@office.test"
    boss.save()
    return worker, boss


def digest(day=None) -> str:
    out = StringIO()
    call_command("staff_digest", *(["--day", day.isoformat()] if day else []), stdout=out)
    return out.getvalue()


def assigned_cases(register, staff, n=2):
    cases = [register() for _ in range(n)]
    for case in cases:
        case_assign(actor=staff[Role.SUPERVISOR], case=case, assignee=staff[Role.CASEWORKER])
    return cases


def test_one_digest_a_day_to_those_who_asked_with_numbers_and_no_names(
        register, staff, people, mailoutbox, settings):
    settings.LANGUAGE_CODE = "en"
    cases = assigned_cases(register, staff)
    worker, boss = people
    # The supervisor has items too (an unassigned case's) but did not ask for the digest.
    register()
    case_assign(actor=worker, case=register(), assignee=worker)  # taken: no item

    assert "sent=1" in digest()
    assert [m.to for m in mailoutbox] == [["worker@office.test"]]
    message = mailoutbox[0]
    assert "2 cases need your attention" in message.subject
    for case in cases:
        assert case.number in message.body
    assert "assigned to you" in message.body
    assert "/en/staff/attention/" in message.body
    for personal in ("Иванов", "Иванова", "Пётр", "Примерная", "госпитал"):
        assert personal not in message.body and personal not in message.subject
        assert personal not in message.alternatives[0][0]

    assert "sent=0 already=1" in digest()  # the same day again
    assert len(mailoutbox) == 1
    assert DigestSent.objects.get(user=worker).items == 2

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    digest(tomorrow)  # still unseen the next day: the next digest
    assert len(mailoutbox) == 2


def test_the_digest_is_in_the_offices_language(register, staff, people, mailoutbox, settings):
    settings.LANGUAGE_CODE = "ru"
    assigned_cases(register, staff, n=1)
    digest()
    assert "требует вашего внимания" in mailoutbox[0].subject
    assert "назначено вам" in mailoutbox[0].body


def test_nothing_to_say_sends_nothing_and_inactive_people_get_nothing(
        register, staff, people, mailoutbox):
    worker, _boss = people
    assert "empty=1" in digest()
    assigned_cases(register, staff, n=1)
    worker.is_active = False
    worker.save()
    digest()
    assert mailoutbox == [] and not DigestSent.objects.exists()


def test_a_refused_send_is_not_recorded_and_the_next_run_sends_it(register, staff, people, smtp):
    assigned_cases(register, staff, n=1)
    smtp.refuse = True
    assert "failed=1" in digest()
    assert not DigestSent.objects.exists()
    smtp.refuse = False
    assert "sent=1" in digest()
    assert len(smtp.messages) == 1
    assert "MSK-" in subject_of(smtp.messages[0]) or "MSK-" in text_of(smtp.messages[0])
