"""Who may act on which case: role and office. Enforced in services and selectors."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import ApplicationError

from .models import Case


def office_ids(actor) -> set[int]:
    cached = getattr(actor, "_casedesk_office_ids", None)
    if cached is None:
        cached = set(actor.offices.values_list("id", flat=True))
        actor._casedesk_office_ids = cached
    return cached


def require(actor, case: Case, roles: Iterable[str]) -> None:
    """Refuse unless ``actor`` is an active staff member of the case's office with a role
    in ``roles``. The refusal does not say whether the case exists elsewhere."""
    if actor is None or not actor.is_active:
        raise ApplicationError("forbidden", _("You are not allowed to do this."))
    if case.office_id not in office_ids(actor):
        raise ApplicationError("not_found", _("No such case."))
    if actor.role not in set(roles):
        raise ApplicationError("forbidden", _("Your role does not allow this action."))
