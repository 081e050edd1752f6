"""Due dates from rulebook rules.

Everything here is pure: a rule, dates and a calendar in; a date or a status out. The
rule objects are the rulebook's ``DeadlineRule`` and ``FilingLimit`` (see
``casedesk.rulebook.schema``); only their ``period``, ``counting``, ``roll_forward``,
``pausable`` and ``max_extension_days`` are read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from .calendar import WorkCalendar, add_months

Pause = tuple[dt.date, dt.date | None]


class PeriodLike(Protocol):
    days: int
    months: int
    years: int


class RuleLike(Protocol):
    period: PeriodLike
    counting: str
    roll_forward: bool
    pausable: bool
    max_extension_days: int


class DeadlineStatus(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class ExtensionRefused(ValueError):
    """An extension the rule does not allow."""


def add_period(start: dt.date, period: PeriodLike) -> dt.date:
    """Calendar arithmetic: years and months first (Civil Code art. 192), then days."""
    day = add_months(start, period.years * 12 + period.months)
    return day + dt.timedelta(days=period.days)


def paused_length(rule: RuleLike, pauses: Sequence[Pause], calendar: WorkCalendar,
                  today: dt.date, start: dt.date | None = None) -> int:
    """How far the pauses push the due date, in the rule's own unit of counting.

    A pause (first, last) stops the clock from the day after ``first`` to ``last``; an open
    pause (last None) runs to ``today``. Pauses are clipped to begin no earlier than
    ``start`` and overlapping pauses count once. Rules that are not pausable ignore pauses.
    """
    if not rule.pausable:
        return 0
    spans = sorted(
        (max(first, start) if start else first, last or today) for first, last in pauses
    )
    total, covered_to = 0, None
    for first, last in spans:
        if covered_to is not None:
            first = max(first, covered_to)
        if last <= first:
            continue
        if rule.counting == "working":
            total += calendar.working_days_between(first, last)
        else:
            total += (last - first).days
        covered_to = last
    return total


def due_date(
    rule: RuleLike,
    *,
    start: dt.date,
    calendar: WorkCalendar,
    extension_days: int = 0,
    pauses: Sequence[Pause] = (),
    today: dt.date | None = None,
) -> dt.date:
    """The last day on which the duty under ``rule`` is done on time.

    The period runs from the day after ``start`` (the anchor day is not counted). Working-
    day rules count only working days; calendar rules count every day. Only where the rule
    says ``roll_forward`` (a law, such as Civil Code art. 193, applies the move to it) does
    a due date on a non-working day move to the next working day; an office's own terms
    end on their last day, holiday or not. Extensions and pauses lengthen the period in
    the rule's unit.
    """
    if extension_days < 0:
        raise ExtensionRefused("an extension cannot be negative")
    extra = extension_days + paused_length(rule, pauses, calendar, today or start, start)
    if rule.counting == "working":
        due = calendar.add_working_days(start, rule.period.days + extra)
    else:
        due = add_period(start, rule.period) + dt.timedelta(days=extra)
    if rule.roll_forward:
        due = calendar.next_working(due)
    return due


def check_extension(rule: RuleLike, *, already: int, requested: int) -> int:
    """The new total extension, or ExtensionRefused if the rule does not allow it."""
    if requested <= 0:
        raise ExtensionRefused("an extension must be at least one day")
    if rule.max_extension_days == 0:
        raise ExtensionRefused("this deadline cannot be extended")
    total = already + requested
    if total > rule.max_extension_days:
        raise ExtensionRefused(
            f"the rule allows at most {rule.max_extension_days} days of extension in all"
        )
    return total


def filing_limit_date(period: PeriodLike, *, known_on: dt.date) -> dt.date:
    """The last day on which a complaint can be filed, counting from when the violation
    happened or became known (no move to a working day: the limit is a calendar date)."""
    return add_period(known_on, period)


def days_left(due: dt.date, today: dt.date) -> int:
    """Days from ``today`` to ``due``; 0 on the due day, negative when late."""
    return (due - today).days


def status(due: dt.date, today: dt.date, *, due_soon_days: int) -> DeadlineStatus:
    left = days_left(due, today)
    if left < 0:
        return DeadlineStatus.OVERDUE
    if left <= due_soon_days:
        return DeadlineStatus.DUE_SOON
    return DeadlineStatus.OK
