"""Keep a case's Deadline rows in step with its state, using the pure rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from casedesk import rulebook
from casedesk.deadlines.calendar import WorkCalendar, work_calendar
from casedesk.deadlines.rules import due_date, status

from .models import Case, Deadline, DeadlineFlag


def calendar_of(book: rulebook.Rulebook) -> WorkCalendar:
    cal = book.calendar
    return work_calendar(
        country=cal.country,
        subdivision=cal.subdivision,
        weekend=cal.weekend,
        extra_non_working_days=cal.extra_non_working_days,
        extra_working_days=cal.extra_working_days,
    )


def _pauses(deadline: Deadline) -> list[tuple[dt.date, dt.date | None]]:
    return [
        (dt.date.fromisoformat(a), dt.date.fromisoformat(b) if b else None)
        for a, b in deadline.pauses
    ]


def recompute_due(deadline: Deadline, book: rulebook.Rulebook, today: dt.date) -> dt.date:
    return due_date(
        book.rules[deadline.rule],
        start=deadline.starts_on,
        calendar=calendar_of(book),
        extension_days=deadline.extension_days,
        pauses=_pauses(deadline),
        today=today,
    )


def closing_verdict(rule, state: str, today: dt.date, due_on: dt.date) -> bool | None:
    """Met (True), missed (False), or not applicable (None) when the case left the rule's
    states for one that does not fulfil it (taken into review: nothing to forward)."""
    if rule.met_by and state not in rule.met_by:
        return None
    return today <= due_on


@dataclass(frozen=True, slots=True)
class PastDeadline:
    """A deadline as the services leave it after a sequence of states (``deadlines_walk``):
    dates only, no flag (callers flag it as of their own today)."""

    rule: str
    starts_on: dt.date
    due_on: dt.date
    closed_on: dt.date | None
    met: bool | None
    pauses: tuple[tuple[dt.date, dt.date | None], ...]


def deadlines_walk(book: rulebook.Rulebook, procedure: str, states: Sequence[str],
                   dates: Sequence[dt.date], *, today: dt.date) -> list[PastDeadline]:
    """The deadlines a case of ``procedure`` has after going through ``states``, the n-th
    entered on ``dates[n]``: ``states[0]`` is received, ``states[1]`` (if any) the state
    registration led to. Each rule that the reception or the registration starts is opened
    in its first state, paused while the case awaits information (pausable rules), and
    closed, met or not, in the first state outside the rule's. An open pause runs to
    ``today``. Pure: dates in, dates out (the demo data and the bulk import use it, so
    their cases look as if the services had made them)."""
    cal = calendar_of(book)
    anchors = {"received": 0}
    if len(states) > 1:
        anchors["registered"] = 1
    rows = []
    for rule in book.procedure_rules(procedure):
        starts = [anchors[a] for a in rule.starts_on if a in anchors]
        if not starts or states[starts[0]] not in rule.active_in:
            continue
        i = starts[0]
        pauses: list[list] = []
        closed_at = None
        for j in range(i, len(states)):
            if rule.pausable:
                waiting = states[j] == "awaiting_information"
                if waiting and (not pauses or pauses[-1][1] is not None):
                    pauses.append([dates[j], None])
                elif not waiting and pauses and pauses[-1][1] is None:
                    pauses[-1][1] = dates[j]
            if states[j] not in rule.active_in:
                closed_at = j
                break
        spans = tuple((a, b) for a, b in pauses)
        closed_on = dates[closed_at] if closed_at is not None else None
        due = due_date(rule, start=dates[i], calendar=cal, pauses=spans,
                       today=closed_on or today)
        met = None if closed_at is None else closing_verdict(rule, states[closed_at],
                                                             closed_on, due)
        rows.append(PastDeadline(rule.code, dates[i], due, closed_on, met, spans))
    return rows


def sync(case: Case, *, today: dt.date, anchor: str | None) -> list[Deadline]:
    """Open the deadlines that ``anchor`` starts, pause, resume or close the others for the
    case's new state, and refresh the case's next due date. ``case`` is locked and saved by
    the caller."""
    book = rulebook.get(case.rulebook_version)
    open_deadlines = {d.rule: d for d in case.deadlines.filter(closed_on__isnull=True)}
    for rule in book.procedure_rules(case.procedure):
        deadline = open_deadlines.get(rule.code)
        active = case.state in rule.active_in
        if deadline is None:
            if anchor in rule.starts_on and active:
                deadline = _start(case, rule, book, today)
                deadline.save()
                open_deadlines[rule.code] = deadline
            continue
        changed = False
        if rule.pausable:
            paused = bool(deadline.pauses) and deadline.pauses[-1][1] is None
            waiting = case.state == "awaiting_information"
            if waiting and not paused:
                deadline.pauses = [*deadline.pauses, [today.isoformat(), None]]
                changed = True
            elif paused and not waiting:
                deadline.pauses = [*deadline.pauses[:-1], [deadline.pauses[-1][0],
                                                           today.isoformat()]]
                changed = True
        if not active:
            deadline.closed_on = today
            deadline.met = closing_verdict(rule, case.state, today, deadline.due_on)
            changed = True
            del open_deadlines[rule.code]
        elif changed:
            deadline.due_on = recompute_due(deadline, book, today)
        if changed:
            deadline.save()
    refresh_case(case, list(open_deadlines.values()), book=book, today=today)
    return list(open_deadlines.values())


def procedure_changed(case: Case, *, today: dt.date) -> None:
    """After ``case.procedure`` changed: the open deadlines of rules the new procedure does
    not have close as not applicable; the new procedure's rules that apply in the case's
    state open, counted from the day their anchor event happened (received, registered),
    as if the case had been under that procedure from the start. ``case`` is locked and
    saved by the caller."""
    book = rulebook.get(case.rulebook_version)
    rules = {rule.code: rule for rule in book.procedure_rules(case.procedure)}
    open_deadlines = {d.rule: d for d in case.deadlines.filter(closed_on__isnull=True)}
    for code, deadline in list(open_deadlines.items()):
        if code not in rules:
            deadline.closed_on, deadline.met = today, None
            deadline.save()
            del open_deadlines[code]
    anchors = {"received": case.received_at, "registered": case.registered_at}
    for code, rule in rules.items():
        if code in open_deadlines or case.state not in rule.active_in:
            continue
        days = [timezone.localdate(anchors[a]) for a in rule.starts_on
                if anchors.get(a) is not None]
        if not days:
            continue
        deadline = _start(case, rule, book, max(days))
        deadline.flag = str(status(deadline.due_on, today, due_soon_days=book.due_soon_days))
        deadline.save()
        open_deadlines[code] = deadline
    refresh_case(case, list(open_deadlines.values()), book=book, today=today)


def _start(case: Case, rule, book: rulebook.Rulebook, today: dt.date) -> Deadline:
    deadline = Deadline(case=case, rule=rule.code, starts_on=today, due_on=today)
    deadline.due_on = recompute_due(deadline, book, today)
    deadline.flag = str(status(deadline.due_on, today, due_soon_days=book.due_soon_days))
    return deadline


def plan_new(case: Case, *, today: dt.date, anchor: str) -> list[Deadline]:
    """The deadlines that ``anchor`` starts for a case without any yet, in its state, not
    saved: what ``sync`` would open, worked out without a query (so also before the case
    itself is saved)."""
    book = rulebook.get(case.rulebook_version)
    return [_start(case, rule, book, today) for rule in book.procedure_rules(case.procedure)
            if anchor in rule.starts_on and case.state in rule.active_in]


def refresh_case(case: Case, open_deadlines: list[Deadline], *, book: rulebook.Rulebook,
                 today: dt.date) -> None:
    """Set the case's next due date and its worst deadline flag from its open deadlines."""
    if not open_deadlines:
        case.next_due_on = None
        case.deadline_flag = DeadlineFlag.OK
        return
    case.next_due_on = min(d.due_on for d in open_deadlines)
    case.deadline_flag = str(status(case.next_due_on, today, due_soon_days=book.due_soon_days))
