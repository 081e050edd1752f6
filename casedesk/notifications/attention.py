"""What needs a member of staff's attention: written with the case event that causes it,
read by the staff header, the queues and the "Needs my attention" page, seen when the
person opens the case.

Who gets an item: the case's assignee; while the case has none (or its assignee is no
longer active), the active supervisors of its office, and for a case still ``received``
(not registered) its intake clerks too. The person whose action caused the event gets
nothing (you do not need telling what you did).
Staff of other offices never get an item.

Which events count (``kind_of``): the applicant answered the office's question
(``information_provided``); a document arrived from the applicant, on a case already
registered (the documents of a new appeal are read when it is registered); the case was
assigned to someone (that person only); the daily sweep found a deadline due soon or
overdue; the commission signed a decision.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.models import User
from casedesk.accounts.roles import Role
from casedesk.audit.services import audit_record
from casedesk.cases.events import EventKind
from casedesk.cases.models import Case, CaseEvent
from casedesk.cases.selectors import can_read_cases
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState

from .models import Attention, AttentionKind

FLAGS = {EventKind.DEADLINE_DUE_SOON: AttentionKind.DUE_SOON,
         EventKind.DEADLINE_OVERDUE: AttentionKind.OVERDUE}


def kind_of(event: CaseEvent, case: Case) -> str | None:
    """The attention kind of ``event``, or None when it needs nobody's attention."""
    data = event.data or {}
    by_applicant = data.get("by") == "applicant"
    if event.kind == EventKind.STATE_CHANGED:
        if data.get("transition") == "information_provided" and by_applicant:
            return AttentionKind.ANSWERED
        return None
    if event.kind == EventKind.DOCUMENT_ADDED:
        if by_applicant and case.state != CaseState.RECEIVED:
            return AttentionKind.DOCUMENT
        return None
    if event.kind == EventKind.ASSIGNED:
        return AttentionKind.ASSIGNED if data.get("assignee") else None
    if event.kind in FLAGS:
        return FLAGS[event.kind]
    if event.kind == EventKind.COMMISSION_DECISION:
        return AttentionKind.DECISION
    return None


def recipients(case: Case, kind: str, event: CaseEvent) -> list[int]:
    """The ids of the people who get ``kind`` for ``case`` (see the module docstring)."""
    if kind == AttentionKind.ASSIGNED:
        ids = [event.data["assignee"]]
    elif case.assignee_id is not None and User.objects.filter(
            pk=case.assignee_id, is_active=True).exists():
        ids = [case.assignee_id]
    else:  # nobody's, or the assignee has left: the office's supervisors
        roles = [Role.SUPERVISOR]
        if case.state == CaseState.RECEIVED:
            roles.append(Role.INTAKE_CLERK)
        ids = list(User.objects.filter(offices=case.office_id, is_active=True, role__in=roles)
                   .values_list("pk", flat=True).distinct())
    return [pk for pk in ids if pk != event.actor_id]


def on_case_event(*, event: CaseEvent, **_ignored) -> None:
    """The attention items of ``event``, in the transaction that writes it (subscribed with
    ``in_transaction=True`` to ``case_event``): they commit or roll back with it."""
    case = event.case
    kind = kind_of(event, case)
    if kind is None:
        return
    users = recipients(case, kind, event)
    if users:
        # A plain INSERT: one to a few rows, where COPY costs more than it saves.
        Attention.objects.bulk_create([
            Attention(user_id=pk, case_id=case.pk, event_id=event.pk, kind=kind, at=event.at)
            for pk in users])


# ------------------------------------------------------------------------------ reads


def _unseen(user):
    return Attention.objects.filter(user=user, seen_at__isnull=True)


def attention_count(*, user) -> int:
    """How many unseen items ``user`` has (one COUNT on the partial index); 0 for people
    who read no case files."""
    if not can_read_cases(user):
        return 0
    return _unseen(user).count()


def attention_for_cases(*, user, case_ids) -> dict[int, list[str]]:
    """The kinds of the unseen items of each of ``case_ids`` for ``user`` (one query)."""
    case_ids = list(case_ids)
    if not case_ids or not can_read_cases(user):
        return {}
    marks: dict[int, list[str]] = {}
    for case_id, kind in (_unseen(user).filter(case_id__in=case_ids)
                          .values_list("case_id", "kind").distinct().order_by("case_id",
                                                                                "kind")):
        marks.setdefault(case_id, []).append(kind)
    return marks


def attention_list(*, user, limit: int = 200) -> list[dict]:
    """``user``'s unseen items grouped by case, oldest first: the case (number, state,
    deadline), its kinds and the time of the first. Cases ``user`` can no longer read
    (moved to another office, role changed) are left out."""
    from casedesk.cases.selectors import case_list_visible

    rows = list(_unseen(user).filter(case__in=case_list_visible(user))
                .values("case_id", "kind").annotate(n=Count("pk"), first=Min("at"))
                .order_by("first")[:limit])
    cases = Case.objects.in_bulk({row["case_id"] for row in rows})
    grouped: dict[int, dict] = {}
    for row in rows:
        item = grouped.setdefault(row["case_id"], {"case": cases[row["case_id"]],
                                                   "kinds": [], "first": row["first"]})
        item["kinds"].append((row["kind"], row["n"]))
        item["first"] = min(item["first"], row["first"])
    return sorted(grouped.values(), key=lambda item: item["first"])


# ------------------------------------------------------------------------------ writes


def attention_seen(*, user, case: Case, at: dt.datetime | None = None) -> int:
    """``user`` opened ``case``: its items for them are seen (one UPDATE on the partial
    index). Returns how many."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return _unseen(user).filter(case_id=case.pk).update(seen_at=at or timezone.now())


def digest_preference_set(*, actor, enabled: bool) -> User:
    """A member of staff switches their own daily digest on or off."""
    if actor is None or not actor.is_active or not can_read_cases(actor):
        raise ApplicationError("forbidden", _("Your role does not allow this action."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=actor.pk)
        locked.daily_digest = bool(enabled)
        locked.save(update_fields=["daily_digest"])
        audit_record(action="user.digest", actor=actor, object_type="user",
                     object_id=locked.pk, data={"result": "on" if enabled else "off"})
    actor.daily_digest = locked.daily_digest
    return locked
