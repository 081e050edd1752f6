"""Who may act on which case: role and office. Enforced in services and selectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import ApplicationError

from .models import Case, Channel
from .workflow import ACTIONS


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


def roles_of(action: str) -> frozenset[str]:
    """The roles that may do ``action`` (a key of ``workflow.ACTIONS``)."""
    return ACTIONS[action].roles


def can(actor, action: str, case: Case | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (a key of ``workflow.ACTIONS``), and with
    ``case``, on that case (one of their offices; the applicant: their own case). For
    pages deciding what to offer; the service decides (:func:`require`)."""
    if actor is None or not getattr(actor, "is_active", False) \
            or getattr(actor, "role", None) not in roles_of(action):
        return False
    if case is None:
        return True
    if isinstance(actor, ApplicantActor):
        return actor.case_id == case.pk
    return case.office_id in office_ids(actor)


def require(actor, case: Case, action: str | Iterable[str]) -> None:
    """Refuse unless ``actor`` is an active staff member of the case's office with a role
    that may do ``action`` (a key of ``workflow.ACTIONS``, or the roles of a transition).
    The refusal does not say whether the case exists elsewhere."""
    roles = roles_of(action) if isinstance(action, str) else action
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


# --- access codes (``cases.access.access_code_issue``) ---------------------------------

# Appeals through which the applicant got no code: the office registered them and sends
# the code in its acknowledgement letter. Web and API appeals got one on the receipt.
CODE_BY_LETTER_CHANNELS = frozenset(set(Channel.values) - {Channel.WEB, Channel.API})
# Who may give the applicant of such a case a (new) code: the roles that register and
# answer letters. For a web or API case, whose applicant holds a code of their own, only a
# supervisor, with a reason from ``CodeReissueReason``: a new code locks the applicant out
# and lets whoever reads it act on the portal as the applicant.
ACCESS_CODE_ISSUERS = roles_of("access_code_issue")
ACCESS_CODE_REISSUERS_ONLINE = roles_of("access_code_reissue")


class CodeReissueReason(models.TextChoices):
    """Why a code that the applicant holds is replaced (stored in the audit log as a code:
    no free text)."""

    APPLICANT_LOST_CODE = "applicant_lost_code", _("the applicant lost the code and asked "
                                                   "for a new one in writing")
    APPLICANT_REQUEST_BY_PHONE = "applicant_request_by_phone", _(
        "the applicant asked by phone (identity checked)")
    APPLICANT_REQUEST_IN_PERSON = "applicant_request_in_person", _(
        "the applicant asked in person (identity checked)")
    CODE_COMPROMISED = "code_compromised", _("the code may be known to someone else")
    LETTER_NOT_DELIVERED = "letter_not_delivered", _(
        "the letter with the code did not reach the applicant")


# The reason recorded when a case that never had a code gets its first one.
FIRST_CODE = "first_code"


def access_code_issuers(channel: str) -> frozenset[str]:
    """The roles that may issue a code for a case whose first appeal came by ``channel``."""
    if channel in CODE_BY_LETTER_CHANNELS:
        return ACCESS_CODE_ISSUERS
    return ACCESS_CODE_REISSUERS_ONLINE


def access_code_reason_needed(*, channel: str, replacing: bool) -> bool:
    """A reason is asked for whenever a code the applicant may hold is replaced: always
    for web and API cases, and for letter cases that already have one."""
    return replacing or channel not in CODE_BY_LETTER_CHANNELS


def can_issue_access_code(actor, *, channel: str) -> bool:
    """For pages: whether to offer ``actor`` the button (the service decides)."""
    return getattr(actor, "role", None) in access_code_issuers(channel)


def require_access_code_issue(actor, case: Case, *, channel: str, replacing: bool,
                              reason: str) -> None:
    """Refuse unless ``actor`` may give the applicant of ``case`` a new code now."""
    require(actor, case, access_code_issuers(channel))
    if access_code_reason_needed(channel=channel, replacing=replacing) \
            and reason not in CodeReissueReason.values:
        raise ApplicationError("reason_required",
                               _("Choose why the applicant needs a new code."))
