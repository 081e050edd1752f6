"""Who a data key belongs to, for the errors and checks of casedesk.core.crypto (which
cannot import the people and cases it would name): a person's id and the numbers of
their cases, nothing personal."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from casedesk.people.models import Person

from .models import Appeal, Case, CaseApplicant

_SHOWN = 5  # case numbers named per person


def key_owners(key_ids: list[str]) -> dict[str, str]:
    """{key id: "person #12 (cases KSM-2026-000097, …)"} for the keys of people."""
    people = dict(Person.objects.filter(key_id__in=list(key_ids)).values_list("key_id", "pk"))
    if not people:
        return {}
    ids = list(people.values())
    numbers: dict[int, set[str]] = defaultdict(set)
    for number, member in Case.objects.filter(service_member_id__in=ids).values_list(
            "number", "service_member_id"):
        numbers[member].add(number)
    for number, person in CaseApplicant.objects.filter(person_id__in=ids).values_list(
            "case__number", "person_id"):
        numbers[person].add(number)
    for number, person in Appeal.objects.filter(
            Q(submitter_id__in=ids)).values_list("case__number", "submitter_id"):
        numbers[person].add(number)
    found = {}
    for key_id, person in people.items():
        cases = sorted(numbers.get(person, ()), reverse=True)
        shown = ", ".join(cases[:_SHOWN]) + (", …" if len(cases) > _SHOWN else "")
        found[key_id] = f"person #{person}" + (f" (cases {shown})" if cases else "")
    return found
