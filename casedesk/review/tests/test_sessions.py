"""A session's day: no vote or signature before it; moving a session needs a reason; the
chair schedules only the referrals ticked."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.db import connection
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.core.errors import ApplicationError
from casedesk.review.models import (
    Decision,
    ReferralStatus,
    Session,
    SessionMove,
    Vote,
)
from casedesk.review.services import (
    decision_sign,
    referral_create,
    session_reschedule,
    session_schedule,
    vote_cast,
)

REASON = "Председатель Петров в командировке до пятницы."





def referred(register, staff, commission):
    case = case_transition(actor=staff[Role.CASEWORKER], case=register(),
                           transition="start_review")
    return referral_create(actor=staff[Role.CASEWORKER], case=case, commission=commission,
                           summary="Записан в СОЧ из госпиталя.",
                           question="Рекомендовать исправить запись?")


@pytest.fixture
def later(register, staff, commission):
    """A session in three days with one case on its agenda."""
    referral = referred(register, staff, commission)
    starts = timezone.now() + dt.timedelta(days=3)
    session = session_schedule(actor=commission.people[0], commission=commission,
                               starts_at=starts, referral_ids=[referral.pk])
    return session


def vote_all(commission, item, at=None):
    for person in commission.people:
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено выпиской",
                  at=at)


# --- the session's day -------------------------------------------------------------------

@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Голосование открывается в день заседания"),
    ("en", "Voting opens on the day of the session"),
])
def test_a_vote_before_the_session_date_is_refused(commission, later, language, words):
    item = later.items.get()
    with pytest.raises(ApplicationError) as refused:
        vote_cast(actor=commission.people[1], item=item, choice="uphold", reason="Подтверждено")
    assert refused.value.code == "session_not_open"
    with translation.override(language):
        text = str(refused.value)
    day = timezone.localtime(later.starts_at).date()
    with translation.override(language):
        from django.utils.formats import date_format

        assert words in text and date_format(day, "DATE_FORMAT") in text
    assert not Vote.objects.exists()
    assert not AuditEntry.objects.filter(action="vote.cast").exists()


def test_a_signature_before_the_session_date_is_refused_and_on_the_date_accepted(
        commission, later):
    item = later.items.get()
    # The session's day (in the office's zone, Moscow here), before its hour.
    on_the_day = timezone.localtime(later.starts_at).replace(hour=0, minute=5)
    vote_all(commission, item, at=on_the_day)
    chair = commission.people[0]
    with pytest.raises(ApplicationError) as refused:
        decision_sign(actor=chair, item=item, outcome="uphold", reasoning="Подтверждено",
                      at=later.starts_at - dt.timedelta(days=1))
    assert refused.value.code == "session_not_open"
    with translation.override("en"):
        assert "signed from the day of the session" in str(refused.value)
    assert not Decision.objects.exists()
    decision = decision_sign(actor=chair, item=item, outcome="uphold",
                             reasoning="Подтверждено", at=on_the_day)
    assert Case.objects.get(pk=decision.item.referral.case_id).state == "commission_decided"


def test_the_day_is_the_offices_own(register, staff, office, commission):
    """A session at 01:00 in Yekaterinburg (UTC+5) is on the 10th there, the 9th in UTC:
    votes open at midnight in Yekaterinburg, not in Moscow or UTC."""
    office.timezone = "Asia/Yekaterinburg"
    office.save(update_fields=["timezone"])
    referral = referred(register, staff, commission)
    zone = zoneinfo.ZoneInfo("Asia/Yekaterinburg")
    starts = timezone.now().astimezone(zone).replace(hour=1, minute=0) + dt.timedelta(days=2)
    session = session_schedule(actor=commission.people[0], commission=commission,
                               starts_at=starts, referral_ids=[referral.pk])
    item = session.items.get()
    eve = starts.replace(hour=0, minute=0) - dt.timedelta(minutes=30)  # 23:30 the day before
    with pytest.raises(ApplicationError):
        vote_cast(actor=commission.people[1], item=item, choice="uphold", reason="x",
                  at=eve)
    # 00:30 in Yekaterinburg is still the day before in Moscow (22:30) and UTC (19:30).
    vote_cast(actor=commission.people[1], item=item, choice="uphold", reason="x",
              at=eve + dt.timedelta(hours=1))
    assert Vote.objects.count() == 1


def test_a_session_cannot_be_scheduled_on_a_past_day(register, staff, commission):
    referral = referred(register, staff, commission)
    with pytest.raises(ApplicationError) as refused:
        session_schedule(actor=commission.people[0], commission=commission,
                         starts_at=timezone.now() - dt.timedelta(days=2),
                         referral_ids=[referral.pk])
    assert refused.value.code == "past_date"
    assert not Session.objects.exists()


# --- only the referrals ticked ------------------------------------------------------------

def test_only_the_ticked_referrals_go_on_the_agenda_and_none_ticked_is_refused(
        register, staff, commission):
    first, second = (referred(register, staff, commission) for _ in range(2))
    chair = commission.people[0]
    with pytest.raises(ApplicationError) as refused:
        session_schedule(actor=chair, commission=commission, starts_at=timezone.now(),
                         referral_ids=[])
    assert refused.value.code == "empty_selection"
    with translation.override("ru"):
        assert "не отмечено" in str(refused.value)
    assert not Session.objects.exists()
    session = session_schedule(actor=chair, commission=commission, starts_at=timezone.now(),
                               referral_ids=[second.pk])
    assert [i.referral_id for i in session.items.all()] == [second.pk]
    first.refresh_from_db()
    assert first.status == ReferralStatus.PENDING


# --- moving a session ---------------------------------------------------------------------

def test_moving_a_session_needs_a_reason(commission, later):
    for reason in ("", "   "):
        with pytest.raises(ApplicationError) as refused:
            session_reschedule(actor=commission.people[0], session=later,
                               starts_at=later.starts_at + dt.timedelta(days=1), reason=reason)
        assert refused.value.code == "missing_reason"
    assert not SessionMove.objects.exists()


def test_moving_a_session_writes_public_events_and_an_audit_entry_without_the_reason(
        register, staff, commission):
    referrals = [referred(register, staff, commission) for _ in range(2)]
    chair = commission.people[0]
    old = timezone.now() + dt.timedelta(days=3)
    session = session_schedule(actor=chair, commission=commission, starts_at=old,
                               referral_ids=[r.pk for r in referrals])
    new = old + dt.timedelta(days=4)
    move = session_reschedule(actor=chair, session=session, starts_at=new, reason=REASON)
    session.refresh_from_db()
    assert session.starts_at == new
    assert (move.from_starts_at, move.to_starts_at, move.moved_by) == (old, new, chair)
    assert SessionMove.objects.get().reason == REASON
    for referral in referrals:
        event = referral.case.events.get(kind="commission_rescheduled")
        assert event.public
        assert event.data == {"session": session.pk, "session_at": new.isoformat(),
                              "previous_at": old.isoformat()}
        assert not event.texts  # the reason stays with the session
        # (what the applicant reads of it: staff/tests/test_review_views.py)
    entry = AuditEntry.objects.get(action="session.moved")
    assert (entry.actor_id, entry.object_id, entry.data) == (chair.pk, str(session.pk),
                                                              {"count": 2})
    everything = json.dumps(list(AuditEntry.objects.values("data", "object_id")),
                            ensure_ascii=False)
    assert "Петров" not in everything and "командировке" not in everything
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT reason FROM review_sessionmove")
        (stored,) = cursor.fetchone()
    assert "Петров" not in stored and stored


def test_a_moved_session_opens_on_its_new_day(commission, later):
    chair = commission.people[0]
    session_reschedule(actor=chair, session=later, starts_at=timezone.now(), reason=REASON)
    vote_cast(actor=commission.people[1], item=later.items.get(), choice="uphold",
              reason="Подтверждено")


def test_who_may_move_a_session(commission, later, staff, other_office, make_user):
    new = later.starts_at + dt.timedelta(days=1)
    outsiders = [commission.people[1], staff[Role.CASEWORKER],
                 make_user(Role.SUPERVISOR, other_office, username="spb_supervisor")]
    for person in outsiders:
        with pytest.raises(ApplicationError) as refused:
            session_reschedule(actor=person, session=later, starts_at=new, reason=REASON)
        assert refused.value.code == "forbidden"
    session_reschedule(actor=staff[Role.SUPERVISOR], session=later, starts_at=new,
                       reason=REASON)
    assert SessionMove.objects.get().moved_by == staff[Role.SUPERVISOR]


def test_a_session_with_a_signed_decision_is_not_moved(commission, register, staff):
    referral = referred(register, staff, commission)
    chair = commission.people[0]
    session = session_schedule(actor=chair, commission=commission, starts_at=timezone.now(),
                               referral_ids=[referral.pk])
    item = session.items.get()
    vote_all(commission, item)
    decision_sign(actor=chair, item=item, outcome="uphold", reasoning="Подтверждено")
    with pytest.raises(ApplicationError) as refused:
        session_reschedule(actor=chair, session=session,
                           starts_at=session.starts_at + dt.timedelta(days=1), reason=REASON)
    assert refused.value.code == "already_signed"
    with pytest.raises(ApplicationError) as refused:
        session_reschedule(actor=chair, session=session,
                           starts_at=session.starts_at - dt.timedelta(days=3), reason=REASON)
    assert refused.value.code in {"already_signed", "past_date"}
    assert not SessionMove.objects.exists()


def test_a_session_is_not_moved_to_a_past_day(commission, later):
    with pytest.raises(ApplicationError) as refused:
        session_reschedule(actor=commission.people[0], session=later,
                           starts_at=timezone.now() - dt.timedelta(days=1), reason=REASON)
    assert refused.value.code == "past_date"
