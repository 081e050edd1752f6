"""Who may act on which case: role and office. Enforced in services and selectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import ApplicationError

from .models import Case


@dataclass(frozen=True)
class ApplicantActor:
    """The writer of an appeal, acting on the one case whose access code they gave."""

    case_id: int
    role: str = "applicant"
    is_active: bool = True
    pk = None


def office_ids(actor) -> set[int]:
    cached = getattr(actor, "_casedesk_office_ids", None)
    if cached is None:
        cached = set(actor.offices.values_list("id", flat=True))
        actor._casedesk_office_ids = cached
    return cached


def require(actor, case: Case, roles: Iterable[str]) -> None:
    """Refuse unless ``actor`` is an active staff member of the case's office with a role
    in ``roles``. The refusal does not say whether the case exists elsewhere."""
    if isinstance(actor, ApplicantActor):
        if actor.case_id != case.pk:
            raise ApplicationError("not_found", _("No such case."))
        if actor.role not in set(roles):
            raise ApplicationError("forbidden", _("You are not allowed to do this."))
        return
    if actor is None or not actor.is_active:
        raise ApplicationError("forbidden", _("You are not allowed to do this."))
    if case.office_id not in office_ids(actor):
        raise ApplicationError("not_found", _("No such case."))
    if actor.role not in set(roles):
        raise ApplicationError("forbidden", _("Your role does not allow this action."))
