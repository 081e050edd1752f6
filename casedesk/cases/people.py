"""The person page's read side (issue 18): one service member (or applicant) with all his
cases of the user's offices, the applicants who wrote about him, his units over time and
the timeline of all his cases together. Cases of other offices are counted, never shown.
The page itself is casedesk.staff.person_views; merging records is
casedesk.people.lifecycle.merge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import ApplicationError
from casedesk.core.names import unit_key
from casedesk.people.models import Person, PersonUnit

from . import permissions
from .models import Appeal, Case, CaseApplicant, CaseEvent

TIMELINE_LIMIT = 200  # events shown on the page, newest first


def cases_of(person_id: int) -> QuerySet[Case]:
    """Every case the person is in: as service member, applicant or writer of an appeal."""
    return Case.objects.filter(
        Q(service_member_id=person_id)
        | Q(pk__in=CaseApplicant.objects.filter(person_id=person_id).values("case_id"))
        | Q(pk__in=Appeal.objects.filter(submitter_id=person_id).values("case_id")))


@dataclass
class UnitSeen:
    unit: str
    since: dt.date | None  # the earliest day a case stated it
    cases: list[str] = field(default_factory=list)  # numbers of the user's cases that did
    current: bool = False


@dataclass
class ApplicantSeen:
    person: Person
    relations: list[tuple[str, str]]  # (case number, relation label)


@dataclass
class PersonFile:
    person: Person
    cases: list[Case]  # his cases as service member that the user may see, newest first
    hidden: int  # his cases (any part) in offices the user does not work for
    as_applicant: list[CaseApplicant]  # cases of the user's offices he wrote about
    applicants: list[ApplicantSeen]
    units: list[UnitSeen]
    events: list[CaseEvent]  # newest first, at most TIMELINE_LIMIT
    events_total: int


def person_get(*, actor, person_id: int) -> Person:
    """The person, if the actor may see at least one case they are in (the refusal does
    not say whether the person exists). A merged-away record is returned as it is: the
    caller sends the user on to ``merged_into``."""
    if not permissions.can(actor, "person_view"):
        raise ApplicationError("forbidden", _("Your role has no access to case files."))
    person = Person.objects.select_related("region").filter(pk=person_id).first()
    if person is None:
        raise ApplicationError("not_found", _("No such person."))
    if person.merged_into_id is not None:
        return person
    if not cases_of(person.pk).filter(office_id__in=permissions.office_ids(actor)).exists():
        raise ApplicationError("not_found", _("No such person."))
    return person


def person_file(*, actor, person: Person) -> PersonFile:
    """Everything the person page shows, in a fixed number of queries."""
    offices = permissions.office_ids(actor)
    everything = cases_of(person.pk)
    hidden = everything.exclude(office_id__in=offices).count()
    cases = list(Case.objects.filter(service_member_id=person.pk, office_id__in=offices)
                 .select_related("office", "assignee").order_by("-received_at", "-pk"))
    as_applicant = list(
        CaseApplicant.objects.filter(person_id=person.pk, case__office_id__in=offices)
        .exclude(case__service_member_id=person.pk)
        .select_related("case__service_member", "case__office")
        .order_by("-case__received_at"))
    links = (CaseApplicant.objects.filter(case__in=cases).exclude(person_id=person.pk)
             .select_related("person", "case").order_by("-case__received_at", "pk"))
    applicants: dict[int, ApplicantSeen] = {}
    for link in links:
        seen = applicants.setdefault(link.person_id, ApplicantSeen(link.person, []))
        seen.relations.append((link.case.number, str(link.get_relation_display())))
    case_ids = [c.pk for c in cases]
    events_qs = CaseEvent.objects.filter(case_id__in=case_ids)
    events = list(events_qs.select_related("actor", "case").order_by("-at", "-id")
                  [:TIMELINE_LIMIT]) if case_ids else []
    total = len(events) if len(events) < TIMELINE_LIMIT else events_qs.count()
    return PersonFile(person=person, cases=cases, hidden=hidden, as_applicant=as_applicant,
                      applicants=list(applicants.values()),
                      units=_units(person, cases), events=events, events_total=total)


def _units(person: Person, cases: list[Case]) -> list[UnitSeen]:
    """His units over time (PersonUnit) and his current unit, one line per unit however
    written, oldest first; case numbers only of the user's cases."""
    numbers = {c.pk: c.number for c in cases}
    found: dict[str, UnitSeen] = {}
    for row in PersonUnit.objects.filter(person_id=person.pk).order_by("seen_on", "pk"):
        if not row.unit:
            continue
        seen = found.setdefault(unit_key(row.unit), UnitSeen(row.unit, row.seen_on))
        seen.since = min(seen.since, row.seen_on) if seen.since else row.seen_on
        if row.case_id in numbers and numbers[row.case_id] not in seen.cases:
            seen.cases.append(numbers[row.case_id])
    if person.unit:
        key = unit_key(person.unit)
        if key not in found:
            first = min((c.received_at for c in cases), default=None)
            found[key] = UnitSeen(person.unit, timezone.localdate(first) if first else None,
                                  [c.number for c in sorted(cases, key=lambda c: c.received_at)])
        found[key].current = True
    return sorted(found.values(), key=lambda u: (u.since is None, u.since or dt.date.min))
