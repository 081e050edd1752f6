"""Reading the case timeline back: what the applicant may read of an event, the office's
latest question, the kind of a generated letter.

``events.py`` writes the events; this module is the one place that reads them for
people: the staff page, the public status page, the API, the notices and the letters
call these functions rather than look into ``CaseEvent.data`` themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casedesk.core.states import CaseState

from .events import EventKind
from .models import Case, CaseEvent, Document, DocumentType
from .workflow import DecisionOutcome, Outcome

# What the status page says of each stage, in plain words.
PLAIN_STAGE = {
    CaseState.RECEIVED: _("Your appeal has arrived and is waiting to be registered."),
    CaseState.REGISTERED: _("Your appeal is registered and will be taken into review."),
    CaseState.IN_REVIEW: _("Your appeal is being reviewed."),
    CaseState.AWAITING_INFORMATION: _("The office has asked you a question: please answer "
                                      "below."),
    CaseState.REFERRED_TO_COMMISSION: _("Your case is before the commission."),
    CaseState.COMMISSION_DECIDED: _("The commission has decided; the answer is being "
                                    "prepared."),
    CaseState.ANSWERED: _("The office has answered your appeal."),
    CaseState.CLOSED: _("The case is closed."),
    CaseState.FORWARDED: _("Your appeal was forwarded to the body that can decide it."),
    CaseState.WITHDRAWN: _("The appeal was withdrawn."),
    CaseState.LEFT_UNANSWERED: _("The appeal was left without an answer on the merits."),
}


def public_stage(state: str) -> str:
    """The stage of a case in ``state`` as the applicant reads it."""
    return str(PLAIN_STAGE[CaseState(state)])


# --- the office's question ------------------------------------------------------------------


def _asks(event: CaseEvent) -> bool:
    return event.kind == EventKind.STATE_CHANGED \
        and (event.data or {}).get("transition") == "request_information"


def question_event(case: Case, events: Iterable[CaseEvent] | None = None) -> CaseEvent | None:
    """The event of the office's latest request for information in ``case``, None if it
    asked nothing. ``events``: the case's events oldest first, when the caller has them
    at hand (the public ones suffice: a request is public); else it is read."""
    if events is not None:
        return next((e for e in reversed(list(events)) if _asks(e)), None)
    return (case.events.filter(kind=EventKind.STATE_CHANGED,
                               data__transition="request_information")
            .order_by("-at", "-id").first())


def latest_question(case: Case, events: Iterable[CaseEvent] | None = None) -> str:
    """The office's message of its latest request for information ("" if none)."""
    event = question_event(case, events)
    return (event.texts or {}).get("message", "") if event else ""


# --- letters ---------------------------------------------------------------------------------


def letter_file_name(number: str, kind: str, language: str, extension: str) -> str:
    """The file name of a generated letter; :func:`letter_kind` reads the kind back."""
    return f"{number}-{kind}-{language}.{extension}"


def letter_kind(document: Document) -> str | None:
    """The kind of letter (``letters.models.LetterKind``) a generated letter is, read from
    its file name (:func:`letter_file_name`); None for another document or a name erased."""
    if document.doc_type != DocumentType.LETTER:
        return None
    stem = (document.original_name or "").rpartition(".")[0]
    parts = stem.rsplit("-", 2)
    return parts[1] if len(parts) == 3 and parts[1] else None


# --- what the applicant may read of an event ------------------------------------------------


def _iso_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _iso_datetime(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _label(choices, value) -> str | None:
    try:
        return str(choices(value).label)
    except ValueError:
        return None


def public_event_text(event: CaseEvent) -> str | None:
    """What the applicant may read of a public event, in the active language: the new
    stage, the question asked, the outcome, the body the appeal went to, a new deadline.
    Never who did it, reasons, grounds or notes. ``None``: nothing to show."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.STATE_CHANGED:
        stage = _label(CaseState, data.get("target"))
        if stage is None:
            return None
        text = gettext("Status: %(state)s.") % {"state": stage}
        transition = data.get("transition")
        message = (event.texts or {}).get("message")
        if transition == "request_information" and message:
            text += " " + gettext("The office asked: %(message)s") % {"message": message}
        if transition == "answer" and (outcome := _label(Outcome, data.get("outcome"))):
            text += " " + gettext("Outcome: %(outcome)s.") % {"outcome": outcome}
        body = (event.texts or {}).get("forwarded_to")
        if transition == "forward" and body:
            text += " " + gettext("Forwarded to: %(body)s.") % {"body": body}
        return text
    if kind == EventKind.DEADLINE_EXTENDED:
        day = _iso_date(data.get("due_on"))
        if day is None:
            return None
        if data.get("rule") == "answer":
            return gettext("The time to answer was extended to %(date)s.") % {
                "date": date_format(day, "DATE_FORMAT")}
        return gettext("A time limit was extended to %(date)s.") % {
            "date": date_format(day, "DATE_FORMAT")}
    if kind == EventKind.COMMISSION_RESCHEDULED:
        when = _iso_datetime(data.get("session_at"))
        return gettext("The commission's session on your case was moved to %(date)s.") % {
            "date": date_format(timezone.localtime(when), "DATE_FORMAT") if when else "—"}
    if kind == EventKind.COMMISSION_SCHEDULED:
        when = _iso_datetime(data.get("session_at"))
        return gettext("Your case is on the commission's agenda for %(date)s.") % {
            "date": date_format(timezone.localtime(when), "DATE_FORMAT") if when else "—"}
    if kind == EventKind.COMMISSION_DECISION:
        outcome = _label(DecisionOutcome, data.get("outcome")) or ""
        if data.get("corrects"):
            return gettext("The commission corrected its decision: %(outcome)s.") % {
                "outcome": outcome}
        return gettext("The commission decided: %(outcome)s.") % {"outcome": outcome}
    if kind == EventKind.ANSWER_SIGNED:
        number = data.get("number") or "—"
        if data.get("supplements"):
            return gettext("The office sent a supplement to its answer (No. %(number)s).") % {
                "number": number}
        return gettext("The office signed and sent its answer (No. %(number)s).") % {
            "number": number}
    if kind == EventKind.ACCESS_CODE_ISSUED:
        return gettext("The office issued a new access code for this appeal; the previous "
                       "code no longer works. If you did not ask for it, contact the "
                       "office.")
    if kind == EventKind.CASE_OPENED:
        return gettext("The appeal was received.")
    if kind == EventKind.APPEAL_ATTACHED:
        return gettext("More information was added to the case.")
    if kind == EventKind.DOCUMENT_ADDED and data.get("doc_type") == DocumentType.LETTER:
        return None  # letters are listed on their own, once per letter, not per format
    if kind == EventKind.DOCUMENT_ADDED:
        doc_type = _label(DocumentType, data.get("doc_type"))
        if doc_type:
            return gettext("A document was added to the case: %(type)s.") % {"type": doc_type}
        return gettext("A document was added to the case.")
    # Another public kind: its name only, never its data.
    return _label(EventKind, kind)
