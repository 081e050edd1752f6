"""The typed case timeline: one function per event type.

The same events feed the staff timeline, the applicant's status page (``public``) and
the statistics. ``public`` says the applicant may see that the event happened; the public
page chooses which data it shows (the question asked, the outcome, the body a case was
forwarded to), never internal reasons. Event data is codes, dates and the texts staff
typed for the move (reasons, messages): case content, protected like the case file.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.core import hooks

from .models import Case, CaseEvent
from .permissions import ApplicantActor


class EventKind(models.TextChoices):
    CASE_OPENED = "case_opened", _("case opened")
    APPEAL_ATTACHED = "appeal_attached", _("appeal added to the case")
    STATE_CHANGED = "state_changed", _("state changed")
    ASSIGNED = "assigned", _("assigned")
    DEADLINE_EXTENDED = "deadline_extended", _("deadline extended")
    DEADLINE_DUE_SOON = "deadline_due_soon", _("deadline due soon")
    DEADLINE_OVERDUE = "deadline_overdue", _("deadline overdue")
    FILING_LIMIT_PASSED = "filing_limit_passed", _("filed after the time limit")
    NOTE_ADDED = "note_added", _("internal note")
    COMMISSION_SCHEDULED = "commission_scheduled", _("put on the commission's agenda")
    COMMISSION_DECISION = "commission_decision", _("commission decision signed")
    COMMISSION_RESCHEDULED = "commission_rescheduled", _("commission session moved")
    DOCUMENT_ADDED = "document_added", _("document added")
    RECLASSIFIED = "reclassified", _("category corrected")
    EXTENSION_REQUESTED = "extension_requested", _("extension requested")
    EXTENSION_REFUSED = "extension_refused", _("extension refused")
    ANSWER_DRAFTED = "answer_drafted", _("answer drafted")
    ANSWER_SUBMITTED = "answer_submitted", _("answer submitted for approval")
    ANSWER_RETURNED = "answer_returned", _("answer returned for changes")
    ANSWER_APPROVED = "answer_approved", _("answer approved")
    ANSWER_SIGNED = "answer_signed", _("answer signed and sent")
    ACCESS_CODE_ISSUED = "access_code_issued", _("access code issued")


# Free texts of an event: stored encrypted in ``CaseEvent.texts``, never in ``data``.
TEXT_KEYS = frozenset({"reason", "message", "forwarded_to"})


def _event(case: Case, kind: EventKind, *, at: dt.datetime, actor=None, public: bool = False,
           **data) -> CaseEvent:
    """The event, unsaved."""
    if isinstance(actor, ApplicantActor):
        actor, data = None, {**data, "by": "applicant"}
    texts = {key: data.pop(key) for key in list(data) if key in TEXT_KEYS and data[key]}
    for key in TEXT_KEYS:
        data.pop(key, None)
    return CaseEvent(case=case, kind=kind, at=at, actor=actor, public=public, data=data,
                     texts=texts)


def _write(case: Case, kind: EventKind, **kwargs) -> CaseEvent:
    return _saved(_event(case, kind, **kwargs))


def _saved(event: CaseEvent) -> CaseEvent:
    event.save(force_insert=True)
    # In the same transaction (``in_transaction`` subscribers only, e.g. the staff's
    # attention items); the event object itself, never sent out of the process.
    hooks.emit("case_event", event=event)
    return event


# --- unsaved events, for the paths that insert many at once ------------------------------
# (cases.services.cases_open_many, the CSV import, the demo data): the same event as the
# function of the same name below writes, built but not saved, for ``core.bulk.create`` or
# the import's COPY. The case may be unsaved too (its id is taken when the event is
# inserted); nothing is emitted, as for any bulk insert.


def case_opened_new(case: Case, *, at: dt.datetime, actor, channel: str) -> CaseEvent:
    return _event(case, EventKind.CASE_OPENED, at=at, actor=actor, public=True,
                  channel=channel)


def appeal_attached_new(case: Case, *, at: dt.datetime, actor, appeal_id: int,
                        channel: str) -> CaseEvent:
    return _event(case, EventKind.APPEAL_ATTACHED, at=at, actor=actor, public=True,
                  appeal=appeal_id, channel=channel)


def state_changed_new(case: Case, *, at: dt.datetime, actor, transition: str, source: str,
                      target: str, public: bool, **details) -> CaseEvent:
    return _event(case, EventKind.STATE_CHANGED, at=at, actor=actor, public=public,
                  transition=transition, source=source, target=target, **details)


def assigned_new(case: Case, *, at: dt.datetime, actor, assignee_id: int | None,
                 previous_id: int | None) -> CaseEvent:
    return _event(case, EventKind.ASSIGNED, at=at, actor=actor,
                  assignee=assignee_id, previous=previous_id)


def filing_limit_passed_new(case: Case, *, at: dt.datetime, limit: str,
                            last_day: dt.date) -> CaseEvent:
    return _event(case, EventKind.FILING_LIMIT_PASSED, at=at, limit=limit,
                  last_day=last_day.isoformat())


def answer_signed_new(case: Case, *, at: dt.datetime, actor, answer_id: int, number: str,
                      supplements: int | None) -> CaseEvent:
    return _event(case, EventKind.ANSWER_SIGNED, at=at, actor=actor, public=True,
                  answer=answer_id, number=number, supplements=supplements)


# --- events written one at a time --------------------------------------------------------


def appeal_attached(case: Case, *, at: dt.datetime, actor, appeal_id: int,
                    channel: str) -> CaseEvent:
    return _saved(appeal_attached_new(case, at=at, actor=actor, appeal_id=appeal_id,
                                      channel=channel))


def state_changed(case: Case, *, at: dt.datetime, actor, transition: str, source: str,
                  target: str, public: bool, **details) -> CaseEvent:
    return _saved(state_changed_new(case, at=at, actor=actor, transition=transition,
                                    source=source, target=target, public=public, **details))


def assigned(case: Case, *, at: dt.datetime, actor, assignee_id: int | None,
             previous_id: int | None) -> CaseEvent:
    return _saved(assigned_new(case, at=at, actor=actor, assignee_id=assignee_id,
                               previous_id=previous_id))


def deadline_extended(case: Case, *, at: dt.datetime, actor, rule: str, days: int,
                      reason: str, due_on: dt.date, request_id: int | None = None) -> CaseEvent:
    extra = {"request": request_id} if request_id is not None else {}
    return _write(case, EventKind.DEADLINE_EXTENDED, at=at, actor=actor, public=True,
                  rule=rule, days=days, reason=reason, due_on=due_on.isoformat(), **extra)


def extension_requested(case: Case, *, at: dt.datetime, actor, request_id: int, rule: str,
                        days: int, reason: str) -> CaseEvent:
    return _write(case, EventKind.EXTENSION_REQUESTED, at=at, actor=actor,
                  request=request_id, rule=rule, days=days, reason=reason)


def extension_refused(case: Case, *, at: dt.datetime, actor, request_id: int, rule: str,
                      reason: str) -> CaseEvent:
    return _write(case, EventKind.EXTENSION_REFUSED, at=at, actor=actor,
                  request=request_id, rule=rule, reason=reason)


def deadline_flagged(case: Case, *, at: dt.datetime, rule: str, flag: str,
                     due_on: dt.date) -> CaseEvent:
    kind = EventKind.DEADLINE_OVERDUE if flag == "overdue" else EventKind.DEADLINE_DUE_SOON
    return _write(case, kind, at=at, rule=rule, due_on=due_on.isoformat())


def filing_limit_passed(case: Case, *, at: dt.datetime, limit: str,
                        last_day: dt.date) -> CaseEvent:
    return _saved(filing_limit_passed_new(case, at=at, limit=limit, last_day=last_day))


def note_added(case: Case, *, at: dt.datetime, actor, note_id: int) -> CaseEvent:
    return _write(case, EventKind.NOTE_ADDED, at=at, actor=actor, note=note_id)


def document_added(case: Case, *, at: dt.datetime, actor, document_id: int, doc_type: str,
                   public: bool) -> CaseEvent:
    return _write(case, EventKind.DOCUMENT_ADDED, at=at, actor=actor, public=public,
                  document=document_id, doc_type=doc_type)


def commission_scheduled(case: Case, *, at: dt.datetime, actor, session_id: int,
                         session_at: dt.datetime) -> CaseEvent:
    return _write(case, EventKind.COMMISSION_SCHEDULED, at=at, actor=actor, public=True,
                  session=session_id, session_at=session_at.isoformat())


def commission_rescheduled(case: Case, *, at: dt.datetime, actor, session_id: int,
                           session_at: dt.datetime, previous_at: dt.datetime) -> CaseEvent:
    """The session with the case on its agenda moved: public, the applicant sees the new
    date (the reason stays with the session, encrypted, never in the timeline)."""
    return _write(case, EventKind.COMMISSION_RESCHEDULED, at=at, actor=actor, public=True,
                  session=session_id, session_at=session_at.isoformat(),
                  previous_at=previous_at.isoformat())


def commission_decision(case: Case, *, at: dt.datetime, actor, decision_id: int,
                        outcome: str, corrects: int | None) -> CaseEvent:
    return _write(case, EventKind.COMMISSION_DECISION, at=at, actor=actor, public=True,
                  decision=decision_id, outcome=outcome, corrects=corrects)


def reclassified(case: Case, *, at: dt.datetime, actor, reason: str, before: dict,
                 after: dict) -> CaseEvent:
    """The category, sub-category or procedure corrected by staff; ``before`` and
    ``after`` hold the codes (``category``, ``subcategory``, ``procedure``)."""
    return _write(case, EventKind.RECLASSIFIED, at=at, actor=actor, reason=reason,
                  before=before, after=after)


# --- the answer on the merits (casedesk.letters.answers) -----------------------------------


def answer_drafted(case: Case, *, at: dt.datetime, actor, answer_id: int,
                   supplements: int | None) -> CaseEvent:
    return _write(case, EventKind.ANSWER_DRAFTED, at=at, actor=actor, answer=answer_id,
                  supplements=supplements)


def answer_submitted(case: Case, *, at: dt.datetime, actor, answer_id: int) -> CaseEvent:
    return _write(case, EventKind.ANSWER_SUBMITTED, at=at, actor=actor, answer=answer_id)


def answer_returned(case: Case, *, at: dt.datetime, actor, answer_id: int,
                    comment: str) -> CaseEvent:
    """The supervisor's comment is kept (encrypted) as the event's reason."""
    return _write(case, EventKind.ANSWER_RETURNED, at=at, actor=actor, answer=answer_id,
                  reason=comment)


def answer_approved(case: Case, *, at: dt.datetime, actor, answer_id: int) -> CaseEvent:
    return _write(case, EventKind.ANSWER_APPROVED, at=at, actor=actor, answer=answer_id)


def answer_signed(case: Case, *, at: dt.datetime, actor, answer_id: int, number: str,
                  supplements: int | None) -> CaseEvent:
    """Public: the applicant sees that the answer (or a supplement) was sent."""
    return _saved(answer_signed_new(case, at=at, actor=actor, answer_id=answer_id,
                                    number=number, supplements=supplements))


def access_code_issued(case: Case, *, at: dt.datetime, actor, replaced: bool,
                       reason_code: str) -> CaseEvent:
    """Staff issued the applicant an access code. A code that replaced one the applicant
    may hold is on the public timeline (the applicant learns why theirs stopped working);
    ``reason_code`` is a ``permissions.CodeReissueReason`` code, never text."""
    return _write(case, EventKind.ACCESS_CODE_ISSUED, at=at, actor=actor, public=replaced,
                  replaced=replaced, reason_code=reason_code)

