"""Reads for the registration desk."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from casedesk.cases.events import EventKind
from casedesk.cases.models import Case, CaseApplicant, CaseEvent
from casedesk.cases.selectors import OPEN, case_list_visible
from casedesk.core.fields import blind_value
from casedesk.core.states import CaseState


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

    Only the keyed indexes that exist are read, never a plaintext. This function is the
    one definition of "a repeat": ``intake.services.repeats_flag`` stores what it finds,
    so other indexes (a name alone, a normalised unit) are switched on here."""
    member = case.service_member
    same_member = Q()
    if member.name_birth_index:
        same_member |= Q(service_member__name_birth_index=member.name_birth_index)
    if member.name_unit_index:
        same_member |= Q(service_member__name_unit_index=member.name_unit_index)
    same_applicant = Q()
    for link in CaseApplicant.objects.filter(case=case).select_related("person"):
        person = link.person
        for name in ("email_index", "phone_index", "name_birth_index"):
            value = getattr(person, name)
            if value:
                same_applicant |= Q(**{f"person__{name}": value})
    if not same_member or not same_applicant:
        return None
    answered = CaseEvent.objects.filter(
        case=OuterRef("pk"), kind=EventKind.STATE_CHANGED, data__transition="answer",
        at__lte=case.received_at)
    applicant = CaseApplicant.objects.filter(same_applicant, case=OuterRef("pk"))
    return (
        Case.objects.filter(same_member, office_id=case.office_id, category=case.category,
                            state__in=ANSWERED_STATES, received_at__lt=case.received_at)
        .exclude(pk=case.pk).exclude(outcome="")
        .filter(Exists(answered), Exists(applicant))
        .order_by("-received_at", "-pk").first()
    )
