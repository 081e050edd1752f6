"""The commission's work: referral, agenda, votes with reasons, signed decisions."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.roles import Role
from casedesk.audit.services import audit_record
from casedesk.cases import events
from casedesk.cases.models import Case, Document
from casedesk.cases.services import case_transition
from casedesk.core.errors import ApplicationError

from .models import (
    AgendaItem,
    Commission,
    CommissionMember,
    Decision,
    DecisionOutcome,
    Referral,
    ReferralStatus,
    Session,
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
    if actor is not None and getattr(actor, "is_active", False) \
            and actor.role == Role.COMMISSION_MEMBER:
        member = CommissionMember.objects.filter(commission=commission, user=actor).first()
    if member is None:
        raise ApplicationError("forbidden", _("Only members of this commission can do this."))
    return member


def _chair(actor, commission: Commission) -> CommissionMember:
    member = _membership(actor, commission)
    if not member.is_chair:
        raise ApplicationError("forbidden", _("Only the chair of the commission can do this."))
    return member


def referral_create(*, actor, case: Case, commission: Commission, summary: str, question: str,
                    document_ids: list[int] = (), at: dt.datetime | None = None) -> Referral:
    """A caseworker puts a case before the commission with a summary, the question and
    the documents that matter; the case moves to ``referred_to_commission``."""
    summary = _text(summary, "missing_summary", _("Write a summary of the case."))
    question = _text(question, "missing_question", _("Write the question to decide."))
    if commission.office_id != case.office_id or not commission.is_active:
        raise ApplicationError("bad_commission",
                               _("Choose a commission of the case's office."))
    with transaction.atomic():
        moved = case_transition(actor=actor, case=case, transition="refer_to_commission",
                                reason=question, at=at)
        # Stamped after the case's lock (taken by the transition): times follow the order.
        at = at or timezone.now()
        documents = list(Document.objects.filter(case=moved, pk__in=list(document_ids)))
        if len(documents) != len(set(document_ids)):
            raise ApplicationError("not_found", _("No such document in this case."))
        referral = Referral.objects.create(case=moved, commission=commission, summary=summary,
                                           question=question, referred_by=actor,
                                           referred_at=at)
        referral.documents.set(documents)
        audit_record(action="referral.created", actor=actor, object_type="referral",
                     object_id=referral.pk, data={"case": moved.pk, "count": len(documents)})
    return referral


def session_schedule(*, actor, commission: Commission, starts_at: dt.datetime, place: str = "",
                     referral_ids: list[int] | None = None,
                     at: dt.datetime | None = None) -> Session:
    """The chair sets a session and its agenda: the given referrals, or every waiting one,
    the case with the oldest deadline first. Each applicant sees the date."""
    with transaction.atomic():
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


def vote_cast(*, actor, item: AgendaItem, choice: str, reason: str,
              at: dt.datetime | None = None) -> Vote:
    """A member votes with a written reason (and may change the vote until the decision is
    signed)."""
    if choice not in VoteChoice.values:
        raise ApplicationError("unknown_vote", _("Choose how you vote."))
    reason = _text(reason, "missing_reason", _("Give the reason for your vote."))
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update().select_related(
            "session__commission").get(pk=item.pk)
        at = at or timezone.now()  # after the lock: times follow the order of the votes
        _membership(actor, item.session.commission)
        if item.decisions.exists():
            raise ApplicationError("already_signed",
                                   _("The decision is signed: votes can no longer change."))
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


def decision_sign(*, actor, item: AgendaItem, outcome: str, reasoning: str,
                  at: dt.datetime | None = None) -> Decision:
    """The chair records and signs the decision with its reasoning, if the quorum is met;
    the case moves on: decided, or back into review when more information is needed."""
    if outcome not in DecisionOutcome.values:
        raise ApplicationError("unknown_outcome", _("Choose the outcome."))
    reasoning = _text(reasoning, "missing_reasoning", _("Write the reasoning of the decision."))
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update().select_related(
            "session__commission", "referral__case").get(pk=item.pk)
        at = at or timezone.now()  # after the lock: times follow the order of the moves
        _chair(actor, item.session.commission)
        if item.decisions.exists():
            raise ApplicationError("already_signed",
                                   _("This item already has a signed decision; record a "
                                     "correction instead."))
        book = rulebook.get(item.referral.case.rulebook_version)
        met, tally = quorum(item, book)
        if not met:
            raise ApplicationError(
                "no_quorum",
                _("No quorum: %(cast)s votes with reasons, %(needed)s needed."),
                cast=sum(tally["votes"].values()), needed=tally["needed"])
        decision = Decision.objects.create(item=item, outcome=outcome, reasoning=reasoning,
                                           tally=tally, signed_by=actor, signed_at=at)
        referral = item.referral
        if outcome == DecisionOutcome.REQUEST_INFORMATION:
            referral.status = ReferralStatus.RETURNED
            case_transition(actor=actor, case=referral.case,
                            transition="return_from_commission", reason=reasoning, at=at)
        else:
            referral.status = ReferralStatus.DECIDED
            case_transition(actor=actor, case=referral.case, transition="record_decision",
                            outcome=CASE_OUTCOME[outcome], reason=reasoning, at=at)
        referral.save(update_fields=["status"])
        _record(decision, actor=actor, at=at)
    return decision


def decision_correct(*, actor, decision: Decision, outcome: str, reasoning: str,
                     at: dt.datetime | None = None) -> Decision:
    """A correction: a new signed decision linked to the one it corrects, which stays."""
    if outcome not in DecisionOutcome.values or outcome == DecisionOutcome.REQUEST_INFORMATION:
        raise ApplicationError("unknown_outcome", _("Choose the outcome."))
    reasoning = _text(reasoning, "missing_reasoning", _("Write the reasoning of the decision."))
    with transaction.atomic():
        original = Decision.objects.select_for_update().select_related(
            "item__session__commission", "item__referral__case").get(pk=decision.pk)
        at = at or timezone.now()  # after the lock: times follow the order of the moves
        _chair(actor, original.item.session.commission)
        if Decision.objects.filter(corrects=original).exists():
            raise ApplicationError("already_corrected",
                                   _("This decision was already corrected; correct the "
                                     "latest one."))
        correction = Decision.objects.create(
            item=original.item, outcome=outcome, reasoning=reasoning, tally=original.tally,
            signed_by=actor, signed_at=at, corrects=original)
        _record(correction, actor=actor, at=at)
    return correction


def _record(decision: Decision, *, actor, at: dt.datetime) -> None:
    case = decision.item.referral.case
    audit_record(action="decision.signed", actor=actor, object_type="decision",
                 object_id=decision.pk, data={"case": case.pk, "outcome": decision.outcome,
                                              "previous": decision.corrects_id})
    events.commission_decision(case, at=at, actor=actor, decision_id=decision.pk,
                               outcome=decision.outcome,
                               corrects=decision.corrects_id)
    _decision_letter(decision, case)


def _decision_letter(decision: Decision, case: Case) -> None:
    from casedesk.letters.services import letter_generate

    letter_generate(actor=None, system=True, case=case, kind="decision", context={
        "outcome": CASE_OUTCOME.get(decision.outcome, decision.outcome),
        "reasoning": decision.reasoning,
        "signed_on": decision.signed_at, "corrects": decision.corrects_id is not None,
    })


