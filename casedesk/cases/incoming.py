"""The office's register of incoming mail: the incoming number (вх. №) of each appeal.

An appeal gets its number when it is registered: an appeal staff enter at the desk (letter,
email, phone, visit, forwarded) at once, for the date it was received; an appeal from the
public (web form, API, import), which waits in ``received``, when a clerk registers its
case (the ``register`` transition), for the date of that registration. Follow-ups the
applicant adds on the portal to a case already registered are additions to it, not new
appeals: they get no number. Numbers run per office and year without gaps (the counter row
is locked until the caller commits, ``accounts.services.register_number_next``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casedesk.accounts.models import Office
from casedesk.accounts.services import register_number_next

from .models import Appeal, Case, IncomingEntry


def _local_date(at: dt.datetime) -> dt.date:
    return timezone.localdate(at) if timezone.is_aware(at) else at.date()


def incoming_number_give(*, appeal: Appeal, office: Office, at: dt.datetime) -> IncomingEntry:
    """Enter ``appeal`` into ``office``'s incoming register on ``at``. Runs in the caller's
    transaction (which holds the register's counter until it commits)."""
    number = register_number_next(office=office, direction="in", on=_local_date(at))
    return IncomingEntry.objects.create(appeal=appeal, office=office, number=number,
                                        registered_at=at)


def incoming_numbers_give(*, case: Case, at: dt.datetime) -> list[IncomingEntry]:
    """Number every appeal of ``case`` that has no incoming number yet, oldest first (the
    case is being registered). Runs in the caller's transaction."""
    waiting = (Appeal.objects.filter(case_id=case.pk, incoming__isnull=True)
               .order_by("received_at", "pk"))
    return [incoming_number_give(appeal=appeal, office=case.office, at=at)
            for appeal in waiting]


def incoming_number_of_case(case: Case) -> str:
    """The incoming number of the case's first appeal (the one that opened it), or ""."""
    return (IncomingEntry.objects.filter(appeal__case_id=case.pk)
            .order_by("appeal__received_at", "appeal_id")
            .values_list("number", flat=True).first()) or ""

