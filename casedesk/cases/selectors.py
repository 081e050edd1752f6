"""Reads of cases, always through the actor's offices and role."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.roles import Role
from casedesk.core.errors import ApplicationError

from . import permissions
from .models import Case, CaseEvent

# Roles that may read a case file (analysts see statistics only, administrators manage
# users and reference data, not cases).
CASE_READERS = frozenset(
    {Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR, Role.COMMISSION_MEMBER}
)


def case_list_visible(actor) -> QuerySet[Case]:
    if actor is None or not actor.is_active or actor.role not in CASE_READERS:
        return Case.objects.none()
    return Case.objects.filter(office_id__in=permissions.office_ids(actor))


def case_get(*, actor, number: str) -> Case:
    case = case_list_visible(actor).select_related("office").filter(number=number).first()
    if case is None:
        raise ApplicationError("not_found", _("No such case."))
    return case


def case_timeline(*, case: Case, public_only: bool = False) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("at", "id")
    return events.filter(public=True) if public_only else events
