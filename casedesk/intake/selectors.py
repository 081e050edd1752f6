"""Reads for the registration desk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from casedesk.cases import permissions
from casedesk.cases.events import EventKind
from casedesk.cases.models import Case, CaseApplicant, CaseEvent
from casedesk.cases.selectors import OPEN, case_list_visible
from casedesk.core.fields import blind_value
from casedesk.core.states import CaseState
from casedesk.people import duplicates

from .models import DuplicateFlag


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


# States of a case that was answered on the merits, and stays so (a reopened case loses
# its outcome, ``cases.services.case_transition_inner``).
ANSWERED_STATES = (CaseState.ANSWERED, CaseState.CLOSED)


def repeated_of(case: Case) -> Case | None:
    """The earlier case that ``case`` repeats (59-FZ art. 11 part 5), or None: a case of
    the same office, received before it, answered on the merits (an outcome, and its
    ``answer`` move made no later than ``case`` was received), about the same matter
    and from the same applicant; the latest such case.

    - Same matter: the same category and the same service member, by the blind indexes
      of his name with his birth date or with his unit (as ``possible_duplicates``).
    - Same applicant: one of the earlier case's applicants has the blind index of an
      applicant of ``case``: email, phone (its last ten digits) or name with birth date.

    Only the keyed indexes that exist are read, never a plaintext. This function (with
    ``repeated_of_many``, its batch form) is the one definition of "a repeat":
    ``intake.services.repeats_flag`` stores what it finds, so other indexes (a name
    alone, a normalised unit) are switched on here."""
    earlier = repeated_of_many([case]).get(case.pk)
    return Case.objects.get(pk=earlier) if earlier else None


_APPLICANT_INDEXES = ("email_index", "phone_index", "name_birth_index")
_MEMBER_INDEXES = ("name_birth_index", "name_unit_index")


def _applicant_indexes(case_ids) -> dict[int, set[tuple[str, str]]]:
    """Per case, its applicants' blind indexes as (kind, value); nothing decrypted."""
    found: dict[int, set[tuple[str, str]]] = {}
    for case_id, *values in CaseApplicant.objects.filter(case_id__in=case_ids).values_list(
            "case_id", *(f"person__{name}" for name in _APPLICANT_INDEXES)):
        found.setdefault(case_id, set()).update(
            (name, value) for name, value in zip(_APPLICANT_INDEXES, values, strict=True)
            if value)
    return found


def repeated_of_many(cases: list[Case]) -> dict[int, int]:
    """``repeated_of`` for many cases at once, in four queries whatever their number: the
    id of the earlier case each one repeats, by the case's id (those repeating none are
    left out). Each case needs ``office_id``, ``category``, ``received_at`` and its
    service member's blind indexes loaded (``service_member`` selected)."""
    members = {c.pk: {(n, getattr(c.service_member, n)) for n in _MEMBER_INDEXES
                      if getattr(c.service_member, n)} for c in cases}
    cases = [c for c in cases if members[c.pk]]
    if not cases:
        return {}
    applicants = _applicant_indexes([c.pk for c in cases])
    cases = [c for c in cases if applicants.get(c.pk)]
    if not cases:
        return {}
    same_member = Q()
    for name in _MEMBER_INDEXES:
        values = {v for c in cases for n, v in members[c.pk] if n == name}
        if values:
            same_member |= Q(**{f"service_member__{name}__in": values})
    candidates = list(
        Case.objects.filter(same_member, office_id__in={c.office_id for c in cases},
                            category__in={c.category for c in cases},
                            state__in=ANSWERED_STATES,
                            received_at__lt=max(c.received_at for c in cases))
        .exclude(outcome="").values_list(
            "pk", "office_id", "category", "received_at",
            *(f"service_member__{name}" for name in _MEMBER_INDEXES)))
    if not candidates:
        return {}
    ids = [row[0] for row in candidates]
    their_applicants = _applicant_indexes(ids)
    answered_at: dict[int, list] = {}
    for case_id, at in CaseEvent.objects.filter(
            case_id__in=ids, kind=EventKind.STATE_CHANGED,
            data__transition="answer").values_list("case_id", "at"):
        answered_at.setdefault(case_id, []).append(at)
    found = {}
    for case in cases:
        best = None
        for pk, office_id, category, received_at, *indexes in candidates:
            if (pk == case.pk or office_id != case.office_id or category != case.category
                    or received_at >= case.received_at):
                continue
            if not members[case.pk] & set(zip(_MEMBER_INDEXES, indexes, strict=True)):
                continue
            if not applicants[case.pk] & their_applicants.get(pk, set()):
                continue
            if not any(at <= case.received_at for at in answered_at.get(pk, ())):
                continue
            if best is None or (received_at, pk) > best[0]:
                best = ((received_at, pk), pk)
        if best is not None:
            found[case.pk] = best[1]
    return found


# Duplicates (issue 18): the flags stored after the receipt (``services.duplicates_flag``)
# and the desk's check, both scored by casedesk.people.duplicates.

REASON_LABELS = {
    "surname": _("the same surname"),
    "surname_sounds_alike": _("a surname that sounds alike (a typo?)"),
    "first_name": _("the same first name"),
    "patronymic": _("the same patronymic"),
    "birth_date": _("the same birth date"),
    "birth_date_differs": _("a different birth date"),
    "unit": _("the same military unit"),
    "region": _("the same region"),
    "phone": _("the same phone"),
    "email": _("the same email"),
}


def reasons_in_words(codes) -> list[str]:
    return [str(REASON_LABELS.get(code, code)) for code in codes]


@dataclass(frozen=True)
class DuplicateShown:
    """A flag of a case as its page shows it to one reader: the candidate's cases the
    reader may see (numbers, latest first) and how many others there are."""

    flag_id: int
    person_id: int
    level: str
    score: int
    reasons: list[str]  # in words
    cases: list[str]
    hidden: int


def duplicates_of_case(*, actor, case: Case) -> list[DuplicateShown]:
    """The open (not dismissed) duplicate flags of ``case``, likely first, each with the
    candidate's cases: numbers of those of the reader's offices, a count of the others.
    Two queries; nothing decrypted (the candidate's name is on their case's page)."""
    flags = list(DuplicateFlag.objects.filter(
        case=case, dismissed_at__isnull=True, person__erased_at__isnull=True)
        .order_by("level", "-score", "-person_id"))
    if not flags:
        return []
    offices = set(permissions.office_ids(actor))
    theirs: dict[int, tuple[list[str], list[int]]] = {}
    for number, office_id, person_id in Case.objects.filter(
            service_member_id__in={f.person_id for f in flags}).exclude(pk=case.pk) \
            .order_by("-received_at", "-pk").values_list("number", "office_id",
                                                         "service_member_id"):
        shown, hidden = theirs.setdefault(person_id, ([], []))
        (shown if office_id in offices else hidden).append(number)
    return [DuplicateShown(flag_id=f.pk, person_id=f.person_id, level=f.level,
                           score=f.score, reasons=reasons_in_words(f.reasons),
                           cases=theirs.get(f.person_id, ([], []))[0],
                           hidden=len(theirs.get(f.person_id, ([], []))[1]))
            for f in flags]


def cases_flagged(case_ids) -> set[int]:
    """Which of ``case_ids`` (a queue page) have an open duplicate flag: one query."""
    return set(DuplicateFlag.objects.filter(case_id__in=list(case_ids),
                                            dismissed_at__isnull=True)
               .values_list("case_id", flat=True).distinct())


# Who may be a duplicate candidate: the service member of some case. One object for the
# process, so that the duplicate check compiles its statement once (people.duplicates).
SERVICE_MEMBERS = Q(Exists(Case.objects.filter(service_member=OuterRef("pk"))))


def desk_duplicates(*, actor, office_id: int, full_name: str,
                    birth_date: dt.date | None = None, unit: str = "", phone: str = "",
                    email: str = "", region_id: int | None = None,
                    limit: int = 10) -> list[Case]:
    """The open cases of the office (visible to ``actor``) whose service member may be
    the one described at the desk (casedesk.people.duplicates: by name in any form and
    order, a typo, birth date, unit, region, the member's own contacts), likely first;
    each case carries its ``candidate`` (level, score, reason codes). The clerk decides."""
    if not " ".join((full_name or "").split()):
        return []
    candidates = duplicates.person_candidates(
        full_name=full_name, birth_date=birth_date, unit=unit or "", phone=phone or "",
        email=email or "", region_id=region_id, among=SERVICE_MEMBERS, limit=limit)
    if not candidates:
        return []
    by_person = {c.person_id: c for c in candidates}
    rank = {c.person_id: i for i, c in enumerate(candidates)}
    cases = list(case_list_visible(actor).filter(
        office_id=office_id, state__in=OPEN, service_member_id__in=list(by_person))
        .select_related("service_member").order_by("-received_at")[:limit * 3])
    cases.sort(key=lambda c: rank[c.service_member_id])
    for case in cases:
        case.candidate = by_person[case.service_member_id]
        case.reasons = reasons_in_words(case.candidate.reasons)
    return cases[:limit]
