"""Reads for the registration desk."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from casedesk.cases.models import Case
from casedesk.cases.selectors import OPEN, case_list_visible
from casedesk.core.fields import blind_value


def possible_duplicates(*, actor, office_id: int, full_name: str,
                        birth_date: dt.date | None = None, unit: str = "",
                        limit: int = 10) -> QuerySet[Case]:
    """Open cases of the office about the same service member: the same full name with the
    same birth date or the same unit. Names are encrypted, so the match is on blind
    indexes (keyed hashes of the normalised values: case, ё/е and spacing do not matter;
    no fuzzy matching)."""
    name = " ".join((full_name or "").split())
    if not name or not (birth_date or unit.strip()):
        return Case.objects.none()
    same = Q()
    if birth_date:
        same |= Q(service_member__name_birth_index=blind_value("name+birth", name, birth_date))
    if unit.strip():
        same |= Q(service_member__name_unit_index=blind_value("name+unit", name, unit.strip()))
    return (
        case_list_visible(actor)
        .filter(office_id=office_id, state__in=OPEN)
        .filter(same)
        .select_related("service_member")
        .order_by("-received_at")[:limit]
    )


def cases_by_contact(*, actor, office_id: int, phone: str = "", email: str = "",
                     limit: int = 10) -> QuerySet[Case]:
    """Open cases of the office whose service member or an applicant has this phone number
    (the last ten digits) or email address, matched on blind indexes."""
    people = Q()
    phone_index = blind_value("phone", phone) if phone else ""
    email_index = blind_value("email", email) if email else ""
    if phone_index:
        people |= Q(service_member__phone_index=phone_index) | Q(
            applicants__phone_index=phone_index)
    if email_index:
        people |= Q(service_member__email_index=email_index) | Q(
            applicants__email_index=email_index)
    if not people:
        return Case.objects.none()
    ids = case_list_visible(actor).filter(people, office_id=office_id,
                                          state__in=OPEN).values("pk")
    return Case.objects.filter(pk__in=ids).select_related("service_member").order_by(
        "-received_at")[:limit]
