"""Reads of cases, always through the actor's offices and role."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.models import User
from casedesk.accounts.roles import Role
from casedesk.core.errors import ApplicationError
from casedesk.core.states import OPEN_STATES, CaseState

from . import permissions, search
from .models import Appeal, Case, CaseApplicant, CaseEvent, CaseNote, Deadline, Document

# Roles that may read a case file (analysts see statistics only, administrators manage
# users and reference data, not cases): ``workflow.ACTIONS["case_read"]``.
CASE_READERS = permissions.roles_of("case_read")
QUEUES = {
    "to_register": _("To register"),
    "mine": _("My cases"),
    "unassigned": _("Unassigned"),
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "awaiting": _("Awaiting information"),
    "commission": _("Before the commission"),
    "open": _("All open"),
    "all": _("All cases"),
}
OPEN = [s.value for s in OPEN_STATES]


def can_read_cases(actor) -> bool:
    return permissions.can(actor, "case_read")


def case_list_visible(actor) -> QuerySet[Case]:
    if not can_read_cases(actor):
        return Case.objects.none()
    return Case.objects.filter(office_id__in=permissions.office_ids(actor))


def _due_soon_days() -> int:
    return rulebook.current().due_soon_days


def queue_labels() -> dict[str, str]:
    """Queue names for display; the due-soon one says how many days the rulebook means."""
    from django.utils.translation import ngettext

    days = _due_soon_days()
    return {**QUEUES, "due_soon": ngettext("Due within %(days)s day", "Due within %(days)s days",
                                           days) % {"days": days}}


def queue_filters(actor, today: dt.date) -> dict[str, Q]:
    soon = today + dt.timedelta(days=_due_soon_days())
    return {
        # Appeals from the public (web, API, import) waiting for a clerk; their next due
        # date is the registration deadline, so the queue's order is the oldest first.
        "to_register": Q(state=CaseState.RECEIVED),
        "mine": Q(assignee=actor, state__in=OPEN),
        "unassigned": Q(assignee__isnull=True, state__in=OPEN),
        "due_soon": Q(next_due_on__gte=today, next_due_on__lte=soon),
        "overdue": Q(next_due_on__lt=today),
        "awaiting": Q(state=CaseState.AWAITING_INFORMATION),
        "commission": Q(state=CaseState.REFERRED_TO_COMMISSION),
        "open": Q(state__in=OPEN),
        "all": Q(),
    }


def queue_default(actor) -> str:
    """The queue a person lands on: clerks on the appeals to register, others on theirs."""
    return "to_register" if getattr(actor, "role", None) == Role.INTAKE_CLERK else "mine"


@dataclass(frozen=True)
class QueueFilter:
    queue: str = "mine"
    category: str = ""
    state: str = ""
    office: int | None = None
    assignee: int | None = None


# The earlier case a repeated appeal repeats (``Case.repeated_of``, intake.selectors
# .repeated_of), as plain columns: its number and state, and its office, so that a page
# links it only within the case's own office (no case of another office is named). Not
# select_related: that would decrypt the earlier case's texts for every row.
REPEATED_OF = {"repeated_of_number": F("repeated_of__number"),
               "repeated_of_state": F("repeated_of__state"),
               "repeated_of_office": F("repeated_of__office_id")}


def case_queue(*, actor, spec: QueueFilter, today: dt.date | None = None) -> QuerySet[Case]:
    """The cases of one queue, narrowed by the filters, nearest deadline first."""
    today = today or timezone.localdate()
    qs = case_list_visible(actor).filter(queue_filters(actor, today)[spec.queue])
    qs = _narrow(qs, spec)
    qs = qs.defer("forwarded_to")  # encrypted and not shown in queues: no key read per row
    return qs.select_related("office", "assignee").annotate(**REPEATED_OF).order_by(
        F("next_due_on").asc(nulls_last=True), "received_at", "pk"
    )


def case_queue_offices(*, actor, spec: QueueFilter) -> search.Offices | None:
    """The offices :func:`case_queue` limits its cases to, for the search count
    (``search.case_search_count``): the actor's (or the one office the filter names),
    ``only`` when nothing else narrows the queue (the queue "all" without filters).
    None if the actor reads no cases."""
    if not can_read_cases(actor):
        return None
    ids = frozenset(permissions.office_ids(actor))
    if spec.office:
        ids &= {spec.office}
    narrowed = spec.queue != "all" or spec.category or spec.state or spec.assignee
    return search.Offices(ids=ids, only=not narrowed)


class OfficesInOrder:
    """The queue "all" of several offices (a supervisor's) as a paginator reads it: a page
    is taken from each office's first cases in the queue's order, through the index
    ``case_office_order`` (office, next due date, receipt, id), then merged. PostgreSQL
    cannot read several offices' parts of that index as one ordered list, so it sorted
    every case of the offices for each page (at 1M cases, two offices: 610 ms; one office
    alone reads its part in order, a few ms). Page n reads n pages of each office, as an
    offset reads n pages of one. Sliced only; the paginator takes its count elsewhere (the
    queue's, ``queue_counts``, cached for the queue "all")."""

    def __init__(self, queryset: QuerySet[Case], office_ids):
        self.queryset, self.office_ids = queryset, sorted(office_ids)

    def __getitem__(self, index: slice) -> list[Case]:
        start, stop = index.start or 0, index.stop
        parts = [self.queryset.filter(office_id=office).values_list("pk", flat=True)[:stop]
                 for office in self.office_ids]
        firsts = list(parts[0].union(*parts[1:], all=True))
        return list(self.queryset.filter(pk__in=firsts or [0])[start:stop])


def queue_pages(queryset: QuerySet[Case], offices: search.Offices | None):
    """What the queue page paginates: for the queue "all" of several offices without
    filters on PostgreSQL, :class:`OfficesInOrder` (the same cases in the same order);
    otherwise ``queryset``."""
    from django.db import connections

    if offices is None or not offices.only or len(offices.ids) < 2 \
            or connections[queryset.db].vendor != "postgresql":
        return queryset
    return OfficesInOrder(queryset, offices.ids)


def _narrow(qs: QuerySet[Case], spec: QueueFilter) -> QuerySet[Case]:
    if spec.category:
        qs = qs.filter(category=spec.category)
    if spec.state:
        qs = qs.filter(state=spec.state)
    if spec.office:
        qs = qs.filter(office_id=spec.office)
    if spec.assignee:
        qs = qs.filter(assignee_id=spec.assignee)
    return qs


def queue_counts(*, actor, spec: QueueFilter, today: dt.date | None = None) -> dict[str, int]:
    """How many cases each queue holds under the same filters.

    Every queue but "all" holds open cases only (a closed case has no running deadline,
    so no ``next_due_on``), so they are counted in one query over the open cases (the
    ``case_queue`` index). "All" counts every case of the offices, which at a national
    office's size is a scan of hundreds of thousands of rows: that number (not personal)
    is cached for ``CASEDESK_QUEUE_ALL_COUNT_SECONDS`` (60; 0 in tests)."""
    today = today or timezone.localdate()
    qs = _narrow(case_list_visible(actor), spec)
    filters = queue_filters(actor, today)
    aggregates = {name: Count("pk", filter=q) for name, q in filters.items() if name != "all"}
    counts = qs.filter(state__in=OPEN).aggregate(**aggregates)
    key = "casedesk:queue-all:" + hashlib.sha256(
        repr((sorted(permissions.office_ids(actor)), spec)).encode()).hexdigest()
    seconds = settings.CASEDESK_QUEUE_ALL_COUNT_SECONDS
    counts["all"] = cache.get_or_set(key, qs.count, seconds) if seconds else qs.count()
    return counts


def case_get(*, actor, number: str) -> Case:
    if "\x00" in number:  # PostgreSQL refuses NUL in a parameter: no such case, not a 500
        raise ApplicationError("not_found", _("No such case."))
    case = case_list_visible(actor).select_related(
        "office", "assignee", "service_member__region"
    ).annotate(**REPEATED_OF).filter(number=number).first()
    if case is None:
        raise ApplicationError("not_found", _("No such case."))
    return case


@dataclass
class CaseFile:
    case: Case
    applicants: list[CaseApplicant]
    appeals: list[Appeal]
    documents: list[Document]
    notes: list[CaseNote]
    events: list[CaseEvent]
    deadlines: list[Deadline]


def case_file(*, actor, number: str) -> CaseFile:
    """Everything the case page shows, in a fixed number of queries."""
    case = case_get(actor=actor, number=number)
    return CaseFile(
        case=case,
        applicants=list(case.applicant_links.select_related("person")),
        appeals=list(
            case.appeals.select_related("submitter", "incoming", "campaign_of")
            .prefetch_related(
                Prefetch("documents", queryset=Document.objects.order_by("created_at")))),
        documents=list(case.documents.select_related("uploaded_by")),
        notes=list(case.notes.select_related("author")),
        events=list(case.events.select_related("actor").order_by("at", "id")),
        deadlines=list(case.deadlines.order_by("closed_on", "due_on")),
    )


def staff_names(events: list[CaseEvent]) -> dict[int, str]:
    """Display names of the staff that assignment events name (one query)."""
    ids = {e.data.get("assignee") for e in events if e.kind == "assigned"} - {None}
    return {u.pk: u.get_full_name() or u.username
            for u in User.objects.filter(pk__in=ids)} if ids else {}


def assignable_staff(*, actor, office_ids: set[int] | None = None) -> QuerySet[User]:
    """Caseworkers and supervisors who share an office with ``actor``."""
    ids = office_ids or permissions.office_ids(actor)
    return (User.objects.filter(is_active=True, role__in=sorted(permissions.roles_of("case_take")),
                                offices__in=ids)
            .distinct().order_by("last_name", "username"))


def workload(*, actor, today: dt.date | None = None) -> dict:
    """For a supervisor: open, due-soon and overdue cases per caseworker and per office."""
    if not permissions.can(actor, "workload"):
        raise ApplicationError("forbidden", _("Only a supervisor can see the workload."))
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=_due_soon_days())
    qs = case_list_visible(actor).filter(state__in=OPEN)
    counts = {
        "open": Count("pk"),
        "due_soon": Count("pk", filter=Q(next_due_on__gte=today, next_due_on__lte=soon)),
        "overdue": Count("pk", filter=Q(next_due_on__lt=today)),
    }
    per_worker = {
        row["assignee"]: row
        for row in qs.values("assignee").annotate(**counts).order_by()
    }
    people = list(assignable_staff(actor=actor))
    rows = [
        {"user": person, **{k: per_worker.get(person.pk, {}).get(k, 0) for k in counts}}
        for person in people
    ]
    unassigned = per_worker.get(None, {})
    offices = list(
        qs.values("office__code").annotate(**counts).order_by("office__code")
    )
    return {
        "workers": rows,
        "unassigned": {k: unassigned.get(k, 0) for k in counts},
        "offices": offices,
    }


@dataclass(frozen=True)
class CaseNames:
    service_member: str
    applicants: list[str]


def case_names(*, actor, cases: list[Case]) -> dict[int, CaseNames]:
    """The service member's and the applicants' names of ``cases`` (a queue's page), for
    someone who may read case files; ``{}`` for anyone else.

    Two queries whatever the number of cases (the members, the applicants), plus one to
    the key store for the data keys not cached yet; only the names are decrypted, in
    Python (the other encrypted fields of a person are never read). An erased person's
    name reads as "". The caller audits the read (it is a read of personal data)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from casedesk.core import crypto
    from casedesk.people.models import Person

    visible = {c.pk: c for c in cases
               if can_read_cases(actor) and c.office_id in permissions.office_ids(actor)}
    if not visible:
        return {}
    # The ciphertexts as stored (Cast skips the field's decryption on load).
    raw = Cast("full_name", output_field=TextField())
    members = dict(Person.objects.filter(pk__in={c.service_member_id for c in visible.values()})
                   .values_list("pk", raw))
    links = list(CaseApplicant.objects.filter(case_id__in=visible)
                 .values_list("case_id", "person_id",
                              Cast("person__full_name", output_field=TextField()))
                 .order_by("case_id", "pk"))
    tokens = [*members.values(), *(token for _c, _p, token in links)]
    crypto.keys_prefetch({crypto.text_key_id(t) for t in tokens if t})
    field = Person._meta.get_field("full_name")

    def name(token) -> str:
        return field.from_db_value(token, None, None) if token else ""

    applicants: dict[int, list[str]] = {}
    for case_id, person_id, token in links:
        if person_id == visible[case_id].service_member_id:  # the member writing
            continue
        names = applicants.setdefault(case_id, [])
        text = name(token)
        if text not in names:  # a reply stores its writer again, as a person of its own
            names.append(text)
    return {pk: CaseNames(service_member=name(members.get(case.service_member_id)),
                          applicants=applicants.get(pk, []))
            for pk, case in visible.items()}
