"""Working and non-working days of a jurisdiction."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import holidays as _holidays

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: weekends, public holidays, and decreed transfers."""

    weekend: frozenset[int] = frozenset({5, 6})
    country: str | None = None
    subdivision: str | None = None
    extra_non_working_days: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    _public: _holidays.HolidayBase | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.country and self._public is None:
            object.__setattr__(
                self, "_public", _holidays.country_holidays(self.country, subdiv=self.subdivision)
            )

    def is_working(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_non_working_days:
            return False
        if self._public is not None:
            if day in self._public:  # a public holiday or a day off moved by decree
                return False
            # Weekend days that a transfer decree made working days (filled in by the
            # membership test above, which loads the year).
            if day in self._public.weekend_workdays:
                return True
        return day.weekday() not in self.weekend

    def next_working(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for _ in range(366):
            if self.is_working(day):
                return day
            day += ONE_DAY
        raise ValueError("no working day within a year: the calendar is wrong")

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        day = start
        for _ in range(count):
            day = self.next_working(day + ONE_DAY)
        return day

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days in the half-open span (first, last]."""
        count, day = 0, first
        while day < last:
            day += ONE_DAY
            count += self.is_working(day)
        return count


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the last day of that month if it has no such day
    (Civil Code of the Russian Federation, art. 192, parts 3 and 4)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


@lru_cache(maxsize=32)
def _cached(
    weekend: tuple[int, ...],
    country: str | None,
    subdivision: str | None,
    extra_non_working: tuple[dt.date, ...],
    extra_working: tuple[dt.date, ...],
) -> WorkCalendar:
    return WorkCalendar(
        weekend=frozenset(weekend),
        country=country,
        subdivision=subdivision,
        extra_non_working_days=frozenset(extra_non_working),
        extra_working_days=frozenset(extra_working),
    )


def work_calendar(
    *,
    country: str | None,
    subdivision: str | None = None,
    weekend: Iterable[int] = (5, 6),
    extra_non_working_days: Iterable[dt.date] = (),
    extra_working_days: Iterable[dt.date] = (),
) -> WorkCalendar:
    """A shared calendar for these settings (holiday tables are built once)."""
    return _cached(
        tuple(sorted(weekend)),
        country,
        subdivision,
        tuple(sorted(extra_non_working_days)),
        tuple(sorted(extra_working_days)),
    )
