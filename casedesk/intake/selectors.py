"""Reads for the registration desk."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from casedesk.cases.models import Case
from casedesk.cases.selectors import OPEN, case_list_visible


def possible_duplicates(*, actor, office_id: int, full_name: str,
                        birth_date: dt.date | None = None, unit: str = "",
                        limit: int = 10) -> QuerySet[Case]:
    """Open cases of the office about the same service member: the same full name with the
    same birth date or the same unit. Exact matches only (no fuzzy names yet)."""
    name = " ".join((full_name or "").split())
    if not name or not (birth_date or unit.strip()):
        return Case.objects.none()
    same = Q()
    if birth_date:
        same |= Q(service_member__birth_date=birth_date)
    if unit.strip():
        same |= Q(service_member__unit=unit.strip())
    return (
        case_list_visible(actor)
        .filter(office_id=office_id, state__in=OPEN, service_member__full_name__iexact=name)
        .filter(same)
        .select_related("service_member")
        .order_by("-received_at")[:limit]
    )
