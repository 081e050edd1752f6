"""deadlines_walk: the one walk over a case's states that the demo data and the bulk import
share. It must give what each of them computed on its own before it existed (the two
copies are kept, frozen, in walk_oracle.py as the reference), for any path through the
workflow."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk import rulebook
from casedesk.cases.deadline_sync import deadlines_walk
from casedesk.cases.tests.walk_oracle import generator_walk, import_walk
from casedesk.cases.workflow import TRANSITIONS
from casedesk.core.states import CaseState as S

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
