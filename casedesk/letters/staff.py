"""Letters staff send from the case file: the text comes from what the case recorded."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from casedesk.audit.services import audit_record_many
from casedesk.cases import timeline
from casedesk.cases.access import access_code_issue_inner
from casedesk.cases.models import Case, Document
from casedesk.core import secrets
from casedesk.core.errors import ApplicationError

from .services import letter_discard, letter_file_inner, letter_render

STAFF_KINDS = ("acknowledgement", "information_request", "extension_notice",
               "forwarding_notice")


def case_letter(*, actor, case: Case, kind: str) -> list[Document]:
    """Generate a letter of ``kind`` for the case (PDF and DOCX in the case file). An
    acknowledgement for a case without an access code issues one and prints it.

    The letter is rendered before any lock (``letter_render``), with the new access code
    drawn beforehand; one transaction then issues the code, files the letter (which is
    checked again, under the case's lock) and writes the audit entries last."""
    if kind not in STAFF_KINDS:
        raise ApplicationError("unknown_letter", _("Choose a kind of letter."))
    context: dict = {}
    code = ""
    if kind == "acknowledgement" and not case.access_code_hash:
        code = context["access_code"] = secrets.access_code_new()
    elif kind == "information_request":
        asked = timeline.question_event(case)
        if asked is None:
            raise ApplicationError("nothing_asked",
                                   _("No question was asked in this case yet."))
        context["message"] = asked.texts.get("message", "")
    elif kind == "extension_notice":
        extended = case.events.filter(kind="deadline_extended").order_by("-at", "-id").first()
        if extended is None:
            raise ApplicationError("not_extended",
                                   _("The deadline of this case was not extended."))
        context.update(reason=extended.texts.get("reason", ""),
                       new_due_on=extended.data["due_on"])
    elif kind == "forwarding_notice" and not case.forwarded_to:
        raise ApplicationError("not_forwarded", _("This case was not forwarded."))
    draft = letter_render(actor=actor, case=case, kind=kind, context=context)
    audits: list[dict] = []
    try:
        with transaction.atomic(durable=True):
            if code:
                access_code_issue_inner(actor=actor, case=case, code=code, audits=audits)
            created = letter_file_inner(actor=actor, draft=draft, audits=audits)
            audit_record_many(audits)  # last: the chain stays locked until the commit
    except BaseException:
        letter_discard(draft)
        raise
    return created
