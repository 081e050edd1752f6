"""Due dates, extensions, pauses, filing limits and statuses from the real rulebook.

Every expected date below was worked out by hand: the period runs from the day after the
anchor (Civil Code art. 191), months and years end on the same date or the month's last
day (art. 192), and a due date on a non-working day moves to the next working day
(art. 193) only when the rule says roll_forward. The office's own terms (every rule of
2026.1) do not: see roll_forward_basis in rulebook/2026.1/deadlines.yaml. Non-working days
are those of the production calendar (see test_calendar.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedesk.deadlines.rules import (
    DeadlineStatus,
    ExtensionRefused,
    add_period,
    check_extension,
    days_left,
    due_date,
    filing_limit_date,
    paused_length,
    status,
)
from casedesk.rulebook.schema import Period


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
PROPERTY = settings(max_examples=200, deadline=None)


# --- the real rules are what the tables assume ----------------------------------------------

@pytest.mark.parametrize(
    ("code", "days", "max_extension"),
    [
        ("registration", 3, 0),       # 59-FZ art. 8 part 2: register within 3 days
        ("forwarding", 7, 0),         # 59-FZ art. 8 part 3: forward within 7 days
        ("answer", 30, 30),           # 59-FZ art. 12 part 1: 30 days; part 2: +30 at most
        ("acceptance_notice", 10, 0),  # 1-FKZ art. 20 part 2: tell within 10 days
    ],
)
def test_real_rules(book, code, days, max_extension):
    rule = book.rules[code]
    assert rule.period == Period(days=days)
    assert rule.counting == "calendar"
    # An office-own term: not moved off a non-working day (deadlines.yaml, roll_forward_basis).
    assert rule.roll_forward is False
    assert rule.roll_forward_citation is None
    assert rule.pausable is False
    assert rule.max_extension_days == max_extension


def test_real_filing_limit_and_due_soon(book):
    # 1-FKZ art. 17: a complaint within one year of the violation or of learning of it.
    assert book.filing_limits["commissioner_complaint"].period == Period(years=1)
    assert book.due_soon_days == 3


def test_roll_forward_basis_is_in_the_rulebook(book):
    # The reasoning for the default lives in the rulebook, cited, and flagged for a lawyer.
    basis = book.roll_forward_basis
    assert "ст. 193" in basis.citation and "59-ФЗ" in basis.citation
    assert basis.verify is True


def test_a_rule_that_rolls_forward_must_cite_the_law(make_rule):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="roll_forward_citation"):
        make_rule(days=5, roll_forward=True, roll_forward_citation=None)
    with pytest.raises(ValidationError, match="roll_forward is false"):
        make_rule(days=5, roll_forward=False, roll_forward_citation="ГК РФ, ст. 193")


# --- due dates of the real rules: the last calendar day, working or not ---------------------

OFFICE_OWN_DUE = [
    # answer -- 59-FZ art. 12 part 1: 30 days from registration, and no more.
    ("answer", "2026-12-15", "2027-01-14"),  # the 30th day (a working Thursday)
    ("answer", "2026-12-02", "2027-01-01"),  # the 30th day is New Year's Day: stays
    ("answer", "2026-12-05", "2027-01-04"),  # inside the New Year break: stays (not Jan 11)
    ("answer", "2026-12-09", "2027-01-08"),  # the last holiday: stays (not Jan 11)
    ("answer", "2026-12-01", "2026-12-31"),  # Dec 31 2026 (decree day off): stays
    ("answer", "2025-12-02", "2026-01-01"),  # New Year 2026: stays (not Jan 12)
    ("answer", "2026-04-01", "2026-05-01"),  # May 1: stays
    ("answer", "2026-01-01", "2026-01-31"),  # a Saturday: stays
    # forwarding -- 59-FZ art. 8 part 3: 7 days from registration, over the New Year
    ("forwarding", "2026-12-28", "2027-01-04"),  # stays on Jan 4 2027 (not Jan 11)
    ("forwarding", "2026-12-24", "2026-12-31"),  # Dec 31 2026 (decree day off): stays
    ("forwarding", "2025-12-30", "2026-01-06"),  # New Year 2026: stays (not Jan 12)
    # registration -- 59-FZ art. 8 part 2: 3 days from receipt
    ("registration", "2026-12-29", "2027-01-01"),  # stays on Jan 1 2027
    ("registration", "2026-02-04", "2026-02-07"),  # a Saturday: stays
    # acceptance_notice -- 1-FKZ art. 20: 10 days
    ("acceptance_notice", "2026-12-21", "2026-12-31"),  # stays on Dec 31 2026
]


@pytest.mark.parametrize(("code", "start", "expected"), OFFICE_OWN_DUE)
def test_office_own_terms_end_on_their_last_day_even_a_day_off(book, ru, code, start, expected):
    rule = book.rules[code]
    due = due_date(rule, start=d(start), calendar=ru)
    assert due == d(expected)
    assert (due - d(start)).days == rule.period.days


def test_thirty_day_answer_over_the_new_year_is_thirty_days(book, ru):
    # The case: a 30-day term must not become 35-41 days over the New Year.
    for start in (d("2026-12-01") + dt.timedelta(days=n) for n in range(31)):
        assert (due_date(book.rules["answer"], start=start, calendar=ru) - start).days == 30


# --- due dates with roll_forward on (a rule a law tells to roll, Civil Code art. 193) -------
# The same periods as the real rules, copied with roll_forward switched on: the mechanism a
# rule gets when a law applies the move to it.

ROLLED_DUE = [
    # registration -- 59-FZ art. 8 part 2: 3 days from receipt
    ("registration", "2026-02-02", "2026-02-05"),  # Mon -> Thu, ordinary
    ("registration", "2026-02-04", "2026-02-09"),  # -> Sat Feb 7, rolled to Mon
    ("registration", "2026-02-20", "2026-02-24"),  # -> Mon Feb 23 (holiday), rolled to Tue
    ("registration", "2026-01-29", "2026-02-02"),  # across Jan 31 -> Sun Feb 1 -> Mon
    ("registration", "2026-01-30", "2026-02-02"),  # -> Mon Feb 2
    ("registration", "2026-02-26", "2026-03-02"),  # across Feb 28 (non-leap) -> Sun Mar 1
    ("registration", "2028-02-26", "2028-02-29"),  # leap year: Tue Feb 29 2028
    ("registration", "2028-02-27", "2028-03-01"),  # leap year: Feb 28, 29, Mar 1
    ("registration", "2026-04-28", "2026-05-04"),  # across Apr 30 -> May 1 + weekend
    ("registration", "2025-04-28", "2025-05-05"),  # -> May 1, May 2 (decree), weekend
    ("registration", "2025-10-29", "2025-11-01"),  # the worked Saturday 2025-11-01
    ("registration", "2025-10-30", "2025-11-05"),  # Sun Nov 2, Nov 3 (decree), Nov 4
    ("registration", "2025-12-28", "2026-01-12"),  # -> Dec 31 (decree) + New Year break
    ("registration", "2025-12-29", "2026-01-12"),  # -> Jan 1, inside the New Year break
    ("registration", "2026-12-28", "2027-01-11"),  # -> Dec 31 2026 + New Year 2027
    ("registration", "2026-12-29", "2027-01-11"),  # -> Jan 1 2027
    # forwarding -- 59-FZ art. 8 part 3: 7 days from registration
    ("forwarding", "2026-03-03", "2026-03-10"),  # Tue -> Tue, ordinary
    ("forwarding", "2026-03-02", "2026-03-10"),  # -> Mon Mar 9 (moved Women's Day)
    ("forwarding", "2026-01-24", "2026-02-02"),  # -> Sat Jan 31 (month end) -> Mon
    ("forwarding", "2026-02-21", "2026-03-02"),  # -> Sat Feb 28 (non-leap end) -> Mon
    ("forwarding", "2025-02-21", "2025-02-28"),  # -> Fri Feb 28 2025, a working day
    ("forwarding", "2028-02-22", "2028-02-29"),  # leap day 2028 is a Tuesday
    ("forwarding", "2026-04-23", "2026-04-30"),  # -> Thu Apr 30
    ("forwarding", "2026-05-04", "2026-05-12"),  # -> Mon May 11 (moved Victory Day)
    ("forwarding", "2026-01-01", "2026-01-12"),  # -> Jan 8, inside the New Year break
    ("forwarding", "2025-12-24", "2026-01-12"),  # -> Dec 31 2025 (decree)
    ("forwarding", "2026-12-24", "2027-01-11"),  # -> Dec 31 2026 (decree)
    # answer -- 59-FZ art. 12 part 1: 30 days from registration
    ("answer", "2026-02-02", "2026-03-04"),  # 26 days of Feb + 4 -> Wed Mar 4
    ("answer", "2028-02-02", "2028-03-03"),  # leap: 27 days of Feb + 3 -> Fri Mar 3
    ("answer", "2026-01-12", "2026-02-11"),  # Mon -> Wed, ordinary
    ("answer", "2026-01-01", "2026-02-02"),  # -> Sat Jan 31 -> Mon Feb 2
    ("answer", "2026-01-29", "2026-03-02"),  # -> Sat Feb 28 (non-leap) -> Mon Mar 2
    ("answer", "2028-01-30", "2028-02-29"),  # -> Tue Feb 29 2028
    ("answer", "2026-03-31", "2026-04-30"),  # -> Thu Apr 30
    ("answer", "2026-04-01", "2026-05-04"),  # -> Fri May 1 (holiday) + weekend
    ("answer", "2026-05-12", "2026-06-11"),  # -> Thu Jun 11
    ("answer", "2026-05-13", "2026-06-15"),  # -> Fri Jun 12 (Russia Day) + weekend
    ("answer", "2025-10-02", "2025-11-01"),  # -> the worked Saturday 2025-11-01
    ("answer", "2025-12-01", "2026-01-12"),  # -> Dec 31 2025 (decree)
    ("answer", "2025-12-02", "2026-01-12"),  # -> Jan 1 2026
    ("answer", "2025-12-10", "2026-01-12"),  # -> Fri Jan 9 2026 (decree)
    ("answer", "2025-12-13", "2026-01-12"),  # -> Mon Jan 12, the first working day
    ("answer", "2026-12-01", "2027-01-11"),  # -> Dec 31 2026 (decree)
    ("answer", "2026-12-09", "2027-01-11"),  # -> Fri Jan 8 2027
    # acceptance_notice -- 1-FKZ art. 20 part 2: 10 days
    ("acceptance_notice", "2026-02-02", "2026-02-12"),  # Mon -> Thu, ordinary
    ("acceptance_notice", "2026-02-13", "2026-02-24"),  # -> Mon Feb 23 (holiday)
    ("acceptance_notice", "2026-02-19", "2026-03-02"),  # across Feb 28 -> Sun Mar 1
    ("acceptance_notice", "2028-02-19", "2028-02-29"),  # leap day 2028
    ("acceptance_notice", "2026-04-20", "2026-04-30"),  # -> Thu Apr 30
    ("acceptance_notice", "2026-04-21", "2026-05-04"),  # -> Fri May 1 + weekend
    ("acceptance_notice", "2025-12-22", "2026-01-12"),  # -> Jan 1 2026
    ("acceptance_notice", "2025-12-30", "2026-01-12"),  # -> Fri Jan 9 2026 (decree)
    ("acceptance_notice", "2026-01-02", "2026-01-12"),  # -> Mon Jan 12, working
    ("acceptance_notice", "2026-12-21", "2027-01-11"),  # -> Dec 31 2026 (decree)
]


def rolled(rule):
    return rule.model_copy(update={"roll_forward": True, "roll_forward_citation": "ГК РФ, ст. 193"})


@pytest.mark.parametrize(("code", "start", "expected"), ROLLED_DUE)
def test_due_date_rolled_forward(book, ru, code, start, expected):
    assert due_date(rolled(book.rules[code]), start=d(start), calendar=ru) == d(expected)


def test_a_rule_that_rolls_forward_moves_to_the_next_working_day(ru, make_rule):
    # A 30-day rule a law tells to roll: Dec 5 2026 + 30 = Mon Jan 4 2027, inside the New
    # Year break (Jan 1-10) -> Mon Jan 11, the first working day.
    rule = make_rule(days=30, roll_forward=True, roll_forward_citation="ГК РФ, ст. 193")
    assert due_date(rule, start=d("2026-12-05"), calendar=ru) == d("2027-01-11")
    # and 7 days from Mon Dec 28 2026 -> Mon Jan 4 2027 -> Mon Jan 11
    rule = make_rule(days=7, roll_forward=True, roll_forward_citation="ГК РФ, ст. 193")
    assert due_date(rule, start=d("2026-12-28"), calendar=ru) == d("2027-01-11")


# The real rules as they stand (roll_forward false): the raw calendar date, holiday or not.
NO_ROLL_DUE = [
    ("registration", "2026-02-02", "2026-02-05"),       # 59-FZ art. 8 p. 2: ordinary
    ("registration", "2026-02-04", "2026-02-07"),       # stays on Saturday
    ("registration", "2025-12-29", "2026-01-01"),       # stays on Jan 1
    ("registration", "2028-02-26", "2028-02-29"),       # leap day
    ("forwarding", "2026-03-02", "2026-03-09"),         # 59-FZ art. 8 p. 3: moved holiday
    ("forwarding", "2025-12-24", "2025-12-31"),         # Dec 31 (decree)
    ("answer", "2026-01-01", "2026-01-31"),             # 59-FZ art. 12 p. 1: Sat Jan 31
    ("answer", "2026-01-29", "2026-02-28"),             # Sat Feb 28
    ("answer", "2025-12-10", "2026-01-09"),             # Fri Jan 9 (decree)
    ("answer", "2026-12-09", "2027-01-08"),             # inside New Year 2027
    ("acceptance_notice", "2026-02-13", "2026-02-23"),  # 1-FKZ art. 20 p. 2: Feb 23
    ("acceptance_notice", "2026-04-21", "2026-05-01"),  # May 1
]


@pytest.mark.parametrize(("code", "start", "expected"), NO_ROLL_DUE)
def test_due_date_without_roll_forward(book, ru, code, start, expected):
    rule = book.rules[code]
    assert due_date(rule, start=d(start), calendar=ru) == d(expected)


def test_answer_due_on_a_transferred_working_saturday(book, ru):
    # 59-FZ art. 12 part 1: registered Thu 2027-01-21 + 30 days = Sat 2027-02-20, a working
    # day under the 2027 transfer decree, so no move under Civil Code art. 193 (before the
    # calendar read the package's weekend_workdays this gave Wed Feb 24).
    assert due_date(book.rules["answer"], start=d("2027-01-21"), calendar=ru) == d("2027-02-20")


def test_due_date_on_a_plain_calendar(book, plain):
    # 59-FZ art. 12 part 1 without public holidays: Jan 1 2026 + 30 = Sat Jan 31 stays (the
    # rule does not roll forward; with roll_forward it moves to Mon Feb 2); Dec 2 2025 + 30
    # = Thu Jan 1 2026 stays (not a holiday without a country).
    assert due_date(book.rules["answer"], start=d("2026-01-01"), calendar=plain) == d("2026-01-31")
    assert due_date(rolled(book.rules["answer"]), start=d("2026-01-01"),
                    calendar=plain) == d("2026-02-02")
    assert due_date(book.rules["answer"], start=d("2025-12-02"), calendar=plain) == d("2026-01-01")


# --- months-based periods -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("months", "start", "roll", "expected"),
    [
        # Civil Code art. 192 part 3: same date, or the month's last day
        (1, "2025-01-31", False, "2025-02-28"),
        (1, "2028-01-31", False, "2028-02-29"),
        (1, "2025-03-31", False, "2025-04-30"),
        # ... then art. 193: Sat Feb 28 2026 -> Mon Mar 2; Sat Jan 31 2026 -> Mon Feb 2
        (1, "2026-01-31", True, "2026-03-02"),
        (1, "2025-12-31", True, "2026-02-02"),
        (1, "2025-12-01", True, "2026-01-12"),  # -> Jan 1 2026 -> first working day
        (3, "2025-11-30", True, "2026-03-02"),  # -> Sat Feb 28 2026 -> Mon Mar 2
    ],
)
def test_due_date_in_months(ru, make_rule, months, start, roll, expected):
    rule = make_rule(months=months, roll_forward=roll)
    assert due_date(rule, start=d(start), calendar=ru) == d(expected)


# --- extensions -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("already", "requested", "total"),
    [
        (0, 1, 1),     # 59-FZ art. 12 part 2: "not more than 30 days"
        (0, 15, 15),
        (0, 30, 30),   # the whole 30 days at once
        (15, 15, 30),  # a second extension up to the limit
        (10, 20, 30),
        (1, 1, 2),
    ],
)
def test_check_extension_allowed(book, already, requested, total):
    assert check_extension(book.rules["answer"], already=already, requested=requested) == total


@pytest.mark.parametrize(
    ("already", "requested", "message"),
    [
        (0, 31, "at most 30 days"),      # 59-FZ art. 12 part 2: one day too many
        (15, 16, "at most 30 days"),     # a second extension past 30 in all
        (30, 1, "at most 30 days"),      # the limit is used up
        (0, 0, "at least one day"),      # nothing to extend
        (0, -5, "at least one day"),     # negative
        (10, -1, "at least one day"),
    ],
)
def test_check_extension_refused(book, already, requested, message):
    with pytest.raises(ExtensionRefused, match=message):
        check_extension(book.rules["answer"], already=already, requested=requested)


@pytest.mark.parametrize("code", ["registration", "forwarding", "acceptance_notice"])
def test_check_extension_refused_when_the_rule_allows_none(book, code):
    # Only the answer (59-FZ art. 12 part 2) can be extended; max_extension_days is 0 here.
    with pytest.raises(ExtensionRefused, match="cannot be extended"):
        check_extension(book.rules[code], already=0, requested=1)


def test_check_extension_refused_for_a_synthetic_rule_with_no_extension(make_rule):
    with pytest.raises(ExtensionRefused, match="cannot be extended"):
        check_extension(make_rule(days=10, max_extension_days=0), already=0, requested=30)


@pytest.mark.parametrize(
    ("start", "extension", "expected"),
    [
        # 59-FZ art. 12 parts 1 and 2: 30 days + the extension, on the last day itself
        # (roll_forward false: the rows that rolled to a working day changed).
        ("2026-02-02", 0, "2026-03-04"),   # no extension: Wed Mar 4
        ("2026-02-02", 1, "2026-03-05"),   # Thu
        ("2026-02-02", 15, "2026-03-19"),  # Thu
        ("2026-02-02", 30, "2026-04-03"),  # Fri: 60 days in all
        ("2026-04-01", 10, "2026-05-11"),  # May 1 + 10 = Mon May 11 (moved holiday): stays
        ("2025-12-02", 30, "2026-01-31"),  # Jan 1 + 30 = Sat Jan 31: stays
        ("2026-01-01", 1, "2026-02-01"),   # Sun Feb 1: stays
        ("2026-01-01", 2, "2026-02-02"),   # Mon Feb 2
        ("2026-01-01", 3, "2026-02-03"),   # Tue Feb 3
    ],
)
def test_due_date_with_extension(book, ru, start, extension, expected):
    rule = book.rules["answer"]
    assert due_date(rule, start=d(start), calendar=ru, extension_days=extension) == d(expected)


def test_due_date_refuses_a_negative_extension(book, ru):
    with pytest.raises(ExtensionRefused, match="cannot be negative"):
        due_date(book.rules["answer"], start=d("2026-02-02"), calendar=ru, extension_days=-1)


# --- pauses ---------------------------------------------------------------------------------

@pytest.fixture
def pausable(make_rule):
    # Synthetic: 30 calendar days that stop while the office awaits information.
    return make_rule(days=30, pausable=True, max_extension_days=30)


@pytest.fixture
def pausable_working(make_rule):
    # Synthetic: 10 working days that stop while the office awaits information.
    return make_rule(days=10, counting="working", pausable=True)


def test_a_pausable_rule_must_be_active_while_awaiting_information(make_rule):
    with pytest.raises(ValueError, match="awaiting_information"):
        make_rule(days=30, pausable=True, active_in=["registered", "in_review"])


def test_a_rule_that_is_not_pausable_ignores_pauses(book, ru):
    # 59-FZ does not stop the clock: registered Feb 2, due Wed Mar 4 whatever the pauses.
    rule = book.rules["answer"]
    pauses = [(d("2026-02-10"), d("2026-02-20")), (d("2026-02-25"), None)]
    assert paused_length(rule, pauses, ru, d("2026-03-01")) == 0
    assert due_date(rule, start=d("2026-02-02"), calendar=ru, pauses=pauses,
                    today=d("2026-03-01")) == d("2026-03-04")


PAUSES_CALENDAR = [
    # (pauses, today, paused days, due date); start Mon 2026-02-02, 30 days -> Wed Mar 4
    ([], "2026-02-20", 0, "2026-03-04"),
    ([("2026-02-10", "2026-02-20")], "2026-03-01", 10, "2026-03-16"),  # Sat Mar 14 -> Mon
    ([("2026-02-10", "2026-02-15")], "2026-03-01", 5, "2026-03-10"),   # Mon Mar 9 is off
    ([("2026-02-10", "2026-02-17")], "2026-03-01", 7, "2026-03-11"),   # Wed
    ([("2026-02-10", None)], "2026-02-20", 10, "2026-03-16"),          # open, up to today
    ([("2026-02-10", None)], "2026-02-10", 0, "2026-03-04"),           # opened today
    ([("2026-02-10", None)], "2026-02-05", 0, "2026-03-04"),           # today before it
    ([("2026-02-10", "2026-02-10")], "2026-03-01", 0, "2026-03-04"),   # zero length
    ([("2026-02-20", "2026-02-10")], "2026-03-01", 0, "2026-03-04"),   # inverted
    # several pauses add up: 2 + 3 + 2 (open, to Feb 22) = 7 -> Wed Mar 11
    ([("2026-02-05", "2026-02-07"), ("2026-02-10", "2026-02-13"), ("2026-02-20", None)],
     "2026-02-22", 7, "2026-03-11"),
    # a zero-length and an inverted pause next to a real one add nothing
    ([("2026-02-05", "2026-02-05"), ("2026-02-10", "2026-02-17"), ("2026-02-19", "2026-02-18")],
     "2026-03-01", 7, "2026-03-11"),
]


def _pauses(rows):
    return [(d(a), d(b) if b else None) for a, b in rows]


@pytest.mark.parametrize(("pauses", "today", "length", "expected"), PAUSES_CALENDAR)
def test_pauses_push_a_calendar_rule(ru, pausable, pauses, today, length, expected):
    pauses = _pauses(pauses)
    assert paused_length(pausable, pauses, ru, d(today)) == length
    got = due_date(pausable, start=d("2026-02-02"), calendar=ru, pauses=pauses, today=d(today))
    assert got == d(expected)


def test_pauses_and_extension_add_up(ru, pausable):
    # 30 days + 5 extension + 2 paused = 37 days from Feb 2 -> Wed Mar 11
    got = due_date(pausable, start=d("2026-02-02"), calendar=ru, extension_days=5,
                   pauses=[(d("2026-02-10"), d("2026-02-12"))], today=d("2026-03-01"))
    assert got == d("2026-03-11")


def test_an_open_pause_without_today_runs_to_the_start(ru, pausable):
    # Current behaviour (doubtful): due_date uses ``today or start``, so an open pause that
    # began after the start is silently ignored when the caller gives no ``today``.
    pauses = [(d("2026-02-10"), None)]
    assert due_date(pausable, start=d("2026-02-02"), calendar=ru, pauses=pauses) == d("2026-03-04")


PAUSES_WORKING = [
    # (pauses, today, paused working days, due date); start Mon 2026-02-02,
    # 10 working days -> Mon Feb 16
    ([], "2026-02-20", 0, "2026-02-16"),
    ([("2026-02-06", "2026-02-09")], "2026-03-01", 1, "2026-02-17"),  # (Fri, Mon]: Monday
    ([("2026-02-06", "2026-02-08")], "2026-03-01", 0, "2026-02-16"),  # only the weekend
    ([("2026-02-09", "2026-02-13")], "2026-03-01", 4, "2026-02-20"),  # Tue-Fri
    ([("2026-02-20", "2026-02-24")], "2026-03-01", 1, "2026-02-17"),  # Feb 23 is a holiday
    ([("2026-02-09", None)], "2026-02-16", 5, "2026-02-24"),          # open; Feb 23 skipped
    ([("2026-02-09", "2026-02-09")], "2026-03-01", 0, "2026-02-16"),  # zero length
    ([("2026-02-13", "2026-02-09")], "2026-03-01", 0, "2026-02-16"),  # inverted
    ([("2026-02-03", "2026-02-04"), ("2026-02-06", "2026-02-09")], "2026-03-01", 2,
     "2026-02-18"),                                                   # 1 + 1
]


@pytest.mark.parametrize(("pauses", "today", "length", "expected"), PAUSES_WORKING)
def test_pauses_push_a_working_day_rule(ru, pausable_working, pauses, today, length, expected):
    pauses = _pauses(pauses)
    assert paused_length(pausable_working, pauses, ru, d(today)) == length
    got = due_date(pausable_working, start=d("2026-02-02"), calendar=ru, pauses=pauses,
                   today=d(today))
    assert got == d(expected)


def test_a_working_day_pause_over_the_new_year_counts_one_day(ru, pausable_working):
    # (Tue Dec 30 2025, Mon Jan 12 2026]: Dec 31 and Jan 1-11 are off; only Jan 12 counts.
    pauses = [(d("2025-12-30"), d("2026-01-12"))]
    assert paused_length(pausable_working, pauses, ru, d("2026-02-01")) == 1


# --- working-day counting -------------------------------------------------------------------

WORKING_DUE = [
    # (days, start, due); synthetic rule counting working days only
    (5, "2026-02-02", "2026-02-09"),   # Feb 3, 4, 5, 6, 9: across one weekend
    (5, "2026-02-06", "2026-02-13"),   # from a Friday: the next week
    (5, "2026-02-18", "2026-02-26"),   # Feb 19, 20, 24, 25, 26: weekend + Feb 23
    (5, "2025-12-26", "2026-01-14"),   # Dec 29, 30, Jan 12, 13, 14: the New Year break
    (5, "2025-12-31", "2026-01-16"),   # from a day off: Jan 12-16
    (5, "2026-01-01", "2026-01-16"),   # from inside the New Year break
    (5, "2025-10-30", "2025-11-07"),   # Oct 31, Sat Nov 1 (worked), Nov 5, 6, 7
    (5, "2025-04-30", "2025-05-13"),   # May 5, 6, 7, 12, 13 (May 1, 2, 8, 9 off)
    (5, "2026-12-28", "2027-01-13"),   # Dec 29, 30, Jan 11, 12, 13 (2027)
    (10, "2026-02-02", "2026-02-16"),  # two ordinary weeks
    (10, "2025-12-24", "2026-01-19"),  # Dec 25, 26, 29, 30, Jan 12-16, 19
    (10, "2026-04-24", "2026-05-12"),  # Apr 27-30, May 4-8, 12 (May 1, 11 off)
    (10, "2026-06-05", "2026-06-22"),  # Jun 8-11, 15-19, 22 (Jun 12 off)
]


@pytest.mark.parametrize("roll", [True, False])
@pytest.mark.parametrize(("days", "start", "expected"), WORKING_DUE)
def test_due_date_in_working_days(ru, make_rule, days, start, expected, roll):
    # A working-day result is a working day already: roll_forward changes nothing.
    rule = make_rule(days=days, counting="working", roll_forward=roll)
    assert due_date(rule, start=d(start), calendar=ru) == d(expected)


def test_working_days_on_a_plain_calendar(plain, make_rule):
    # Without holidays: Jan 2, 5-9, 12-15 2026 -> Thu Jan 15.
    rule = make_rule(days=10, counting="working")
    assert due_date(rule, start=d("2026-01-01"), calendar=plain) == d("2026-01-15")


def test_working_day_extension_counts_working_days(ru, make_rule):
    # 5 + 2 working days from Mon Feb 2: Feb 3-6, 9, 10, 11 -> Wed Feb 11
    rule = make_rule(days=5, counting="working", max_extension_days=5)
    assert due_date(rule, start=d("2026-02-02"), calendar=ru, extension_days=2) == d("2026-02-11")


def test_working_days_only_in_days(make_rule):
    with pytest.raises(ValueError, match="days only"):
        make_rule(months=1, counting="working")


# --- filing limit (1-FKZ art. 17) -----------------------------------------------------------

@pytest.mark.parametrize(
    ("known_on", "expected"),
    [
        # 1-FKZ art. 17 + Civil Code art. 192 part 1: the same date a year later ...
        ("2025-03-31", "2026-03-31"),
        ("2025-06-15", "2026-06-15"),
        ("2025-12-31", "2026-12-31"),  # a day off, but the limit is not moved
        ("2025-01-01", "2026-01-01"),  # a holiday, not moved
        ("2025-02-28", "2026-02-28"),  # a Saturday, not moved
        ("2027-02-28", "2028-02-28"),  # not Feb 29 in the leap year
        # ... or the last day of the month when there is no such date
        ("2024-02-29", "2025-02-28"),
        ("2028-02-29", "2029-02-28"),
    ],
)
def test_filing_limit_one_year(book, known_on, expected):
    period = book.filing_limits["commissioner_complaint"].period
    assert filing_limit_date(period, known_on=d(known_on)) == d(expected)


@pytest.mark.parametrize(
    ("period", "start", "expected"),
    [
        # Civil Code art. 192 part 3: months end on the same date or the month's last day
        (Period(months=1), "2025-01-31", "2025-02-28"),
        (Period(months=1), "2028-01-31", "2028-02-29"),
        (Period(months=1), "2024-01-31", "2024-02-29"),
        (Period(months=1), "2025-03-31", "2025-04-30"),
        (Period(months=3), "2025-11-30", "2026-02-28"),
        (Period(months=6), "2025-08-31", "2026-02-28"),
        # years and months first, then days
        (Period(months=1, days=1), "2025-01-31", "2025-03-01"),
        (Period(years=1, months=1), "2024-01-31", "2025-02-28"),
        (Period(years=1, days=1), "2024-02-29", "2025-03-01"),
        (Period(days=30), "2026-02-02", "2026-03-04"),
    ],
)
def test_add_period_and_months_based_filing_limits(period, start, expected):
    assert add_period(d(start), period) == d(expected)
    assert filing_limit_date(period, known_on=d(start)) == d(expected)


# --- status and days_left -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("due", "today", "left", "expected"),
    [
        # rulebook 2026.1: due_soon_days 3
        ("2026-03-04", "2026-04-04", -31, DeadlineStatus.OVERDUE),
        ("2026-03-04", "2026-03-05", -1, DeadlineStatus.OVERDUE),   # the day after due
        ("2026-03-04", "2026-03-04", 0, DeadlineStatus.DUE_SOON),   # the due day itself
        ("2026-03-04", "2026-03-03", 1, DeadlineStatus.DUE_SOON),
        ("2026-03-04", "2026-03-01", 3, DeadlineStatus.DUE_SOON),   # exactly due_soon_days
        ("2026-03-04", "2026-02-28", 4, DeadlineStatus.OK),         # one day beyond
        ("2026-03-04", "2026-02-01", 31, DeadlineStatus.OK),
        ("2026-01-12", "2025-12-31", 12, DeadlineStatus.OK),        # across the year end
        ("2028-03-01", "2028-02-28", 2, DeadlineStatus.DUE_SOON),   # across Feb 29 2028
        ("2026-03-01", "2026-02-26", 3, DeadlineStatus.DUE_SOON),   # across Feb 28 2026
    ],
)
def test_status_and_days_left(book, due, today, left, expected):
    assert days_left(d(due), d(today)) == left
    got = status(d(due), d(today), due_soon_days=book.due_soon_days)
    assert got is expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-03-05", DeadlineStatus.OVERDUE),
        ("2026-03-04", DeadlineStatus.DUE_SOON),  # the due day is always due soon
        ("2026-03-03", DeadlineStatus.OK),
    ],
)
def test_status_with_no_warning_days(today, expected):
    assert status(d("2026-03-04"), d(today), due_soon_days=0) is expected


def test_status_values_match_the_stored_flags():
    # casedesk.cases stores str(status(...)) in DeadlineFlag.
    assert [str(s) for s in DeadlineStatus] == ["ok", "due_soon", "overdue"]


# --- properties -----------------------------------------------------------------------------

def _rule(book, data):
    return data.draw(st.sampled_from(sorted(book.rules)).map(book.rules.__getitem__), "rule")


@PROPERTY
@given(data=st.data(), start=DATES)
def test_due_date_is_never_before_the_period(book, ru, data, start):
    rule = _rule(book, data)
    due = due_date(rule, start=start, calendar=ru)
    assert due >= start + dt.timedelta(days=rule.period.days)
    assert due >= add_period(start, rule.period)
    if rule.roll_forward:
        assert ru.is_working(due)
        # ... and it is the first working day on or after the raw date
        assert due == ru.next_working(add_period(start, rule.period))
    else:
        assert due == add_period(start, rule.period)


@PROPERTY
@given(data=st.data(), start=DATES, later=st.integers(min_value=0, max_value=400))
def test_due_date_is_monotonic_in_start(book, ru, data, start, later):
    rule = _rule(book, data)
    second = start + dt.timedelta(days=later)
    assert due_date(rule, start=start, calendar=ru) <= due_date(rule, start=second, calendar=ru)


@PROPERTY
@given(data=st.data(), start=DATES, n=st.integers(min_value=0, max_value=365))
def test_an_extension_never_brings_the_due_date_forward(book, ru, data, start, n):
    rule = _rule(book, data)
    plain_due = due_date(rule, start=start, calendar=ru)
    extended = due_date(rule, start=start, calendar=ru, extension_days=n)
    assert extended >= plain_due
    assert extended >= add_period(start, rule.period) + dt.timedelta(days=n)


@PROPERTY
@given(start=DATES, days=st.integers(min_value=1, max_value=60),
       extension=st.integers(min_value=0, max_value=30))
def test_working_day_rules_end_on_a_working_day(ru, make_rule, start, days, extension):
    rule = make_rule(days=days, counting="working", roll_forward=False)
    due = due_date(rule, start=start, calendar=ru, extension_days=extension)
    assert ru.is_working(due)
    assert ru.working_days_between(start, due) == days + extension


@PROPERTY
@given(start=DATES, gaps=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)),
                                  max_size=4))
def test_disjoint_pauses_push_by_their_total_length(ru, make_rule, start, gaps):
    # Disjoint closed pauses after the start, as casedesk.cases records them.
    pausable = make_rule(days=30, pausable=True)
    pauses, cursor = [], start
    for gap, length in gaps:
        begin = cursor + dt.timedelta(days=gap)
        cursor = begin + dt.timedelta(days=length)
        pauses.append((begin, cursor))
    total = sum(length for _, length in gaps)
    assert paused_length(pausable, pauses, ru, cursor) == total
    due = due_date(pausable, start=start, calendar=ru, pauses=pauses, today=cursor)
    assert due == ru.next_working(start + dt.timedelta(days=30 + total))


def test_overlapping_pauses_count_once(ru, pausable):
    # (03-01..03-10) and (03-05..03-15) stop the clock for 14 days, not 19.
    pauses = [(d("2026-03-01"), d("2026-03-10")), (d("2026-03-05"), d("2026-03-15"))]
    assert paused_length(pausable, pauses, ru, d("2026-04-01")) == 14


def test_a_pause_is_clipped_to_the_start_of_the_period(ru, pausable):
    # Only the days after the start (02-02) count: 02-02..02-05 = 3 days.
    pauses = [(d("2026-01-20"), d("2026-02-05"))]
    assert paused_length(pausable, pauses, ru, d("2026-04-01"), d("2026-02-02")) == 3
    # Registered Mon 02-02, 30 + 3 days = Sat 03-07, then the 8th (holiday) and the 9th
    # (holiday observed) -> Tue 03-10.
    assert due_date(pausable, start=d("2026-02-02"), calendar=ru, pauses=pauses,
                    today=d("2026-04-01")) == d("2026-03-10")
