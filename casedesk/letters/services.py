"""Letters to applicants: generated from a template, stored in the case file as PDF and DOCX.

``letter_generate`` is the only way letters enter a case file. The template in force is the
one edited in the admin (``LetterTemplate``) if there is one, else the rulebook's file
``letters/<kind>.<language>.html`` of the version the case was opened under.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.models import RegisterCounter
from casedesk.accounts.services import format_register_number, is_administrator
from casedesk.audit.services import audit_defer
from casedesk.cases import documents, events, permissions, timeline
from casedesk.cases.incoming import incoming_number_of_case
from casedesk.cases.models import Case, Document, DocumentType
from casedesk.cases.services import local_date
from casedesk.cases.workflow import Outcome
from casedesk.core import hooks
from casedesk.core.errors import ApplicationError

from . import selectors
from .kinds import LANGUAGES, SPECS, sample_context
from .models import LetterKind, LetterTemplate
from .rendering import (
    DOCX_TEMPLATE,
    LetterSource,
    html_to_pdf,
    letter_parts,
    parts_to_docx,
)

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Decision outcomes the letter knows besides the case outcomes (cases.workflow.Outcome):
# the commission may send a case back for more information.
OTHER_OUTCOMES = {"request_information": _("more information requested")}

MISSING_TEXT = {
    "message": _("Write the question to the applicant."),
    "reason": _("Give the reason for the extension."),
    "forwarded_to": _("Name the body the appeal was forwarded to."),
    "outcome": _("Choose the outcome of the decision."),
    "reasoning": _("Give the reasons for the decision."),
    "ground": _("The case was not left unanswered on a lawful ground."),
}
MISSING_DATE = {
    "new_due_on": _("No answer deadline is running: give the new due date."),
    "signed_on": _("Give the date the decision was signed."),
}


@dataclass(frozen=True)
class RenderedLetter:
    html: str
    pdf: bytes
    docx: bytes


def _render(source: LetterSource, context: dict) -> RenderedLetter:
    """HTML, PDF and DOCX of one letter, or ApplicationError("letter_template")."""
    html = source.render(context)
    parts = letter_parts(html, template=source.name)
    pdf = html_to_pdf(html, base_url=source.folder, template=source.name)
    docx = parts_to_docx(parts, docx_template=source.folder / DOCX_TEMPLATE)
    return RenderedLetter(html=html, pdf=pdf, docx=docx)


def _check_kind(kind: str, language: str) -> None:
    if kind not in SPECS:
        raise ApplicationError("unknown_letter", _("There is no letter of this kind."))
    if language not in LANGUAGES:
        raise ApplicationError("unknown_language",
                               _("Letters can be written in Russian or English only."))


# --- the context -----------------------------------------------------------------------------


def _as_date(value, key: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return local_date(value)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApplicationError("letter_context", _("“%(key)s” is not a date."),
                               key=key) from None


def _context(case: Case, *, kind: str, language: str, given: dict,
             letter_date: dt.date, outgoing_number: str = "", signatory=None,
             enclosures: tuple[str, ...] = ()) -> dict:
    """The full template context: the common part from the case (and the letter's
    outgoing number and signatory, when it has them), the kind's part from ``given`` (with
    the defaults the case supplies)."""
    spec = SPECS[kind]
    unknown = sorted(set(given) - set(spec.given))
    if unknown:
        raise ApplicationError("letter_context", _("This letter takes no “%(keys)s”."),
                               keys=", ".join(unknown))
    office = case.office
    addressee = selectors.letter_addressee(case)
    addressee_given, addressee_gender = selectors.name_for_salutation(addressee)
    answer_due = selectors.letter_answer_due(case)
    context = {
        "language": language,
        "office": office.name_en if language == "en" else office.name_ru,
        "date": letter_date,
        "addressee": addressee,
        "addressee_given": addressee_given,
        "addressee_gender": addressee_gender,
        "case_number": case.number,
        "received_on": local_date(case.received_at),
        "registered_on": local_date(case.registered_at) if case.registered_at else None,
        # The вх. № of the appeal that opened the case ("" before it is registered).
        "incoming_number": incoming_number_of_case(case),
        "answer_due": answer_due,
        "status_url": f"{settings.CASEDESK_PUBLIC_URL.rstrip('/')}/{language}/status/",
        "office_address": office.address(language),
        "addressee_address": selectors.letter_addressee_address(case),
        "outgoing_number": outgoing_number,
        "signatory": signatory.get_full_name() if signatory is not None else "",
        "signatory_position": signatory.position(language) if signatory is not None else "",
    }
    defaults = {
        "forwarded_to": case.forwarded_to,
        "outcome": case.outcome,
        "new_due_on": answer_due,
        "signed_on": letter_date,
        "ground": case.unanswered_ground,
    }
    for key in spec.texts:
        value = str(given.get(key) or defaults.get(key) or "").strip()
        if not value:
            raise ApplicationError("letter_context", MISSING_TEXT[key])
        context[key] = value
    for key in spec.dates:
        value = _as_date(given.get(key), key) or defaults.get(key)
        if value is None:
            raise ApplicationError("letter_context", MISSING_DATE[key])
        context[key] = value
    for key in spec.optional:
        context[key] = str(given.get(key) or "").strip()
    for key in spec.flags:
        context[key] = bool(given.get(key))
    context.update(_procedure_context(case, language))
    if kind == LetterKind.DECISION:
        context["remedies"] = _remedies(case, language)
    if kind == LetterKind.COVERING_LETTER:
        _covering_context(context, case, language)
    if kind == LetterKind.UNANSWERED_NOTICE:
        _unanswered_context(context, case, language)
    if "enclosures" in spec.derived:
        context["enclosures"] = list(enclosures)
    if kind in (LetterKind.DECISION, LetterKind.ANSWER) and context["outcome"]:
        labels = {**dict(Outcome.choices), **OTHER_OUTCOMES}
        if context["outcome"] in labels:
            with translation.override(language):
                context["outcome_label"] = str(labels[context["outcome"]])
        elif not context["outcome_label"]:
            raise ApplicationError("letter_context", _("Unknown outcome “%(outcome)s”."),
                                   outcome=context["outcome"])
    return context


def _procedure_of(case: Case):
    book = rulebook.get(case.rulebook_version)
    procedure = book.procedures.get(case.procedure)
    if procedure is None:
        raise ApplicationError("unknown_procedure",
                               _("The case's procedure is not in its rulebook."))
    return book, procedure


def _procedure_citation(case: Case, citation: str) -> str:
    """A regional commissioner's citations name the office's regional law too."""
    _book, procedure = _procedure_of(case)
    regional = (case.office.regional_law or "").strip()
    if citation and procedure.regional_law and regional:
        # The rulebook's generic "закон субъекта …" gives way to the office's own law.
        return f"{citation.split(';')[0].strip()}; {regional}"
    return citation


def _procedure_context(case: Case, language: str) -> dict:
    """What every letter says about the basis of the office's procedure: the law of ITS
    kind (a commissioner's letters never cite 59-FZ; an NGO's cite its own rules)."""
    book, procedure = _procedure_of(case)
    basis = procedure.citation
    if procedure.regional_law:
        basis = _procedure_citation(case, basis)
    return {
        "procedure_kind": procedure.kind,
        "procedure_basis": book.citation(basis, language),
        "own_policy": procedure.own_policy,
        "forwarding_basis": book.citation(
            _procedure_citation(case, procedure.letters.forwarding), language),
        "extension_basis": book.citation(
            _procedure_citation(case, procedure.letters.extension), language),
    }


def _remedies(case: Case, language: str) -> list[dict]:
    """The remedies against the body's act the decision letter names (review.yaml)."""
    book, procedure = _procedure_of(case)
    return [{"text": r.text.get(language), "citation": book.citation(r.citation, language)}
            for r in book.review.remedies_for(procedure.kind)]


def _covering_context(context: dict, case: Case, language: str) -> None:
    """The covering letter goes to the body: it is the addressee, the applicant is named
    in the text; what the law says about forwarding comes from the rulebook: the
    citation of the office's procedure, and the deadline rule's summary only where the
    procedure forwards under the rule's own law."""
    context["applicant"] = context["addressee"]
    context.update(addressee=context["forwarded_to"], addressee_given="", addressee_gender="")
    book, procedure = _procedure_of(case)
    ground = book.grounds.get(case.unanswered_ground) if case.forward_body else None
    if ground is not None and ground.forward and ground.summary is not None:
        # An anonymous report of an offence (59-FZ art. 11 part 1): the letter quotes the
        # ground, not the forwarding rule, and says the applicant could not be notified.
        context["forwarding_rule"] = ground.summary.get(language)
        context["forwarding_citation"] = ground.citation
        context["forwarding_days"] = None
        context["applicant_notified"] = False
        return
    rule = book.rules.get("forwarding")
    citation = _procedure_citation(case, procedure.letters.forwarding)
    same_law = rule is not None and rule.citation == procedure.letters.forwarding
    context["forwarding_rule"] = rule.summary.get(language) \
        if same_law and rule.summary else ""
    context["forwarding_citation"] = citation
    context["forwarding_days"] = rule.period.days \
        if rule and rule.code in procedure.deadlines else None
    context["applicant_notified"] = True


def _unanswered_context(context: dict, case: Case, language: str) -> None:
    ground = rulebook.get(case.rulebook_version).grounds.get(context["ground"])
    if ground is None or not ground.notify_applicant or ground.notice is None:
        raise ApplicationError("no_notice_owed",
                               _("The law requires no notice to the applicant on this ground."))
    context["ground_label"] = ground.label.get(language)
    context["ground_notice"] = ground.notice.get(language)
    # 59-FZ art. 11 binds a public body; a commissioner cites its own law, an NGO its
    # own rules (the template says so when the citation is empty).
    book, procedure = _procedure_of(case)
    if procedure.kind == "public_body":
        context["ground_citation"] = ground.citation
    else:
        context["ground_citation"] = book.citation(
            _procedure_citation(case, procedure.letters.unanswered), language)


# --- generating ------------------------------------------------------------------------------


def register_number_peek(*, office, direction: str, on: dt.date) -> str:
    """The number ``accounts.services.register_number_next`` will most likely give next,
    read without a lock: what a letter is rendered with before its transaction.
    ``letter_file_inner`` renders again if the number drawn under lock differs."""
    last = (RegisterCounter.objects.filter(office=office, direction=direction, year=on.year)
            .values_list("last", flat=True).first()) or 0
    return format_register_number(office.code, on.year, last + 1)


@dataclass(frozen=True)
class LetterSpec:
    """What a letter says besides what the case says: the kind's own facts (``given``),
    its date, number, signatory and enclosures, and who may read it."""

    kind: str
    language: str
    given: dict
    letter_date: dt.date
    public: bool = True
    outgoing_number: str = ""
    signatory: object = None
    enclosures: tuple[str, ...] = ()


@dataclass
class LetterDraft:
    """A letter rendered and its files stored (PDF, DOCX), not yet in the case file:
    ``letter_file_inner`` files it, ``letter_discard`` deletes its files if it is not
    filed after all. ``context`` and ``source`` are what it was rendered from."""

    case_id: int
    spec: LetterSpec
    source: LetterSource
    context: dict
    documents: list[Document]
    renders: int = 1  # how often it was rendered (a second time: it was stale under lock)


def _spec(case: Case, *, kind: str, language: str | None, context: dict | None,
          at: dt.datetime | None, public: bool, outgoing_number: str, signatory,
          enclosures) -> LetterSpec:
    language = language or selectors.letter_case_language(case)
    _check_kind(kind, language)
    return LetterSpec(kind=kind, language=language, given=dict(context or {}),
                      letter_date=local_date(at or timezone.now()), public=public,
                      outgoing_number=outgoing_number, signatory=signatory,
                      enclosures=tuple(enclosures))


def _full_context(case: Case, spec: LetterSpec) -> dict:
    return _context(case, kind=spec.kind, language=spec.language, given=spec.given,
                    letter_date=spec.letter_date, outgoing_number=spec.outgoing_number,
                    signatory=spec.signatory, enclosures=spec.enclosures)


def _files(case: Case, spec: LetterSpec, rendered: RenderedLetter, actor) -> list[Document]:
    """The letter's documents, their (encrypted) files written, the rows not saved."""
    made = []
    try:
        for extension, content_type, data in (("pdf", PDF, rendered.pdf),
                                              ("docx", DOCX, rendered.docx)):
            document = Document(
                case=case,
                doc_type=DocumentType.LETTER,
                original_name=timeline.letter_file_name(case.number, spec.kind, spec.language,
                                                       extension),
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                generated=True,
                public=spec.public,
                uploaded_by=actor,
            )
            documents.file_store(document, data)
            made.append(document)
    except BaseException:
        _delete_files(made)
        raise
    return made


def _delete_files(stored: list[Document]) -> None:
    for document in stored:
        try:
            document.file.storage.delete(document.file.name)
        except Exception:
            logger.exception("could not delete the file of a failed letter")


def letter_render(
    *,
    actor,
    case: Case,
    kind: str,
    language: str | None = None,
    context: dict | None = None,
    at: dt.datetime | None = None,
    system: bool = False,
    public: bool = True,
    outgoing_number: str = "",
    signatory=None,
    enclosures: tuple[str, ...] = (),
) -> LetterDraft:
    """The slow half of ``letter_generate``, done before any lock is taken: check the
    actor, build the context from the case as it is now, render the HTML, PDF and DOCX
    and write the files. Nothing is locked and no row is written; ``letter_file_inner``
    files the draft in the caller's transaction."""
    if actor is None and not system:
        raise ApplicationError("forbidden", _("You are not allowed to do this."))
    case = Case.objects.select_related("office").get(pk=case.pk)
    if actor is not None:
        permissions.require(actor, case, "letter")
    spec = _spec(case, kind=kind, language=language, context=context, at=at, public=public,
                 outgoing_number=outgoing_number, signatory=signatory, enclosures=enclosures)
    full_context = _full_context(case, spec)
    source = selectors.letter_source(kind=kind, language=spec.language,
                                     book=rulebook.get(case.rulebook_version))
    rendered = _render(source, full_context)
    return LetterDraft(case_id=case.pk, spec=spec, source=source, context=full_context,
                       documents=_files(case, spec, rendered, actor))


def letter_discard(draft: LetterDraft | None) -> None:
    """Delete the files of a draft that was not filed (its transaction failed)."""
    if draft is not None:
        _delete_files(draft.documents)


def letter_file_inner(*, actor, draft: LetterDraft, spec: LetterSpec | None = None,
                      at: dt.datetime | None = None,
                      audits: list[dict] | None = None) -> list[Document]:
    """File a rendered letter (``letter_render``) in the caller's transaction: lock the
    case, check the actor again, save the two documents and their timeline events. Its
    audit entry goes to ``audits`` for the caller to write last (``None``: at once).

    ``spec`` is what the letter must say now, when it differs from what it was rendered
    with: a number drawn under lock, the text of an answer read under lock. The letter
    is checked, not trusted: the context is built again from the locked case and
    ``spec``, and if it differs from the one rendered (the number was taken by another
    letter meanwhile, the case changed, the day turned, the template was edited) the
    letter is rendered again here, under the case's lock but never under the audit
    chain's (which the caller takes last). That is rare, and it is what keeps a filed
    letter true to the rows it is filed with."""
    spec = spec or draft.spec
    with transaction.atomic():
        # The case's row only (``of``): a lock on the office's row would conflict with
        # the foreign-key checks of every other writer of that office.
        locked = Case.objects.select_for_update(of=("self",)).select_related("office") \
            .get(pk=draft.case_id)
        at = at or timezone.now()  # after the lock: times follow the order of the moves
        if actor is not None:
            permissions.require(actor, locked, "letter")
        _check_kind(spec.kind, spec.language)
        full_context = _full_context(locked, spec)
        source = selectors.letter_source(kind=spec.kind, language=spec.language,
                                         book=rulebook.get(locked.rulebook_version))
        if (full_context, source, spec) != (draft.context, draft.source, draft.spec):
            rendered = _render(source, full_context)
            stale, draft.documents = draft.documents, _files(locked, spec, rendered, actor)
            _delete_files(stale)
            draft.spec, draft.source, draft.context = spec, source, full_context
            draft.renders += 1
        created = []
        for document in draft.documents:
            document.case = locked
            document.save()
            events.document_added(locked, at=at, actor=actor, document_id=document.pk,
                                  doc_type=DocumentType.LETTER, public=spec.public)
            created.append(document)
        hooks.emit("letter_generated", case_id=locked.pk, kind=spec.kind,
                   language=spec.language, document_ids=[d.pk for d in created])
        audit_defer(audits, action="letter.generated", actor=actor, object_type="case",
                    object_id=locked.pk, data={"kind": spec.kind, "language": spec.language,
                                               "document": [d.pk for d in created]})
    return created


def letter_generate(
    *,
    actor,
    case: Case,
    kind: str,
    language: str | None = None,
    context: dict | None = None,
    at: dt.datetime | None = None,
    system: bool = False,
    public: bool = True,
    outgoing_number: str = "",
    signatory=None,
    enclosures: tuple[str, ...] = (),
) -> list[Document]:
    """Write a letter of ``kind`` to the case's applicant and store it in the case file as
    a PDF and a DOCX (public: the applicant can download them); return both documents.

    ``context`` holds the kind's own facts (see ``kinds.SPECS``): ``message`` for an
    information request; ``reason`` and optionally ``new_due_on`` (default: the running
    answer deadline) for an extension notice; ``forwarded_to`` (default: the case's) for
    a forwarding notice; for a decision ``outcome`` (a ``cases.workflow.Outcome`` code or
    ``request_information``; any other code needs ``outcome_label``), ``reasoning``,
    ``signed_on`` (a date or datetime; default: the letter's date) and ``corrects`` (true
    if it corrects an earlier decision); optionally ``access_code`` for an
    acknowledgement; ``text`` (and optionally ``outcome``, ``supplement``,
    ``supplements_number``) for an answer. Unknown keys are refused. ``outgoing_number``
    (the office's исх. №), ``signatory`` (the user who signs) and ``enclosures`` (names of
    enclosed documents) are printed on any letter that has them.

    ``public=False`` keeps the letter from the applicant (the covering letter to a body).

    Staff of the case's office (intake clerk, caseworker, supervisor, commission member)
    may write letters; casedesk itself does with ``actor=None, system=True``. Nothing is
    stored if the template or the context is wrong.

    The letter is rendered and its files written first (``letter_render``), before any
    lock; then one transaction (the caller's, if there is one) files it
    (``letter_file_inner``) and writes the audit entry. Called inside an action that has
    already written to the audit chain, the rendering would run under the chain's lock:
    such an action renders with ``letter_render`` before its transaction instead. The
    files are deleted again if this transaction fails; if a transaction around the call
    rolls back later, the files stay (as with uploads).
    """
    draft = letter_render(actor=actor, case=case, kind=kind, language=language,
                          context=context, at=at, system=system, public=public,
                          outgoing_number=outgoing_number, signatory=signatory,
                          enclosures=enclosures)
    try:
        with transaction.atomic():
            created = letter_file_inner(actor=actor, draft=draft, at=at, audits=None)
    except BaseException:
        letter_discard(draft)
        raise
    return created


def letter_preview(kind: str, language: str, context: dict | None = None, *,
                   body: str | None = None) -> bytes:
    """A PDF of the letter with the sample context (``context`` overrides parts of it),
    from the template in force, or from ``body`` if given (an edit not saved yet)."""
    _check_kind(kind, language)
    book = rulebook.current()
    if body is None:
        source = selectors.letter_source(kind=kind, language=language, book=book)
    else:
        source = LetterSource(kind=kind, language=language,
                              folder=selectors.letters_folder(book), body=body)
    full_context = {**sample_context(kind, language), **(context or {})}
    html = source.render(full_context)
    letter_parts(html, template=source.name)
    return html_to_pdf(html, base_url=source.folder, template=source.name)


def letter_check(*, kind: str, language: str, folder: Path, body: str | None = None
                 ) -> RenderedLetter:
    """Render the template (the file in ``folder``, or ``body``) with the sample context
    to HTML, PDF and DOCX; raise ApplicationError("letter_template") if any step fails."""
    _check_kind(kind, language)
    source = LetterSource(kind=kind, language=language, folder=folder, body=body)
    return _render(source, sample_context(kind, language))


def letter_template_save(*, actor, kind: str, language: str, body: str) -> LetterTemplate:
    """Replace the file template of ``kind`` in ``language`` with ``body``, after checking
    that it renders to HTML, PDF and DOCX with the sample context."""
    if not is_administrator(actor):
        raise ApplicationError("forbidden", _("You are not allowed to do this."))
    letter_check(kind=kind, language=language, body=body,
                 folder=selectors.letters_folder(rulebook.current()))
    # Not durable: the admin calls it inside the transaction of its change form.
    with transaction.atomic():
        template, _created = LetterTemplate.objects.update_or_create(
            kind=kind, language=language, defaults={"body": body, "updated_by": actor},
        )
    return template
