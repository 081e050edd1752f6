""":func:`retention_apply` erases (:mod:`.erasure`) the people whose cases are all closed
and past the retention period of the rulebook version each case was opened under
(retention.yaml), and blanks the sealed access codes that are no longer needed
(:func:`sealed_codes_expire`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from casedesk import rulebook
from casedesk.audit.services import audit_record
from casedesk.cases.models import Appeal, Case, CaseApplicant
from casedesk.core.states import CaseState
from casedesk.intake.models import PublicSubmission
from casedesk.people.models import Person

from .erasure import TASKS_FINISHED, cases_about, person_erase

# How a closed case ended, from what the workflow leaves on it (a reopening clears all
# three): an outcome only by "answer", forward_body only by "forward", a ground only by
# "leave_unanswered"; none of them after "withdraw". (forward_body, the code, not the
# encrypted forwarded_to, which an erasure blanks.)
ENDINGS: dict[str, Q] = {
    "answered": ~Q(outcome=""),
    "forwarded": Q(outcome="") & ~Q(forward_body=""),
    "left_unanswered": Q(outcome="", forward_body="") & ~Q(unanswered_ground=""),
    "withdrawn": Q(outcome="", forward_body="", unanswered_ground=""),
}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def past_retention(today: dt.date) -> Q:
    """Cases that are closed and past the retention period of their rulebook version on
    ``today``. A case under a version that is not installed never is."""
    past = Q(pk__in=[])
    for version, book in rulebook.versions().items():
        retention = book.retention
        for rule in retention.closed_cases:
            before = _day_start(retention.closed_before(rule, today))
            for ending in rule.ended_as:
                past |= Q(rulebook_version=version, closed_at__lt=before) & ENDINGS[ending]
    return Q(state=CaseState.CLOSED, closed_at__isnull=False) & past


def _in_any(cases: QuerySet[Case]) -> Q:
    """People who are in one of ``cases`` (service member, applicant or appeal author)."""
    return (Q(Exists(cases.filter(service_member_id=OuterRef("pk"))))
            | Q(Exists(CaseApplicant.objects.filter(person_id=OuterRef("pk"),
                                                    case__in=cases.values("pk"))))
            | Q(Exists(Appeal.objects.filter(submitter_id=OuterRef("pk"),
                                             case__in=cases.values("pk")))))


def retention_due(today: dt.date) -> QuerySet[Person]:
    """People not yet erased who are in at least one case, all of them past retention."""
    retained = Case.objects.exclude(past_retention(today))
    return (Person.objects.filter(erased_at__isnull=True)
            .filter(_in_any(Case.objects.all()))
            .exclude(_in_any(retained)))


@dataclass(frozen=True)
class RetentionRun:
    today: dt.date
    dry_run: bool
    due: int  # people found past retention
    erased: int  # of them, erased now (0 in a dry run)
    skipped: int  # of them, kept because a case changed meanwhile (reopened, attached)
    kept: int  # people with an open case or one still within its period
    without_cases: int  # people in no case at all: never erased by retention
    unknown_versions: list[str]  # rulebook versions of cases that are not installed


# How long the sealed access code of a public submission is kept, so that a client that
# lost the answer and sends the same idempotency key again gets its code once more. After
# that a repeat gets the case number without the code (the lost-code page issues a new
# one).
SEALED_CODE_KEPT = dt.timedelta(days=1)


def sealed_codes_expire(*, now: dt.datetime | None = None) -> int:
    """Blank the sealed access codes that have served their purpose: those of public
    submissions older than ``SEALED_CODE_KEPT``, and those in the arguments of email
    tasks that have finished (sent or failed for good). Returns how many were blanked."""
    now = now or timezone.now()
    count = PublicSubmission.objects.filter(created_at__lt=now - SEALED_CODE_KEPT).exclude(
        sealed_access_code="").update(sealed_access_code="")
    from django.apps import apps

    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        finished = DBTaskResult.objects.filter(status__in=TASKS_FINISHED,
                                               args_kwargs__kwargs__has_key="sealed_code")
        for row in finished.exclude(args_kwargs__kwargs__sealed_code="").iterator():
            row.args_kwargs = {**row.args_kwargs,
                               "kwargs": {**row.args_kwargs["kwargs"], "sealed_code": ""}}
            row.save(update_fields=["args_kwargs"])
            count += 1
    return count


def retention_apply(*, today: dt.date | None = None, dry_run: bool = False) -> RetentionRun:
    """Erase (as the system, reason ``retention``) everyone whose cases are all closed and
    past retention; a dry run only counts. Each person is erased in a transaction of
    their own, after locking their cases and checking them again."""
    today = today or timezone.localdate()
    due_ids = list(retention_due(today).order_by("pk").values_list("pk", flat=True))
    erased = skipped = 0
    if not dry_run:
        for person_id in due_ids:
            with transaction.atomic():
                cases = cases_about(person_id)
                list(cases.select_for_update().values_list("pk", flat=True))
                if not cases.exists() or cases.exclude(past_retention(today)).exists():
                    skipped += 1
                    continue
                result = person_erase(actor=None, person=Person(pk=person_id),
                                      reason_code="retention")
                erased += 0 if result.already_erased else 1
    active = Person.objects.filter(erased_at__isnull=True)
    kept = active.filter(_in_any(Case.objects.exclude(past_retention(today)))).count()
    without = active.exclude(_in_any(Case.objects.all())).count()
    installed = set(rulebook.versions())
    unknown = sorted(Case.objects.exclude(rulebook_version__in=installed).order_by()
                     .values_list("rulebook_version", flat=True).distinct())
    if not dry_run:
        sealed_codes_expire()
        audit_record(action="retention.applied", data={"count": erased})
    return RetentionRun(today=today, dry_run=dry_run, due=len(due_ids), erased=erased,
                        skipped=skipped, kept=kept, without_cases=without,
                        unknown_versions=unknown)
