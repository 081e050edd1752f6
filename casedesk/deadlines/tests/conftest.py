"""Shared fixtures for the pure deadline tests: the real rulebook, its calendar, and a
factory for synthetic rules. Nothing here touches the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from casedesk.deadlines.calendar import WorkCalendar, work_calendar
from casedesk.rulebook.loader import Rulebook, load_version
from casedesk.rulebook.schema import DeadlineRule, Period


@pytest.fixture(scope="session")
def book() -> Rulebook:
    return load_version(Path(settings.RULEBOOK_DIR) / "2026.1")


@pytest.fixture(scope="session")
def ru(book: Rulebook) -> WorkCalendar:
    """The calendar the real rulebook describes (RU holidays + its extra working days),
    built the way casedesk.cases.deadline_sync builds it."""
    cal = book.calendar
    return work_calendar(
        country=cal.country,
        subdivision=cal.subdivision,
        weekend=cal.weekend,
        extra_non_working_days=cal.extra_non_working_days,
        extra_working_days=cal.extra_working_days,
    )


@pytest.fixture(scope="session")
def plain() -> WorkCalendar:
    """Saturday and Sunday off, no public holidays."""
    return WorkCalendar()


@pytest.fixture(scope="session")
def make_rule():
    """Build a synthetic DeadlineRule; validated by the real pydantic schema."""

    def factory(*, days: int = 0, months: int = 0, years: int = 0, **overrides) -> DeadlineRule:
        fields = {
            "code": "synthetic",
            "label": {"ru": "Синтетическое правило", "en": "Synthetic rule"},
            "period": Period(days=days, months=months, years=years),
            "counting": "calendar",
            "starts_on": ["registered"],
            "active_in": ["registered", "in_review", "awaiting_information"],
            "roll_forward": True,
            "pausable": False,
            "max_extension_days": 0,
            "citation": "synthetic rule for tests",
        }
        fields.update(overrides)
        if fields["roll_forward"] and "roll_forward_citation" not in overrides:
            # a rule that rolls forward names its law (schema); synthetic rules cite art. 193
            fields["roll_forward_citation"] = "Гражданский кодекс РФ, ст. 193"
        return DeadlineRule.model_validate(fields)

    return factory
