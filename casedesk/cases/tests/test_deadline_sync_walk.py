"""deadlines_walk: the one walk over a case's states that the demo data and the bulk import
share. It must give what each of them computed on its own before it existed (the two
copies are kept here, frozen, as the reference), for any path through the workflow."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk import rulebook
from casedesk.cases.deadline_sync import calendar_of, closing_verdict, deadlines_walk
from casedesk.cases.workflow import TRANSITIONS
from casedesk.core.states import CaseState as S
from casedesk.deadlines.rules import due_date

BOOK = rulebook.current(dt.date(2026, 3, 1))
PROCEDURES = sorted(BOOK.procedures)


class PausableBook:
    """The rulebook with every rule pausable (none is in 2026.1), so that the pauses are
    walked too: what deadlines_walk reads of a book."""

    def __init__(self, book):
        self.calendar = book.calendar
        self.book = book

    def procedure_rules(self, procedure):
        return [rule.model_copy(update={"pausable": True})
                for rule in self.book.procedure_rules(procedure)]


BOOKS = [BOOK, PausableBook(BOOK)]


def generator_walk(book, procedure, states, dates, today):
    """casedesk.demo.generator._deadlines before deadlines_walk, as (rule, starts_on,
    due_on, closed_on, met, pauses) tuples."""
    cal = calendar_of(book)
    rows = []
    anchors = {"received": 0}
    if len(states) > 1:
        anchors["registered"] = 1
    for rule in book.procedure_rules(procedure):
        starts = [anchors[a] for a in rule.starts_on if a in anchors]
        if not starts or states[starts[0]] not in rule.active_in:
            continue
        i = starts[0]
        pauses: list[list] = []
        closed_at = None
        for j in range(i, len(states)):
            if rule.pausable:
                waiting = states[j] == S.AWAITING_INFORMATION
                if waiting and (not pauses or pauses[-1][1] is not None):
                    pauses.append([dates[j], None])
                elif not waiting and pauses and pauses[-1][1] is None:
                    pauses[-1][1] = dates[j]
            if states[j] not in rule.active_in:
                closed_at = j
                break
        closed_on = dates[closed_at] if closed_at is not None else None
        due = due_date(rule, start=dates[i], calendar=cal,
                       pauses=[tuple(p) for p in pauses], today=closed_on or today)
        met = None
        if closed_on is not None:
            met = closing_verdict(rule, states[closed_at], closed_on, due)
        rows.append((rule.code, dates[i], due, closed_on, met, [tuple(p) for p in pauses]))
    return rows


def import_walk(book, procedure, day):
    """casedesk.intake.bulk_import.deadlines_at_registration before deadlines_walk."""
    states, dates = [S.RECEIVED, S.REGISTERED], [day, day]
    anchors = {"received": 0, "registered": 1}
    cal = calendar_of(book)
    rows = []
    for rule in book.procedure_rules(procedure):
        starts = [anchors[a] for a in rule.starts_on if a in anchors]
        if not starts or states[starts[0]] not in rule.active_in:
            continue
        i = starts[0]
        closed_at = next((j for j in range(i, len(states)) if states[j] not in rule.active_in),
                         None)
        due = due_date(rule, start=dates[i], calendar=cal, today=dates[i])
        if closed_at is None:
            rows.append((rule.code, dates[i], due, None, None))
        else:
            closed_on = dates[closed_at]
            rows.append((rule.code, dates[i], due, closed_on,
                         closing_verdict(rule, states[closed_at], closed_on, due)))
    return rows


def as_tuples(walk):
    return [(d.rule, d.starts_on, d.due_on, d.closed_on, d.met, list(d.pauses)) for d in walk]


@st.composite
def histories(draw):
    """A legal path through the workflow from received (register first, as every path
    does), with the day each state was entered, and a later today."""
    states = [S.RECEIVED]
    for _ in range(draw(st.integers(0, 8))):
        moves = sorted(name for name, t in TRANSITIONS.items()
                       if states[-1] in t.sources and (len(states) > 1 or name == "register"))
        if not moves:
            break
        states.append(TRANSITIONS[draw(st.sampled_from(moves))].target)
    day = draw(st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
    dates = [day]
    for _ in states[1:]:
        dates.append(dates[-1] + dt.timedelta(days=draw(st.integers(0, 40))))
    today = dates[-1] + dt.timedelta(days=draw(st.integers(0, 400)))
    return [str(s) for s in states], dates, today


@settings(max_examples=300, deadline=None)
@given(histories(), st.sampled_from(PROCEDURES), st.sampled_from(BOOKS))
def test_the_walk_is_the_demo_generators(history, procedure, book):
    states, dates, today = history
    assert as_tuples(deadlines_walk(book, procedure, states, dates, today=today)) == \
        generator_walk(book, procedure, states, dates, today)


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)), st.sampled_from(PROCEDURES),
       st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)))
def test_the_walk_at_registration_is_the_bulk_imports(day, procedure, today):
    walk = deadlines_walk(BOOK, procedure, [S.RECEIVED, S.REGISTERED], [day, day],
                          today=today)
    assert [t[:5] for t in as_tuples(walk)] == import_walk(BOOK, procedure, day)
    assert all(not d.pauses for d in walk)


def test_a_case_awaiting_information_has_its_pausable_deadlines_paused():
    book = PausableBook(BOOK)
    day = dt.date(2026, 3, 2)
    states = [str(s) for s in (S.RECEIVED, S.REGISTERED, S.IN_REVIEW, S.AWAITING_INFORMATION,
                               S.IN_REVIEW, S.AWAITING_INFORMATION)]
    dates = [day, day, day + dt.timedelta(days=1), day + dt.timedelta(days=3),
             day + dt.timedelta(days=10), day + dt.timedelta(days=12)]
    today = day + dt.timedelta(days=20)
    walk = deadlines_walk(book, "appeal_59fz", states, dates, today=today)
    assert as_tuples(walk) == generator_walk(book, "appeal_59fz", states, dates, today)
    still_open = [d for d in walk if d.closed_on is None]
    assert still_open
    for deadline in still_open:
        assert deadline.pauses == ((dates[3], dates[4]), (dates[5], None))
    unpaused = {d.rule: d.due_on for d in deadlines_walk(BOOK, "appeal_59fz", states, dates,
                                                          today=today)}
    assert all(d.due_on > unpaused[d.rule] for d in still_open)
