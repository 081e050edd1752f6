"""Flag urgent cases (in the background, after the receipt) and clear a flag (staff).

``cases_evaluate`` reads the appeals of the given cases with the urgency rules of each
case's rulebook version (``rules.match``) and stores a ``UrgencyFlag`` for the cases that
meet any. It runs in a task of its own (``tasks.urgency_evaluate``), queued by the hook
``cases_opened`` (intake.services.after_receipt), never on the intake path. Nothing it
reads is logged: a failure is logged by its kind and the number of cases only.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casedesk.audit.services import audit_record, audit_record_many
from casedesk.cases import permissions
from casedesk.cases.models import Appeal, Case
from casedesk.core.errors import ApplicationError

from . import rules
from .models import UrgencyFlag

logger = logging.getLogger(__name__)

CHUNK = 200  # cases per task


def evaluate_later(*, case_ids: list[int]) -> None:
    """The handler of the hook ``cases_opened`` (run after the commit): queue
    ``urgency_evaluate``. A failure to queue is logged and loses only the flag."""
    ids = list(case_ids)
    for start in range(0, len(ids), CHUNK):
        _enqueue(ids[start:start + CHUNK])


def _enqueue(case_ids: list[int]) -> None:
    from . import tasks

    try:
        tasks.urgency_evaluate.enqueue(case_ids=case_ids)
    except Exception as exc:  # noqa: BLE001 - the appeals are stored whatever happens here
        logger.warning("urgency not evaluated: count=%s error=%s", len(case_ids),
                       type(exc).__name__)


def cases_evaluate(*, case_ids: list[int]) -> list[int]:
    """Read every appeal of the cases ``case_ids`` and flag the urgent ones; the ids of
    the cases flagged (again). A flag staff cleared rises again only for a reason it
    did not have. Audited per flagged case (ids only: which rules matched is sensitive)."""
    if not case_ids:
        return []
    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids)
             .only("pk", "rulebook_version", "service_member_id")}
    found: dict[int, set[str]] = {}
    appeals = (Appeal.objects.filter(case_id__in=list(cases))
               .select_related("submitter").only("pk", "case_id", "text", "request",
                                                 "submitter__key_id"))
    for appeal in appeals.iterator(chunk_size=200):
        version = cases[appeal.case_id].rulebook_version
        codes = found.setdefault(appeal.case_id, set())
        for text in (appeal.text, appeal.request):
            if text:
                codes.update(rules.match(text, version))
    flagged: list[int] = []
    with transaction.atomic():
        # The cases first, then the audit chain's lock, as every service takes them (see
        # triage.services.suggest: the other order deadlocks with a staff move).
        list(Case.objects.select_for_update(no_key=True)
             .filter(pk__in=[pk for pk, codes in found.items() if codes])
             .order_by("pk").values_list("pk", flat=True))
        existing = {f.case_id: f for f in UrgencyFlag.objects.select_for_update()
                    .filter(case_id__in=[pk for pk, codes in found.items() if codes])
                    .select_related("case__service_member")}
        for case_id, codes in found.items():
            if not codes:
                continue
            case = cases[case_id]
            order = [code for code in _order(case.rulebook_version) if code in codes]
            flag = existing.get(case_id)
            if flag is None:
                UrgencyFlag.objects.create(case_id=case_id, reasons={"codes": order},
                                           rulebook_version=case.rulebook_version)
            else:
                known = set(flag.codes)
                if codes <= known:
                    continue  # nothing new (a cleared flag stays cleared)
                flag.reasons = {"codes": [c for c in _order(case.rulebook_version)
                                          if c in known | codes]}
                flag.urgent, flag.cleared_by, flag.cleared_at = True, None, None
                flag.set_at = timezone.now()
                flag.rulebook_version = case.rulebook_version
                flag.save()
            flagged.append(case_id)
        audit_record_many([dict(action="case.urgency_flagged", object_type="case",
                                object_id=case_id, data={"count": len(found[case_id])})
                           for case_id in flagged])
    return flagged


def _order(version: str) -> list[str]:
    return [rule.code for rule in rules.compiled(version)]


def urgency_clear(*, actor, case: Case) -> UrgencyFlag:
    """Record that ``case`` is not urgent ("Not urgent"): the flag stays, with who and
    when, and no longer marks the case. Needs ``urgency_clear`` on the case. Audited."""
    permissions.require(actor, case, "urgency_clear")
    with transaction.atomic():
        flag = (UrgencyFlag.objects.select_for_update().filter(case_id=case.pk).first())
        if flag is None or not flag.urgent:
            raise ApplicationError("not_urgent", _("The case is not marked as urgent."))
        UrgencyFlag.objects.filter(pk=flag.pk).update(urgent=False, cleared_by=actor,
                                                      cleared_at=timezone.now())
        audit_record(action="case.urgency_cleared", actor=actor, object_type="case",
                     object_id=case.pk)
    flag.refresh_from_db()
    return flag
