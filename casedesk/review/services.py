"""The commission's work: referral, agenda, votes with reasons, signed decisions."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from dataclasses import replace

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.audit.services import audit_record, audit_record_many
from casedesk.cases import events, permissions
from casedesk.cases.models import Case, Document
from casedesk.cases.services import case_transition_inner
from casedesk.cases.services import local_date as day_of
from casedesk.core.errors import ApplicationError
from casedesk.letters.services import letter_discard, letter_file_inner, letter_render

from .models import (
    AgendaItem,
    Commission,
    CommissionMember,
    Decision,
    DecisionOutcome,
    Referral,
    ReferralStatus,
    Session,
    SessionMove,
    Vote,
    VoteChoice,
)

CASE_OUTCOME = {
    DecisionOutcome.UPHOLD: "upheld",
    DecisionOutcome.PARTLY_UPHOLD: "partly_upheld",
    DecisionOutcome.REJECT: "rejected",
}


def _text(value: str, code: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(code, message)
    if len(value) > 10000:
        raise ApplicationError("too_long", _("The text is too long."))
    return value


def _membership(actor, commission: Commission) -> CommissionMember:
    member = None
    if permissions.can(actor, "commission_sit"):
        member = CommissionMember.objects.filter(commission=commission, user=actor).first()
    if member is None:
        raise ApplicationError("forbidden", _("Only members of this commission can do this."))
    return member


def _chair(actor, commission: Commission) -> CommissionMember:
    member = _membership(actor, commission)
    if not member.is_chair:
        raise ApplicationError("forbidden", _("Only the chair of the commission can do this."))
    return member


def _office_zone(office) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(office.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return timezone.get_current_timezone()


def local_date(moment: dt.datetime, office) -> dt.date:
    """The calendar day of ``moment`` where the office is (its time zone)."""
    return moment.astimezone(_office_zone(office)).date()


def session_opens_on(session: Session) -> dt.date:
    """The first day votes and signatures are accepted: the session's own date, in the
    office's time zone."""
    return local_date(session.starts_at, session.commission.office)


def session_is_open(session: Session, at: dt.datetime | None = None) -> bool:
    return local_date(at or timezone.now(), session.commission.office) \
        >= session_opens_on(session)


# Formatted when the message is shown, in the language of the page that shows it.
_day = lazy(lambda day: date_format(day, "DATE_FORMAT"), str)


def _require_open(session: Session, at: dt.datetime, message) -> None:
    if not session_is_open(session, at):
        raise ApplicationError("session_not_open", message,
                               date=_day(session_opens_on(session)))


def _chair_or_supervisor(actor, commission: Commission) -> None:
    """The chair of the commission, or a supervisor of its office."""
    if permissions.can(actor, "session_move") \
            and commission.office_id in permissions.office_ids(actor):
        return
    try:
        _chair(actor, commission)
    except ApplicationError:
        raise ApplicationError(
            "forbidden", _("Only the chair of the commission or a supervisor of its office "
                           "can do this.")) from None


def commission_members_check(*, office, members: list[tuple[object, bool]]) -> None:
    """The rule for a commission's membership, used by the admin: each member is an
    active commission member of the commission's office, and exactly one is the chair.
    ``members`` is (user, is_chair) pairs."""
    for user, _is_chair in members:
        if not permissions.can(user, "commission_sit"):
            raise ApplicationError(
                "not_commission_member",
                _("%(user)s is not an active user with the commission member role."),
                user=user.get_username())
        if office is not None and not user.offices.filter(pk=office.pk).exists():
            raise ApplicationError(
                "other_office", _("%(user)s does not work in the commission's office."),
                user=user.get_username())
    chairs = sum(1 for _user, is_chair in members if is_chair)
    if members and chairs != 1:
        raise ApplicationError("one_chair", _("A commission has exactly one chair."))


def referral_create(*, actor, case: Case, commission: Commission, summary: str, question: str,
                    document_ids: list[int] = (), at: dt.datetime | None = None) -> Referral:
    """A caseworker puts a case before the commission with a summary, the question and
    the documents that matter; the case moves to ``referred_to_commission``."""
    summary = _text(summary, "missing_summary", _("Write a summary of the case."))
    question = _text(question, "missing_question", _("Write the question to decide."))
    if commission.office_id != case.office_id or not commission.is_active:
        raise ApplicationError("bad_commission",
                               _("Choose a commission of the case's office."))
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        moved = case_transition_inner(actor=actor, case=case,
                                      transition="refer_to_commission", reason=question,
                                      at=at, audits=audits)
        # Stamped after the case's lock (taken by the transition): times follow the order.
        at = at or timezone.now()
        documents = list(Document.objects.filter(case=moved, pk__in=list(document_ids)))
        if len(documents) != len(set(document_ids)):
            raise ApplicationError("not_found", _("No such document in this case."))
        referral = Referral.objects.create(case=moved, commission=commission, summary=summary,
                                           question=question, referred_by=actor,
                                           referred_at=at)
        referral.documents.set(documents)
        audits.append(dict(action="referral.created", actor=actor, object_type="referral",
                           object_id=referral.pk,
                           data={"case": moved.pk, "count": len(documents)}))
        audit_record_many(audits)  # last: the chain stays locked until the commit
    return referral


def session_schedule(*, actor, commission: Commission, starts_at: dt.datetime, place: str = "",
                     referral_ids: list[int] | None = None,
                     at: dt.datetime | None = None) -> Session:
    """The chair sets a session and its agenda: the referrals the chair ticked (``None``:
    every waiting one, for programs), the case with the oldest deadline first. Each
    applicant sees the date. An empty selection and a day already past are refused."""
    if referral_ids is not None and not list(referral_ids):
        raise ApplicationError("empty_selection",
                               _("Tick the cases to put on the agenda: none is ticked."))
    with transaction.atomic(durable=True):
        _chair(actor, commission)
        waiting = Referral.objects.select_for_update().filter(
            commission=commission, status=ReferralStatus.PENDING)
        if referral_ids is not None:
            waiting = waiting.filter(pk__in=referral_ids)
        referrals = list(waiting.select_related("case").order_by(
            F("case__next_due_on").asc(nulls_last=True), "referred_at", "pk"))
        at = at or timezone.now()  # after the lock: times follow the order of the moves
        if not referrals:
            raise ApplicationError("empty_agenda", _("No referred cases are waiting."))
        if local_date(starts_at, commission.office) < local_date(at, commission.office):
            raise ApplicationError("past_date", _("The session cannot be on a day already "
                                                  "past."))
        session = Session.objects.create(commission=commission, starts_at=starts_at,
                                         place=(place or "").strip()[:200], created_by=actor)
        AgendaItem.objects.bulk_create([
            AgendaItem(session=session, referral=r, position=i)
            for i, r in enumerate(referrals, 1)])
        Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(
            status=ReferralStatus.SCHEDULED)
        for referral in referrals:
            events.commission_scheduled(referral.case, at=at, actor=actor,
                                        session_id=session.pk, session_at=starts_at)
        audit_record(action="session.scheduled", actor=actor, object_type="session",
                     object_id=session.pk, data={"count": len(referrals)})
    return session


def session_reschedule(*, actor, session: Session, starts_at: dt.datetime, reason: str,
                       at: dt.datetime | None = None) -> SessionMove:
    """The chair (or a supervisor of the office) moves a session to another date or time,
    with a reason. The reason may name people: it is kept encrypted with the move, never
    in the audit log or the timeline. Each case on the agenda gets a public event with the
    new date. A session with a signed decision stays where it was."""
    reason = _text(reason, "missing_reason", _("Give the reason for moving the session."))
    if timezone.is_naive(starts_at):
        raise ApplicationError("bad_date", _("Give the date and time of the session."))
    with transaction.atomic(durable=True):
        session = Session.objects.select_for_update(of=("self",)).select_related(
            "commission__office").get(pk=session.pk)
        at = at or timezone.now()  # after the lock: times follow the order of the moves
        _chair_or_supervisor(actor, session.commission)
        if Decision.objects.filter(item__session=session).exists():
            raise ApplicationError("already_signed",
                                   _("The session has signed decisions: it cannot be moved."))
        if starts_at == session.starts_at:
            raise ApplicationError("same_date", _("The session is already at that time."))
        office = session.commission.office
        if local_date(starts_at, office) < local_date(at, office):
            raise ApplicationError("past_date", _("The session cannot be on a day already "
                                                  "past."))
        previous = session.starts_at
        session.starts_at = starts_at
        session.save(update_fields=["starts_at"])
        move = SessionMove.objects.create(session=session, moved_by=actor, moved_at=at,
                                          from_starts_at=previous, to_starts_at=starts_at,
                                          reason=reason)
        items = list(session.items.select_related("referral__case"))
        for item in items:
            events.commission_rescheduled(item.referral.case, at=at, actor=actor,
                                          session_id=session.pk, session_at=starts_at,
                                          previous_at=previous)
        # Ids and a count only: the reason (free text) stays out of the log.
        audit_record(action="session.moved", actor=actor, object_type="session",
                     object_id=session.pk, data={"count": len(items)})
    return move


def vote_cast(*, actor, item: AgendaItem, choice: str, reason: str,
              at: dt.datetime | None = None) -> Vote:
    """A member votes with a written reason (and may change the vote until the decision is
    signed)."""
    if choice not in VoteChoice.values:
        raise ApplicationError("unknown_vote", _("Choose how you vote."))
    reason = _text(reason, "missing_reason", _("Give the reason for your vote."))
    with transaction.atomic(durable=True):
        # The session's row too: a move waits for the vote, and the vote for a move.
        item = AgendaItem.objects.select_for_update(
            of=("self", "session", "session__commission")).select_related(
            "session__commission__office").get(pk=item.pk)
        at = at or timezone.now()  # after the lock: times follow the order of the votes
        _membership(actor, item.session.commission)
        if item.decisions.exists():
            raise ApplicationError("already_signed",
                                   _("The decision is signed: votes can no longer change."))
        _require_open(item.session, at, _("Voting opens on the day of the session, "
                                            "%(date)s."))
        vote, _created = Vote.objects.update_or_create(
            item=item, member=actor, defaults={"choice": choice, "reason": reason,
                                               "cast_at": at})
        # The choice is a code; the reason (free text) stays out of the log.
        audit_record(action="vote.cast", actor=actor, object_type="vote", object_id=vote.pk,
                     data={"referral": item.referral_id, "kind": choice})
    return vote


def quorum(item: AgendaItem, book: rulebook.Rulebook) -> tuple[bool, dict]:
    """Whether enough members voted, with the tally. Recused members neither count as
    votes nor towards the members who could vote."""
    members = CommissionMember.objects.filter(commission=item.session.commission).count()
    votes = list(item.votes.values_list("choice", flat=True))
    tally = Counter(votes)
    recused = tally.pop(VoteChoice.RECUSE, 0)
    eligible = max(members - recused, 0)
    cast = sum(tally.values())
    needed = max(book.review.quorum_min_votes,
                 math.floor(eligible * book.review.quorum_fraction) + 1)
    return cast >= needed and cast > 0, {"votes": dict(tally), "recused": recused,
                                         "members": members, "needed": needed}


def _sign_checks(actor, item: AgendaItem, at: dt.datetime) -> dict:
    """Refuse a decision that cannot be signed on ``item`` now; the tally."""
    _chair(actor, item.session.commission)
    if item.decisions.exists():
        raise ApplicationError("already_signed",
                               _("This item already has a signed decision; record a "
                                 "correction instead."))
    _require_open(item.session, at, _("The decision can be signed from the day of the "
                                        "session, %(date)s."))
    book = rulebook.get(item.referral.case.rulebook_version)
    met, tally = quorum(item, book)
    if not met:
        raise ApplicationError(
            "no_quorum",
            _("No quorum: %(cast)s votes with reasons, %(needed)s needed."),
            cast=sum(tally["votes"].values()), needed=tally["needed"])
    return tally


def decision_sign(*, actor, item: AgendaItem, outcome: str, reasoning: str,
                  at: dt.datetime | None = None) -> Decision:
    """The chair records and signs the decision with its reasoning, if the quorum is met;
    the case moves on: decided, or back into review when more information is needed.

    The decision letter is rendered before the transaction (see ``_letter_draft``); the
    transaction checks everything again under its locks and writes only rows, the audit
    entries last. An outermost action (durable)."""
    if outcome not in DecisionOutcome.values:
        raise ApplicationError("unknown_outcome", _("Choose the outcome."))
    reasoning = _text(reasoning, "missing_reasoning", _("Write the reasoning of the decision."))
    preview = AgendaItem.objects.select_related(
        "session__commission__office", "referral__case").get(pk=item.pk)
    _sign_checks(actor, preview, at or timezone.now())
    draft = _letter_draft(preview.referral.case, outcome=outcome, reasoning=reasoning,
                          at=at, corrects=False)
    audits: list[dict] = []
    try:
        with transaction.atomic(durable=True):
            item = AgendaItem.objects.select_for_update(
                of=("self", "session", "session__commission", "referral", "referral__case"),
            ).select_related("session__commission__office", "referral__case").get(pk=item.pk)
            at = at or timezone.now()  # after the lock: times follow the order of the moves
            tally = _sign_checks(actor, item, at)
            decision = Decision.objects.create(item=item, outcome=outcome,
                                               reasoning=reasoning, tally=tally,
                                               signed_by=actor, signed_at=at)
            referral = item.referral
            if outcome == DecisionOutcome.REQUEST_INFORMATION:
                referral.status = ReferralStatus.RETURNED
                case_transition_inner(actor=actor, case=referral.case,
                                      transition="return_from_commission", reason=reasoning,
                                      at=at, audits=audits)
            else:
                referral.status = ReferralStatus.DECIDED
                case_transition_inner(actor=actor, case=referral.case,
                                      transition="record_decision",
                                      outcome=CASE_OUTCOME[outcome], reason=reasoning,
                                      at=at, audits=audits)
            referral.save(update_fields=["status"])
            _record(decision, actor=actor, at=at, draft=draft, audits=audits)
            audit_record_many(audits)  # last: the chain stays locked until the commit
    except BaseException:
        letter_discard(draft)
        raise
    return decision


def decision_correct(*, actor, decision: Decision, outcome: str, reasoning: str,
                     at: dt.datetime | None = None) -> Decision:
    """A correction: a new signed decision linked to the one it corrects, which stays.
    Its letter is rendered before the transaction, as in ``decision_sign``. An outermost
    action (durable)."""
    if outcome not in DecisionOutcome.values or outcome == DecisionOutcome.REQUEST_INFORMATION:
        raise ApplicationError("unknown_outcome", _("Choose the outcome."))
    reasoning = _text(reasoning, "missing_reasoning", _("Write the reasoning of the decision."))
    preview = Decision.objects.select_related(
        "item__session__commission", "item__referral__case").get(pk=decision.pk)
    _correct_checks(actor, preview)
    draft = _letter_draft(preview.item.referral.case, outcome=outcome, reasoning=reasoning,
                          at=at, corrects=True)
    audits: list[dict] = []
    try:
        with transaction.atomic(durable=True):
            original = Decision.objects.select_for_update().select_related(
                "item__session__commission", "item__referral__case").get(pk=decision.pk)
            at = at or timezone.now()  # after the lock: times follow the order of the moves
            _correct_checks(actor, original)
            correction = Decision.objects.create(
                item=original.item, outcome=outcome, reasoning=reasoning,
                tally=original.tally, signed_by=actor, signed_at=at, corrects=original)
            _record(correction, actor=actor, at=at, draft=draft, audits=audits)
            audit_record_many(audits)  # last: the chain stays locked until the commit
    except BaseException:
        letter_discard(draft)
        raise
    return correction


def _correct_checks(actor, original: Decision) -> None:
    _chair(actor, original.item.session.commission)
    if Decision.objects.filter(corrects=original).exists():
        raise ApplicationError("already_corrected",
                               _("This decision was already corrected; correct the "
                                 "latest one."))


def _letter_given(*, outcome: str, reasoning: str, signed_at: dt.datetime,
                  corrects: bool) -> dict:
    """The decision letter's own facts. The day it was signed, not the moment: the
    letter prints the day, and a draft rendered a moment before the signature stays
    valid."""
    return {"outcome": CASE_OUTCOME.get(outcome, outcome), "reasoning": reasoning,
            "signed_on": day_of(signed_at), "corrects": corrects}


def _letter_draft(case: Case, *, outcome: str, reasoning: str, at: dt.datetime | None,
                  corrects: bool):
    """The decision letter, rendered and stored before the transaction, from the case as
    it is now and the decision as it will be signed. Some of what the letter shows
    changes in the transaction (the move the decision makes, the moment of signing):
    ``letters.services.letter_file_inner`` builds the letter's context again from the
    locked rows and renders again, under the case's lock but not the audit chain's, if it
    differs. The chain's lock is taken last, so it is never held during a render."""
    return letter_render(actor=None, system=True, case=case, kind="decision",
                         context=_letter_given(outcome=outcome, reasoning=reasoning,
                                               signed_at=at or timezone.now(),
                                               corrects=corrects))


def _record(decision: Decision, *, actor, at: dt.datetime, draft, audits: list[dict]) -> None:
    case = decision.item.referral.case
    audits.append(dict(action="decision.signed", actor=actor, object_type="decision",
                       object_id=decision.pk,
                       data={"case": case.pk, "outcome": decision.outcome,
                             "previous": decision.corrects_id}))
    events.commission_decision(case, at=at, actor=actor, decision_id=decision.pk,
                               outcome=decision.outcome,
                               corrects=decision.corrects_id)
    given = _letter_given(outcome=decision.outcome, reasoning=decision.reasoning,
                          signed_at=decision.signed_at,
                          corrects=decision.corrects_id is not None)
    # Dated and filed when it is written, as a letter written after the signature is.
    letter_file_inner(actor=None, draft=draft, audits=audits,
                      spec=replace(draft.spec, given=given,
                                   letter_date=day_of(timezone.now())))
