"""Helpers for tests: moments in the office's time zone and walking the workflow."""

from __future__ import annotations

import datetime as dt
from collections import deque

from django.utils import timezone

from casedesk.cases.workflow import TRANSITIONS
from casedesk.core.states import CaseState

EXTRA = {
    "reason": "Причина указана в служебной записке.",
    "message": "Просим прислать копию выписного эпикриза.",
    "outcome": "upheld",
    "forwarded_to": "Военная прокуратура",
    "ground": "unreadable",
}


def at(day: str, hour: int = 12) -> dt.datetime:
    """A moment in the current time zone on ``day`` (YYYY-MM-DD)."""
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def shortest_paths() -> dict[str, list[str]]:
    """For every state, the shortest list of transitions that reaches it from ``received``."""
    paths: dict[str, list[str]] = {CaseState.RECEIVED: []}
    queue = deque([CaseState.RECEIVED.value])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS.values():
            if state in t.sources and t.target not in paths:
                paths[t.target] = [*paths[state], t.name]
                queue.append(t.target.value)
    return paths


def arguments_for(transition: str) -> dict[str, str]:
    return {name: EXTRA[name] for name in TRANSITIONS[transition].requires}


def actor_for(transition: str, staff: dict, case=None) -> object:
    """Someone allowed to make ``transition``: a staff member of a role in the table, or
    the applicant of ``case`` for the applicant's own moves."""
    from casedesk.cases.permissions import ApplicantActor
    from casedesk.cases.workflow import APPLICANT

    roles = TRANSITIONS[transition].roles
    if APPLICANT in roles:
        return ApplicantActor(case_id=case.pk)
    return next(staff[role] for role in staff if role in roles)
