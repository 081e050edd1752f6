"""The answer on the merits: drafted, approved where the office asks for it, signed.

The caseworker drafts the answer on the case page, inserting paragraphs of the rulebook
(``answers.yaml``) for the case's category. An office with ``answer_approval`` needs a
supervisor, not the author, to approve the draft (or to return it with a comment) before
it can be signed. Signing takes the next outgoing number of the office's register
(исх. №), makes the answer letter (PDF and DOCX, in the applicant's language, on the
office's letterhead, with the signatory's name and position) and moves the case to
``answered``: this is the only way a case is answered (``cases.workflow``: the ``answer``
move requires the signed answer's id).

A signed answer is never changed. A later answer *supplements* it (drafted the same way).
Signed while the case is answered or closed, a supplement leaves the case where it is (it
is one more letter, with its own number); signed after the case was reopened, it answers
the case again (``answered``).

Who may do what: caseworkers and supervisors of the case's office draft, submit and sign;
supervisors approve and return. Delivery follows the channel: the status page shows every
signed answer and its letter, the applicant is emailed when they gave an address
(``notifications``, hook ``answer_signed``) and answers to appeals that came by post are
listed for posting (``answers_to_post``, ``answer_mark_posted``).
"""

from __future__ import annotations

import datetime as dt
import string

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.services import register_number_next
from casedesk.audit.services import audit_record, audit_record_many
from casedesk.cases import events, permissions
from casedesk.cases.models import Case, Channel, Document
from casedesk.cases.services import case_transition_inner, local_date
from casedesk.cases.workflow import TRANSITIONS, Outcome
from casedesk.core import hooks, names
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState

from . import selectors
from .models import Answer, AnswerState, LetterKind
from .services import (
    LetterSpec,
    letter_discard,
    letter_file_inner,
    letter_render,
    register_number_peek,
)

WRITERS = permissions.roles_of("answer_draft")
APPROVERS = permissions.roles_of("answer_approve")
POSTERS = permissions.roles_of("answer_post")
MAX_TEXT = 20000
# Where a case may have an answer drafted (and supplements: answered, closed).
DRAFTING_STATES = frozenset({
    CaseState.REGISTERED, CaseState.IN_REVIEW, CaseState.AWAITING_INFORMATION,
    CaseState.REFERRED_TO_COMMISSION, CaseState.COMMISSION_DECIDED, CaseState.ANSWERED,
    CaseState.CLOSED,
})
SUPPLEMENT_STATES = frozenset({CaseState.ANSWERED, CaseState.CLOSED})
EDITABLE = frozenset({AnswerState.DRAFT, AnswerState.RETURNED})


# --- paragraphs of the rulebook ------------------------------------------------------------


class _KeepUnknown(dict):
    """Placeholders without a value stay in the text as written, visible to the editor."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _SafeFormatter(string.Formatter):
    """``str.format_map`` for rulebook texts: plain names only (no attribute or index
    access, no conversion or format spec, which could reach into objects); anything else
    is left as written."""

    def get_field(self, field_name, args, kwargs):
        if not field_name.isidentifier():
            return "{" + field_name + "}", field_name
        return kwargs[field_name], field_name

    def convert_field(self, value, conversion):
        return value

    def format_field(self, value, format_spec):
        return str(value)


def paragraph_fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its placeholders ({member_name}…) replaced by ``values``; unknown
    placeholders are kept visible. Never evaluates anything."""
    try:
        return _SafeFormatter().vformat(text, (), _KeepUnknown(values))
    except (ValueError, IndexError):  # stray braces: the text as it is
        return text


def paragraph_values(case: Case, language: str) -> dict[str, str]:
    """The placeholder values for ``case`` in ``language`` (personal data: the caller
    audits the read of the case)."""
    with translation.override(language):
        received = date_format(timezone.localtime(case.received_at), "DATE_FORMAT")
    return {
        "applicant_name": selectors.letter_addressee(case),
        **member_name_values(case.service_member.full_name, language),
        "case_number": case.number,
        "received_on": received,
        "office": case.office.name(language),
    }


def member_name_values(full_name: str, language: str) -> dict[str, str]:
    """The service member's name for the placeholders ``member_name`` (as written) and
    ``member_name_genitive``, ``_dative``, ``_accusative``: in a Russian text the name in
    that case (core.names.inflected: «касающемуся военнослужащего Петрова Артёма
    Александровича», where «Петров Артём Александрович» broke the sentence), in an
    English one as written."""
    values = {"member_name": full_name}
    for case in ("genitive", "dative", "accusative"):
        values[f"member_name_{case}"] = names.inflected(full_name, case) \
            if language == "ru" else full_name
    return values


def paragraphs_for(case: Case, language: str) -> list[dict]:
    """The rulebook's paragraphs for the case's category, filled for the case."""
    book = rulebook.get(case.rulebook_version)
    values = paragraph_values(case, language)
    return [{"code": p.code, "title": p.title.get(language),
             "text": paragraph_fill(p.text.get(language), values),
             "citation": p.citation or "", "verify": p.verify}
            for p in book.paragraphs_for(case.category)]


def paragraph_insert(*, case: Case, text: str, code: str, language: str) -> str:
    """``text`` with the filled paragraph ``code`` appended (a blank line between)."""
    book = rulebook.get(case.rulebook_version)
    paragraph = book.answer_paragraphs.get(code)
    if paragraph is None or not paragraph.for_category(case.category):
        raise ApplicationError("unknown_paragraph",
                               _("Choose a paragraph for this case's category."))
    filled = paragraph_fill(paragraph.text.get(language), paragraph_values(case, language))
    text = (text or "").rstrip()
    return f"{text}\n\n{filled}" if text else filled


# --- the services -----------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ApplicationError("too_long",
                               _("The text is too long (at most %(max)s characters)."),
                               max=MAX_TEXT)
    return text


def _lock(case: Case, actor, roles) -> tuple[Case, Answer | None]:
    # The case's row only: locking the office's row too (select_related) would make every
    # other writer of the office that checks a foreign key to it wait, and could deadlock
    # with one that holds the audit chain's lock.
    locked = (Case.objects.select_for_update(of=("self",)).select_related("office")
              .get(pk=case.pk))
    permissions.require(actor, locked, roles)
    current = (Answer.objects.select_for_update().filter(case=locked)
               .exclude(state=AnswerState.SIGNED).first())
    return locked, current


def _current(current: Answer | None) -> Answer:
    if current is None:
        raise ApplicationError("no_answer", _("There is no draft answer for this case."))
    return current


def answer_draft_save(*, actor, case: Case, text: str, outcome: str = "",
                      attachment_ids: list[int] | tuple[int, ...] = (),
                      at: dt.datetime | None = None) -> Answer:
    """Write the case's draft answer (the first save starts it; it supplements the last
    signed answer if there is one). A draft awaiting approval or approved cannot be
    changed: a supervisor returns it first."""
    text = _clean_text(text)
    outcome = (outcome or "").strip()
    if outcome and outcome not in Outcome.values:
        raise ApplicationError("unknown_outcome", _("Choose an outcome from the list."))
    with transaction.atomic(durable=True):
        locked, current = _lock(case, actor, WRITERS)
        at = at or timezone.now()
        if locked.state not in DRAFTING_STATES:
            raise ApplicationError(
                "case_not_answerable",
                _("A case that is “%(state)s” cannot be answered."),
                state=CaseState(locked.state).label)
        created = current is None
        if created:
            earlier = (Answer.objects.filter(case=locked, state=AnswerState.SIGNED)
                       .order_by("-signed_at", "-id").first())
            current = Answer(case=locked, author=actor, supplements=earlier)
        elif current.state not in EDITABLE:
            raise ApplicationError(
                "answer_locked",
                _("The answer is “%(state)s”: a supervisor must return it before it can be "
                  "changed."), state=AnswerState(current.state).label)
        documents = list(Document.objects.filter(case=locked, pk__in=list(attachment_ids)))
        if len(documents) != len(set(attachment_ids)):
            raise ApplicationError("unknown_document",
                                   _("Only documents of this case can be enclosed."))
        current.case = locked
        current.text, current.outcome, current.edited_by = text, outcome, actor
        current.save()
        current.attachments.set(documents)
        if created:
            events.answer_drafted(locked, at=at, actor=actor, answer_id=current.pk,
                                  supplements=current.supplements_id)
        audit_record(action="answer.saved", actor=actor, object_type="answer",
                     object_id=current.pk, data={"case": locked.pk,
                           "result": "created" if created else "changed"})
    return current


def _ready(answer: Answer) -> None:
    """Refuse an answer that has no text, or (unless it is a supplement) no outcome."""
    if not answer.text.strip():
        raise ApplicationError("missing_text", _("Write the answer."))
    if not answer.outcome and answer.supplements_id is None:
        raise ApplicationError("missing_outcome", _("Choose the outcome."))


def answer_submit(*, actor, case: Case, at: dt.datetime | None = None) -> Answer:
    """The author (or another caseworker) asks a supervisor to approve the draft."""
    with transaction.atomic(durable=True):
        locked, current = _lock(case, actor, WRITERS)
        at = at or timezone.now()
        current = _current(current)
        if current.state not in EDITABLE:
            raise ApplicationError("answer_state",
                                   _("The answer is “%(state)s”: it cannot be submitted."),
                                   state=AnswerState(current.state).label)
        _ready(current)
        current.state = AnswerState.SUBMITTED
        current.save(update_fields=["state", "updated_at"])
        events.answer_submitted(locked, at=at, actor=actor, answer_id=current.pk)
        audit_record(action="answer.submitted", actor=actor, object_type="answer",
                     object_id=current.pk, data={"case": locked.pk})
    return current


def answer_return(*, actor, case: Case, comment: str, at: dt.datetime | None = None) -> Answer:
    """A supervisor sends the draft back to be changed, saying what to change."""
    comment = _clean_text(comment)
    if not comment:
        raise ApplicationError("missing_comment", _("Say what should be changed."))
    with transaction.atomic(durable=True):
        locked, current = _lock(case, actor, APPROVERS)
        at = at or timezone.now()
        current = _current(current)
        if current.state not in (AnswerState.SUBMITTED, AnswerState.APPROVED):
            raise ApplicationError("answer_state",
                                   _("Only an answer awaiting approval or approved can be "
                                     "returned."))
        current.state, current.return_comment, current.approver = (
            AnswerState.RETURNED, comment, None)
        current.save(update_fields=["state", "return_comment", "approver", "updated_at"])
        events.answer_returned(locked, at=at, actor=actor, answer_id=current.pk,
                               comment=comment)
        audit_record(action="answer.returned", actor=actor, object_type="answer",
                     object_id=current.pk, data={"case": locked.pk})
    return current


def answer_approve(*, actor, case: Case, at: dt.datetime | None = None) -> Answer:
    """A supervisor who did not write the draft approves it for signing."""
    with transaction.atomic(durable=True):
        locked, current = _lock(case, actor, APPROVERS)
        at = at or timezone.now()
        current = _current(current)
        if current.state != AnswerState.SUBMITTED:
            raise ApplicationError("answer_state",
                                   _("Only an answer submitted for approval can be approved."))
        if actor.pk in (current.author_id, current.edited_by_id):
            raise ApplicationError("own_answer",
                                   _("Another supervisor must approve an answer you wrote."))
        _ready(current)
        current.state, current.approver = AnswerState.APPROVED, actor
        current.save(update_fields=["state", "approver", "updated_at"])
        events.answer_approved(locked, at=at, actor=actor, answer_id=current.pk)
        audit_record(action="answer.approved", actor=actor, object_type="answer",
                     object_id=current.pk, data={"case": locked.pk})
    return current


def _sign_check(locked: Case, current: Answer) -> bool:
    """Refuse an answer that cannot be signed now; whether signing moves the case to
    ``answered`` (else it is a supplement of a case that stays where it is)."""
    if locked.office.answer_approval and current.state != AnswerState.APPROVED:
        raise ApplicationError(
            "needs_approval",
            _("This office requires a supervisor's approval before an answer is signed."))
    if current.state == AnswerState.SUBMITTED:
        raise ApplicationError("answer_state",
                               _("The answer is awaiting approval."))
    _ready(current)
    moves = locked.state in TRANSITIONS["answer"].sources
    if moves and not current.outcome:  # a supplement that answers a reopened case
        raise ApplicationError("missing_outcome", _("Choose the outcome."))
    if not moves and not (current.supplements_id and locked.state in SUPPLEMENT_STATES):
        raise ApplicationError(
            "case_not_answerable",
            _("A case that is “%(state)s” cannot be answered."),
            state=CaseState(locked.state).label)
    return moves


def _letter_spec(case: Case, current: Answer, *, actor, at: dt.datetime,
                 number: str) -> LetterSpec:
    """What the answer's letter says besides the case: read from the answer."""
    supplements = current.supplements
    return LetterSpec(
        kind=LetterKind.ANSWER, language=selectors.letter_case_language(case),
        given={"text": current.text, "outcome": current.outcome,
               "supplement": supplements is not None,
               "supplements_number": supplements.outgoing_number if supplements else ""},
        letter_date=local_date(at), outgoing_number=number, signatory=actor,
        enclosures=tuple(d.original_name for d in current.attachments.all().order_by("pk")))


def answer_sign(*, actor, case: Case, at: dt.datetime | None = None) -> Answer:
    """Sign and send the answer: its outgoing number, its letter (PDF and DOCX in the
    applicant's language, stored in the case file and shown to the applicant) and, unless
    it supplements an answer of a case that stays answered or closed, the move of the
    case to ``answered`` with the answer's outcome.

    Where the office requires approval, only an approved answer can be signed.

    The letter is rendered before the transaction, with no lock held, from the answer as
    read then and the outgoing number the register will give next if no other letter of
    the office takes it first (``register_number_peek``). The transaction then locks the
    case and the answer, checks again, draws the number (the register stays locked to
    the commit, which keeps it without gaps) and files the letter with
    ``letter_file_inner``, which builds the letter's context again from the locked rows
    and the number drawn and renders again only if anything differs (another letter
    took the number meanwhile, the draft was returned and changed). Re-checking rather
    than rendering under the locks: the register is per office and the case lock per
    case, so the common case holds neither during a render, and the audit chain, written
    last, is never held during one. An outermost action (durable)."""
    preview, current = _unlocked(case, actor, WRITERS)
    current = _current(current)
    _sign_check(preview, current)
    at_preview = at or timezone.now()
    spec = _letter_spec(preview, current, actor=actor, at=at_preview,
                        number=register_number_peek(office=preview.office, direction="out",
                                                    on=local_date(at_preview)))
    draft = letter_render(actor=actor, case=preview, kind=spec.kind, language=spec.language,
                          context=spec.given, at=at_preview, outgoing_number=spec.outgoing_number,
                          signatory=actor, enclosures=spec.enclosures)
    audits: list[dict] = []
    try:
        with transaction.atomic(durable=True):
            locked, current = _lock(case, actor, WRITERS)
            at = at or timezone.now()
            current = _current(current)
            moves = _sign_check(locked, current)
            number = register_number_next(office=locked.office, direction="out",
                                          on=local_date(at))
            spec = _letter_spec(locked, current, actor=actor, at=at, number=number)
            pdf, docx = letter_file_inner(actor=actor, draft=draft, spec=spec, at=at,
                                          audits=audits)
            current.state, current.signer, current.signed_at = AnswerState.SIGNED, actor, at
            current.outgoing_number, current.language = number, spec.language
            current.letter_pdf, current.letter_docx = pdf, docx
            current.save()
            # The enclosures go to the applicant with the letter: she may download them.
            current.attachments.update(public=True)
            events.answer_signed(locked, at=at, actor=actor, answer_id=current.pk,
                                 number=number, supplements=current.supplements_id)
            if moves:
                case_transition_inner(actor=actor, case=locked, transition="answer",
                                      outcome=current.outcome, answer=current.pk, at=at,
                                      audits=audits)
            hooks.emit("answer_signed", case_id=locked.pk, answer_id=current.pk)
            audits.append(dict(action="answer.signed", actor=actor, object_type="answer",
                               object_id=current.pk,
                               data={"case": locked.pk, "letter": pdf.pk,
                                     "transition": "answer" if moves else None}))
            audit_record_many(audits)  # last: the chain stays locked until the commit
    except BaseException:
        letter_discard(draft)
        raise
    return current


def _unlocked(case: Case, actor, roles) -> tuple[Case, Answer | None]:
    """``_lock`` without the locks, for the work done before the transaction."""
    found = Case.objects.select_related("office").get(pk=case.pk)
    permissions.require(actor, found, roles)
    current = (Answer.objects.filter(case=found).exclude(state=AnswerState.SIGNED)
               .select_related("supplements").first())
    return found, current


def answer_mark_posted(*, actor, answer_id: int, at: dt.datetime | None = None) -> Answer:
    """Record that the signed letter of an appeal that came by post was put in the post."""
    with transaction.atomic(durable=True):
        answer = (Answer.objects.select_for_update().select_related("case")
                  .filter(pk=answer_id).first())
        if answer is None:
            raise ApplicationError("not_found", _("No such answer."))
        permissions.require(actor, answer.case, POSTERS)
        if answer.state != AnswerState.SIGNED:
            raise ApplicationError("answer_state", _("Only a signed answer can be posted."))
        channel = (answer.case.appeals.order_by("received_at", "id")
                   .values_list("channel", flat=True).first())
        if channel != Channel.LETTER:
            raise ApplicationError("not_by_post",
                                   _("This appeal did not come by post."))
        if answer.posted_at is None:
            answer.posted_at = at or timezone.now()
            answer.save(update_fields=["posted_at"])
        audit_record(action="answer.posted", actor=actor, object_type="answer",
                     object_id=answer.pk, data={"case": answer.case_id})
    return answer
