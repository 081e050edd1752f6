"""Extension requests: a caseworker asks, a supervisor approves or refuses (issue 14 part 7).

An approval extends the deadline through ``services.deadline_extend`` (which refuses once
the deadline has passed); the applicant's notice is written by ``letters.notices``, the
layer above, in the same transaction. The reasons are encrypted with the service member's
data key; each step is a timeline event and an audit entry.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.audit.services import audit_defer, audit_record, audit_record_many
from casedesk.core.errors import ApplicationError

from . import events, permissions
from .models import Case, Deadline, ExtensionRequest, ExtensionStatus
from .services import MAX_TEXT, _Day, local_date


def _reason(value: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError("missing_reason", missing)
    if len(value) > MAX_TEXT:
        raise ApplicationError(
            "too_long", _("The text is too long (at most %(max)s characters)."), max=MAX_TEXT)
    return value


def _running_deadline(case: Case, rule: str, today: dt.date) -> Deadline:
    deadline = case.deadlines.filter(rule=rule, closed_on__isnull=True).first()
    if deadline is None:
        raise ApplicationError("no_open_deadline", _("This deadline is not running."))
    if today > deadline.due_on:
        raise ApplicationError(
            "deadline_passed",
            _("The deadline passed on %(date)s: a missed deadline cannot be extended."),
            date=_Day(deadline.due_on))
    book = rulebook.get(case.rulebook_version)
    if book.rules[rule].max_extension_days <= deadline.extension_days:
        raise ApplicationError(
            "extension_refused",
            _("The rulebook allows at most %(max)s days of extension for this deadline."),
            max=book.rules[rule].max_extension_days)
    return deadline


def extension_request(*, actor, case: Case, days: int, reason: str, rule: str = "answer",
                      at: dt.datetime | None = None) -> ExtensionRequest:
    """A caseworker (or supervisor) asks for ``days`` more on a running deadline, with a
    reason, before it has passed. One pending request per deadline at a time."""
    reason = _reason(reason, _("Give the reason for the extension."))
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if days <= 0:
        raise ApplicationError("bad_days", _("An extension must be at least one day."))
    with transaction.atomic(durable=True):
        locked = Case.objects.select_for_update().get(pk=case.pk)
        at = at or timezone.now()
        permissions.require(actor, locked, "extension_request")
        _running_deadline(locked, rule, local_date(at))
        if locked.extension_requests.filter(rule=rule,
                                            status=ExtensionStatus.PENDING).exists():
            raise ApplicationError("already_requested",
                                   _("An extension of this deadline is already awaiting a "
                                     "supervisor's decision."))
        request = ExtensionRequest(case=locked, rule=rule, days=days, reason=reason,
                                   requested_by=actor, requested_at=at)
        request.save(force_insert=True)
        events.extension_requested(locked, at=at, actor=actor, request_id=request.pk,
                                   rule=rule, days=days, reason=reason)
        audit_record(action="extension.requested", actor=actor,
                     object_type="extension_request", object_id=request.pk,
                     data={"case": locked.pk, "rule": rule, "days": days})
    return request


def _lock_pending(actor, request: ExtensionRequest) -> ExtensionRequest:
    locked = (ExtensionRequest.objects.select_for_update(of=("self",))
              .select_related("case").get(pk=request.pk))
    permissions.require(actor, locked.case, "extension_decide")
    if locked.status != ExtensionStatus.PENDING:
        raise ApplicationError("already_decided",
                               _("This request has already been decided."))
    return locked


def extension_approve(*, actor, request: ExtensionRequest,
                      at: dt.datetime | None = None) -> tuple[ExtensionRequest, Deadline]:
    """A supervisor grants the request: the deadline is extended (refused once it has
    passed). An outermost action (durable); ``letters.notices`` adds the applicant's
    notice to the same transaction with ``extension_approve_inner``."""
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        approved, deadline = extension_approve_inner(actor=actor, request=request, at=at,
                                                     audits=audits)
        audit_record_many(audits)
    return approved, deadline


def extension_approve_inner(*, actor, request: ExtensionRequest,
                            at: dt.datetime | None = None,
                            audits: list[dict] | None = None,
                            ) -> tuple[ExtensionRequest, Deadline]:
    """``extension_approve`` in the caller's transaction; its audit entries go to
    ``audits`` (see ``services.case_transition_inner``)."""
    from .services import deadline_extend_inner

    with transaction.atomic():
        locked = _lock_pending(actor, request)
        at = at or timezone.now()
        deadline = deadline_extend_inner(actor=actor, case=locked.case, rule=locked.rule,
                                         days=locked.days, reason=locked.reason, at=at,
                                         request_id=locked.pk, audits=audits)
        locked.status = ExtensionStatus.APPROVED
        locked.decided_by = actor
        locked.decided_at = at
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_defer(audits, action="extension.approved", actor=actor,
                    object_type="extension_request", object_id=locked.pk,
                    data={"case": locked.case_id, "rule": locked.rule, "days": locked.days})
    return locked, deadline


def extension_refuse(*, actor, request: ExtensionRequest, reason: str,
                     at: dt.datetime | None = None) -> ExtensionRequest:
    """A supervisor turns the request down, with a reason (for the caseworker; internal)."""
    reason = _reason(reason, _("Give the reason for the refusal."))
    with transaction.atomic(durable=True):
        locked = _lock_pending(actor, request)
        case = Case.objects.select_for_update().get(pk=locked.case_id)
        at = at or timezone.now()
        locked.status = ExtensionStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = at
        locked.refusal = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "refusal"])
        events.extension_refused(case, at=at, actor=actor, request_id=locked.pk,
                                 rule=locked.rule, reason=reason)
        audit_record(action="extension.refused", actor=actor,
                     object_type="extension_request", object_id=locked.pk,
                     data={"case": locked.case_id, "rule": locked.rule})
    return locked


def extension_requests_pending(*, actor) -> QuerySet[ExtensionRequest]:
    """The pending requests of the supervisor's offices, oldest first (for the
    supervisor's page)."""
    if not permissions.can(actor, "extension_decide"):
        return ExtensionRequest.objects.none()
    return (ExtensionRequest.objects
            .filter(status=ExtensionStatus.PENDING,
                    case__office_id__in=permissions.office_ids(actor))
            .select_related("case", "requested_by").order_by("requested_at", "id"))
