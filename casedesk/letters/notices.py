"""The letters the law requires around a move, written with the move (issue 14 part 2).

- Forwarding (59-FZ art. 8 part 3): a notice to the applicant (``forwarding_notice``) and a
  covering letter to the body (``covering_letter``, in Russian, kept in the case file for
  staff: not public). An anonymous report of an offence forwarded on the rulebook's
  ground (art. 11 part 1, ``forward: true``) gets the covering letter only.
- Leaving unanswered (59-FZ art. 11): the notice to the applicant (``unanswered_notice``)
  when the rulebook's ground says one is owed (``notify_applicant``).
- Extension (59-FZ art. 12 part 2): the notice with the new date (``extension_notice``),
  when a supervisor extends a deadline or approves a caseworker's request.

Each letter gets the next number of the office's outgoing register (``outgoing_number``).
The move and its letters are one transaction: a move whose letter cannot be written is
refused, so a case is never forwarded, left unanswered or extended without its notice.
The applicant reads the notices on the status page (public letters of the case file).

Locks: these letters state the move's result (the body forwarded to, the ground, the new
due date), so they are rendered after the move, under the case's row lock; the audit
entries of the move and of the letters are written together at the very end
(``_outermost``), so the audit chain's global lock is never held while a letter renders.
The outgoing number is drawn after the render (see ``_letter``).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import replace

from django.db import transaction
from django.utils import timezone

from casedesk import rulebook
from casedesk.accounts.services import register_number_next
from casedesk.audit.services import audit_record_many
from casedesk.cases import extensions
from casedesk.cases.models import Case, Deadline, Document, ExtensionRequest
from casedesk.cases.services import case_transition_inner, deadline_extend_inner, local_date

from .models import LetterKind
from .services import (
    LetterDraft,
    letter_discard,
    letter_file_inner,
    letter_render,
    register_number_peek,
)


def _letter(*, actor, case: Case, kind: str, context: dict, at: dt.datetime,
            audits: list[dict], drafts: list[LetterDraft], language: str | None = None,
            public: bool = True) -> list[Document]:
    """Render the letter (under the case's lock, taken by the move: the letter states the
    move's result; never under the audit chain's, written last by the caller) with the
    number the register will most likely give, then draw the number and file the letter:
    ``letter_file_inner`` renders again only if another letter took that number meanwhile,
    so the office's register is locked for a render only then."""
    on = local_date(at)
    draft = letter_render(actor=actor, case=case, kind=kind, language=language,
                          context=context, at=at, public=public,
                          outgoing_number=register_number_peek(office=case.office,
                                                               direction="out", on=on))
    drafts.append(draft)
    number = register_number_next(office=case.office, direction="out", on=on)
    return letter_file_inner(actor=actor, draft=draft, at=at, audits=audits,
                             spec=replace(draft.spec, outgoing_number=number))


def letters_for_move(*, actor, case: Case, transition: str, at: dt.datetime,
                     audits: list[dict], drafts: list[LetterDraft]) -> list[Document]:
    """The letters the law requires after ``transition`` of ``case`` (already moved, in
    the caller's transaction). Their audit entries go to ``audits``, their drafts to
    ``drafts`` (the caller deletes their files if its transaction fails)."""
    case = Case.objects.select_related("office").get(pk=case.pk)
    kept = {"audits": audits, "drafts": drafts}
    if transition == "forward":
        context = {"forwarded_to": case.forwarded_to}
        ground = rulebook.get(case.rulebook_version).grounds.get(case.unanswered_ground)
        if ground is not None and ground.forward:
            # 59-FZ art. 11 part 1: an anonymous report of an offence; there is nobody to
            # notify, the covering letter cites the ground (``_covering_context``).
            return _letter(actor=actor, case=case, kind=LetterKind.COVERING_LETTER,
                           context=context, at=at, language="ru", public=False, **kept)
        return [
            *_letter(actor=actor, case=case, kind=LetterKind.FORWARDING_NOTICE,
                     context=context, at=at, **kept),
            *_letter(actor=actor, case=case, kind=LetterKind.COVERING_LETTER,
                     context=context, at=at, language="ru", public=False, **kept),
        ]
    if transition == "leave_unanswered":
        ground = rulebook.get(case.rulebook_version).grounds.get(case.unanswered_ground)
        if ground is not None and ground.notify_applicant:
            return _letter(actor=actor, case=case, kind=LetterKind.UNANSWERED_NOTICE,
                           context={"ground": ground.code}, at=at, **kept)
    return []


@contextmanager
def _outermost():
    """The durable transaction of an action that writes letters: yields the list its
    audit entries are gathered in (written last, when the block ends without error) and
    the list of its letters' drafts (their files deleted if the block fails)."""
    audits: list[dict] = []
    drafts: list[LetterDraft] = []
    try:
        with transaction.atomic(durable=True):
            yield audits, drafts
            audit_record_many(audits)  # last: the chain stays locked until the commit
    except BaseException:
        for draft in drafts:
            letter_discard(draft)
        raise


def case_move(*, actor, case: Case, transition: str, reason: str = "", message: str = "",
              outcome: str = "", forwarded_to: str = "", forward_body: str = "",
              ground: str = "", at: dt.datetime | None = None) -> Case:
    """``cases.services.case_transition`` and the letters the law requires for the move,
    in one transaction. An outermost action (durable)."""
    with _outermost() as (audits, drafts):
        moved = case_transition_inner(
            actor=actor, case=case, transition=transition, reason=reason, message=message,
            outcome=outcome, forwarded_to=forwarded_to, forward_body=forward_body,
            ground=ground, at=at, audits=audits)
        letters_for_move(actor=actor, case=moved, transition=transition,
                         at=at or timezone.now(), audits=audits, drafts=drafts)
    return moved


def _extension_notice(*, actor, case: Case, deadline: Deadline, reason: str,
                      at: dt.datetime, audits: list[dict],
                      drafts: list[LetterDraft]) -> list[Document]:
    case = Case.objects.select_related("office").get(pk=case.pk)
    return _letter(actor=actor, case=case, kind=LetterKind.EXTENSION_NOTICE,
                   context={"reason": reason, "new_due_on": deadline.due_on}, at=at,
                   audits=audits, drafts=drafts)


def deadline_extend_notify(*, actor, case: Case, days: int, reason: str,
                           rule: str = "answer", at: dt.datetime | None = None) -> Deadline:
    """A supervisor extends a running deadline; the applicant's notice with the new date
    is written with it. An outermost action (durable)."""
    with _outermost() as (audits, drafts):
        deadline = deadline_extend_inner(actor=actor, case=case, rule=rule, days=days,
                                         reason=reason, at=at, audits=audits)
        _extension_notice(actor=actor, case=case, deadline=deadline, reason=reason.strip(),
                          at=at or timezone.now(), audits=audits, drafts=drafts)
    return deadline


def extension_approve_notify(*, actor, request: ExtensionRequest,
                             at: dt.datetime | None = None) -> tuple[ExtensionRequest, Deadline]:
    """A supervisor approves a caseworker's request: the deadline is extended and the
    applicant's notice with the new date written, in one transaction. An outermost
    action (durable)."""
    with _outermost() as (audits, drafts):
        approved, deadline = extensions.extension_approve_inner(
            actor=actor, request=request, at=at, audits=audits)
        _extension_notice(actor=actor, case=approved.case, deadline=deadline,
                          reason=approved.reason, at=at or timezone.now(), audits=audits,
                          drafts=drafts)
    return approved, deadline
