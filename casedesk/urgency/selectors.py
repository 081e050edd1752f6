"""What the staff pages read of the urgency flags: the marker of a queue page (one
query), the banner of a case page, the counts of a supervisor's offices (their workload
page) and of the offices the statistics dashboard shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet

from casedesk import rulebook
from casedesk.cases import permissions
from casedesk.cases.models import Case
from casedesk.core.states import OPEN_STATES

from .models import UrgencyFlag


def cases_urgent(case_ids) -> set[int]:
    """Which of ``case_ids`` (a queue page) are flagged urgent: one query, nothing
    decrypted (the reasons stay sealed)."""
    return set(UrgencyFlag.objects.filter(case_id__in=list(case_ids), urgent=True)
               .values_list("case_id", flat=True))


def only_urgent(cases: QuerySet[Case]) -> QuerySet[Case]:
    """``cases`` narrowed to the open ones flagged urgent (the queues' filter: a closed
    case waits for nobody). Through the open standing flags (``UrgencyFlag.open``,
    urgency.0002), so that PostgreSQL starts from those few."""
    return cases.filter(Exists(UrgencyFlag.objects.filter(case_id=OuterRef("pk"),
                                                          urgent=True, open=True)),
                        state__in=OPEN_STATES)  # SQLite keeps no UrgencyFlag.open


def urgent_open_count(*, actor) -> int:
    """How many open cases of ``actor``'s offices are flagged urgent."""
    return sum(urgent_open_by_office(office_ids=permissions.office_ids(actor)).values())


def urgent_open_by_office(*, office_ids, category: str = "",
                          using: str = "default") -> dict[int, int]:
    """Per office of ``office_ids`` (those with any), how many of its open cases (of
    ``category``, if given) are flagged urgent and not cleared by staff: two queries,
    nothing decrypted. ``using``: the database to read (the statistics' replica).

    First the few open flags (their partial index), then those cases by primary key: as
    one join, PostgreSQL misjudged how many cases a category leaves and merge-joined the
    flags along the whole primary key of the cases (1M cases: 300-400 ms instead of a few).
    A case has one flag at most, so counting the cases counts the flags."""
    flagged = list(UrgencyFlag.objects.using(using).filter(urgent=True, open=True)
                   .values_list("case_id", flat=True))
    if not flagged:
        return {}
    cases = Case.objects.using(using).filter(pk__in=flagged, office_id__in=list(office_ids),
                                             state__in=OPEN_STATES)
    if category:
        cases = cases.filter(category=category)
    return dict(cases.values("office_id").annotate(n=Count("pk"))
                .values_list("office_id", "n").order_by())


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    reason: str
    citation: str
    verify: bool


def case_urgency(case: Case, language: str | None) -> dict | None:
    """The standing flag of ``case`` for its page: the reasons in ``language`` from the
    rulebook version that set it (a code it no longer knows is shown as the code); None
    when the case is not flagged or the flag was cleared."""
    flag = UrgencyFlag.objects.filter(case_id=case.pk, urgent=True).first()
    if flag is None:
        return None
    flag.case = case  # the key is the case's service member's
    try:
        rules = rulebook.get(flag.rulebook_version).urgency
    except rulebook.RulebookError:
        rules = {}
    book = rulebook.get(case.rulebook_version)
    reasons = []
    for code in flag.codes:
        rule = rules.get(code)
        if rule is None:
            reasons.append(Reason(code, code, "", "", False))
            continue
        reasons.append(Reason(code, rule.label.get(language), rule.reason.get(language),
                              book.citation(rule.citation, language) if rule.citation
                              else "", rule.verify))
    return {"flag": flag, "reasons": reasons}
