"""The applicant's access code, issued by staff: the case number and this code are the
applicant's key to the status page and the API (intake.public checks them)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from casedesk.audit.services import audit_defer, audit_record_many
from casedesk.cases import events as case_events
from casedesk.cases import permissions
from casedesk.cases.models import Appeal, Case
from casedesk.core import hooks, secrets


def access_code_issue(*, actor, case: Case, reason: str = "") -> str:
    """A new access code for the applicant of a case, shown once to the staff member who
    asked (for the acknowledgement letter, or to tell the applicant); the old one stops
    working.

    Who may, and when a ``reason`` (a ``permissions.CodeReissueReason`` code) is needed:
    ``permissions.require_access_code_issue``. Every issue is audited (case, channel,
    reason; never the code) and put on the case timeline; a code that replaced one is on
    the applicant's timeline too, and the applicant is emailed (without the code) where
    they gave an address (hook ``access_code_reissued``)."""
    code = secrets.access_code_new()
    audits: list[dict] = []
    with transaction.atomic(durable=True):
        access_code_issue_inner(actor=actor, case=case, code=code, reason=reason,
                                audits=audits)
        audit_record_many(audits)  # last: the chain stays locked until the commit
    return code


def access_code_issue_inner(*, actor, case: Case, code: str, reason: str = "",
                            audits: list[dict] | None = None) -> None:
    """``access_code_issue`` in the caller's transaction, with the ``code`` the caller
    drew beforehand (``secrets.access_code_new``: the acknowledgement letter prints it and
    is rendered before any lock). Its audit entry goes to ``audits`` for the caller to
    write last (``None``: at once)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        channel = (Appeal.objects.filter(case=locked).order_by("received_at", "id")
                   .values_list("channel", flat=True).first()) or ""
        replacing = bool(locked.access_code_hash)
        permissions.require_access_code_issue(actor, locked, channel=channel,
                                              replacing=replacing, reason=reason)
        reason_code = reason if replacing or reason else permissions.FIRST_CODE
        locked.access_code_hash = secrets.access_code_hash(code)
        locked.save(update_fields=["access_code_hash"])
        case_events.access_code_issued(locked, at=timezone.now(), actor=actor,
                                       replaced=replacing, reason_code=reason_code)
        if replacing:
            hooks.emit("access_code_reissued", case_id=locked.pk)
        audit_defer(audits,
                    action="access_code.reissued" if replacing else "access_code.issued",
                    actor=actor, object_type="case", object_id=locked.pk,
                    data={"case": locked.pk, "channel": channel, "reason_code": reason_code})
    case.access_code_hash = locked.access_code_hash
