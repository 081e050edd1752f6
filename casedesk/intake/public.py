"""The public side of intake: appeals from the web form and API, the access code, the
applicant's status view and replies. No account: the case number and access code are the
applicant's key."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.audit.services import audit_record, current_ip
from casedesk.cases import documents, permissions, timeline
from casedesk.cases.deadline_sync import calendar_of
from casedesk.cases.events import EventKind
from casedesk.cases.models import Appeal, Case, CaseEvent, Channel
from casedesk.cases.services import case_prepare, case_transition_inner
from casedesk.core import bulk, hooks, secrets
from casedesk.core.errors import ApplicationError
from casedesk.core.fields import blind_value
from casedesk.core.states import OPEN_STATES, CaseState
from casedesk.deadlines.rules import due_date
from casedesk.letters.selectors import answers_signed, documents_for_applicant

from . import batching, routing
from .models import PublicSubmission
from .services import (
    AppealDraft,
    PersonData,
    appeal_check,
    appeal_new,
    appeal_register,
    appeals_prepare,
    public_appeals_register,
    uploads_prepare,
)

MAX_ATTACHMENTS = 5
# The rate-limit group counting wrong access codes per case number, shared by the portal
# and the API so that both together allow CASEDESK_RATE_STATUS_FAILURES.
STATUS_FAILURES_GROUP = "status-failures"


@dataclass(frozen=True)
class Receipt:
    case_number: str
    access_code: str
    answer_due: dt.date | None
    office_id: int | None = None  # the office the appeal went to


# Cyrillic letters that look like the Latin ones of office codes: a Russian keyboard
# layout types them in a number copied by hand from a letter ("КСМ" for "KSM"). They are
# read as the Latin letter, so both spellings reach the same case and the same count of
# failed codes. Case numbers hold Latin capitals, digits and hyphens only
# (``cases.services.format_case_number``), so no real number is lost by this.
_LOOK_ALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
# Hyphens, dashes and minus signs that word processors and phones put for "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d]")
# What can be left of a real case number; anything else is dropped.
_NOT_IN_NUMBERS = re.compile(r"[^A-Z0-9-]")
CASE_NUMBER_MAX = 32


def case_number_normalise(case_number: str) -> str:
    """A case number as the applicant typed it, in the form stored: the one spelling used
    both to look the case up and to count its failed codes (portal and API alike), so that
    no way of writing a number gets a fresh count.

    Unicode compatibility forms folded (NFKC: full-width digits and letters), capitals,
    Cyrillic look-alike letters read as Latin, every dash read as "-", and everything
    else that cannot be in a case number dropped: spaces of any kind, NUL and other
    control characters, zero-width characters."""
    text = unicodedata.normalize("NFKC", str(case_number or "")[:256]).upper()
    text = _DASHES.sub("-", text.translate(_LOOK_ALIKES))
    return _NOT_IN_NUMBERS.sub("", text)[:CASE_NUMBER_MAX]


def status_locked_for(request, case_number: str) -> int | None:
    """Seconds until ``case_number`` may be tried again after too many wrong codes
    (CASEDESK_RATE_STATUS_FAILURES, counted per case number from anywhere, the portal and
    the API together), or None when it may be tried now."""
    usage = _status_failures(request, case_number, increment=False)
    if usage and usage["count"] >= usage["limit"]:
        return max(1, int(usage["time_left"]))
    return None


def status_failure_count(request, case_number: str) -> None:
    """Count one wrong code (or unknown number) against ``case_number``."""
    _status_failures(request, case_number, increment=True)


def _status_failures(request, case_number: str, *, increment: bool):
    from django.conf import settings
    from django_ratelimit import ALL
    from django_ratelimit.core import get_usage

    number = case_number_normalise(case_number)
    # One cache key for the portal and the API: the same group, key, rate and methods
    # (django-ratelimit puts the methods in the key).
    return get_usage(request, group=STATUS_FAILURES_GROUP, key=lambda group, req: number,
                     rate=settings.CASEDESK_RATE_STATUS_FAILURES, method=ALL,
                     increment=increment)


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Submission:
    """A public appeal checked and ready to write (``appeal_submit``)."""

    key_hash: str
    fingerprint: str
    draft: AppealDraft
    category: str
    language: str
    received_at: dt.datetime
    access_code: str
    ip: str
    office: Office  # where it goes (``routing.office_route``)


def appeal_submit(
    *,
    channel: str,
    idempotency_key: str,
    payload: dict,
    applicant: PersonData,
    relation: str,
    service_member: PersonData | None,
    text: str,
    request: str = "",
    category: str = "other",
    language: str = "ru",
    consent: bool,
    attachments: list[tuple] = (),
    chosen_office: str = "",
    office: Office | None = None,
    received_at: dt.datetime | None = None,
    guide_answers: dict | None = None,
    guide_version: str = "",
) -> Receipt:
    """Register an appeal from the public and issue its access code, exactly once per
    idempotency key: a repeat with the same key and the same content gets the same
    receipt; the same key with different content is refused.

    The appeal goes to the office serving the service member's or the applicant's region,
    or to ``chosen_office`` (a code) where that one serves it too (``routing``).
    ``office``: an office given by the caller instead (scripts and tests; written alone).
    ``guide_answers``, ``guide_version``: the answers given in the portal's pathways guide
    and its rulebook version, stored with the appeal (encrypted like its text); the
    caller puts them in ``payload`` too, so that they count in its fingerprint.

    The content is checked here, in the request. An appeal without attachments is then
    written by the process's registrar (``batching``) together with the appeals arriving
    at the same moment, when CASEDESK_INTAKE_BATCH allows; the answer comes only after the
    commit either way."""
    if channel not in (Channel.WEB, Channel.API):
        raise ApplicationError("unknown_channel", _("Unknown channel."))
    key = (idempotency_key or "").strip()
    if not 8 <= len(key) <= 200:
        raise ApplicationError("bad_idempotency_key",
                               _("Something went wrong with the form. Reload the page and "
                                 "send the appeal again."))
    if not consent:
        raise ApplicationError(
            "consent_required",
            _("We can only take the appeal with your consent to the processing of the "
              "personal data in it."))
    if len(attachments) > MAX_ATTACHMENTS:
        raise ApplicationError("too_many_files",
                               _("At most %(max)s files can be attached."), max=MAX_ATTACHMENTS)
    draft = appeal_check(channel=channel, text=text, request=request, applicant=applicant,
                         relation=relation, service_member=service_member)
    if guide_answers:
        draft.guide_answers, draft.guide_version = dict(guide_answers), guide_version
    routed = office or routing.office_route(member_region_id=draft.subject.region_id,
                                            applicant_region_id=draft.submitter.region_id,
                                            chosen=chosen_office)
    submission = Submission(
        key_hash=secrets.key_hash(f"{channel}:{key}"), fingerprint=fingerprint(payload),
        draft=draft, category=category, language=language,
        received_at=received_at or timezone.now(), access_code=secrets.access_code_new(),
        ip=current_ip.get(), office=routed)
    if attachments or office is not None:
        return submission_write(submission, attachments=attachments)
    return batching.submit(submission)


def submission_write(submission: Submission, *, attachments=()) -> Receipt:
    """Write one submission in its own transaction: a batch of one (the path of appeals
    with files, and of every appeal when batching is off). Raises what its sender gets."""
    result = submissions_write([submission], attachments=[list(attachments)])[0]
    if isinstance(result, BaseException):
        raise result
    return result


def submissions_write(submissions: list[Submission],
                      attachments: list[list] | None = None) -> list[Receipt | Exception]:
    """The one writer of public appeals, whatever their number: per office, one
    transaction, one reservation of case numbers, one lock of the audit chain
    (``services.public_appeals_register``). ``attachments``: per submission, its (upload,
    document type) pairs, stored before the transaction. Returns, in order, each one's
    receipt or the error to give its sender. A repeat of a stored key is answered as
    ``appeal_submit`` answers it; if an office's part of a batch of several fails (a key
    sent twice at the same moment by two processes, a database error), each of its
    submissions is written on its own, so that one bad submission fails alone."""
    attachments = attachments or [[] for _submission in submissions]
    results: list[Receipt | Exception | None] = [None] * len(submissions)
    stored = {row.key_hash: row for row in PublicSubmission.objects.filter(
        key_hash__in=[s.key_hash for s in submissions])}
    # Each office's appeals are written together, in its own transaction: one
    # reservation of that office's case numbers (most batches hold one office).
    by_office: dict[int, tuple[Office, list[int], list]] = {}
    seen = set()
    for index, submission in enumerate(submissions):
        try:
            if submission.key_hash in stored:
                results[index] = _receipt_of(stored[submission.key_hash],
                                             submission.fingerprint)
                continue
            if submission.key_hash in seen:
                continue  # a repeat inside the batch: answered after it, from the store
            seen.add(submission.key_hash)
            office = submission.office
            draft = submission.draft
            opening = case_prepare(
                office=office, service_member=draft.subject, category=submission.category,
                received_at=submission.received_at, channel=draft.channel,
                access_code_hash=secrets.access_code_hash(submission.access_code),
                appeal=appeal_new(draft, received_at=submission.received_at,
                                  language=submission.language),
                relation=draft.relation)
            _office, chosen, openings = by_office.setdefault(office.pk, (office, [], []))
            chosen.append(index)
            openings.append(opening)
        except ApplicationError as exc:
            results[index] = exc
    alone = len(submissions) == 1  # its error is its sender's: nothing to retry
    for office, chosen, openings in by_office.values():
        try:
            _batch_write([submissions[i] for i in chosen], openings, office, results, chosen,
                         [attachments[i] for i in chosen])
        except Exception as exc:  # noqa: BLE001 - every submission is retried alone below
            for index in chosen:
                _forget(submissions[index])
                # Alone: the same key may have arrived twice at once, and the other
                # request stored it first (a unique key refused, whether raised through
                # Django or by a COPY straight from psycopg): its receipt, else the error.
                results[index] = _replay_or(submissions[index], exc) if alone else None
    for index, submission in enumerate(submissions):
        if results[index] is None:
            try:
                results[index] = submission_write(submission,
                                                  attachments=attachments[index])
            except Exception as exc:  # noqa: BLE001 - given to that submission's sender
                results[index] = exc
    return results


def _forget(submission: Submission) -> None:
    for person in (submission.draft.submitter, submission.draft.subject):
        # Saved by a failed batch, then rolled back: to be saved afresh.
        person.pk, person.key_id, person._state.adding = None, "", True


def _replay_or(submission: Submission, error: Exception) -> Receipt | Exception:
    """The receipt stored for ``submission``'s key by a request that raced it, else
    ``error`` (its sender's)."""
    try:
        existing = _replay(submission.key_hash, submission.fingerprint)
    except ApplicationError as exc:
        return exc
    return existing or error


def _batch_write(submissions: list[Submission], openings, office: Office, results: list,
                 positions: list[int], attachments: list[list]) -> None:
    sealed = [secrets.seal(s.access_code) for s in submissions]
    dues = [answer_due(o.case, open_deadlines=o.deadlines) for o in openings]
    by_case = {id(o.case): (s, seal, due) for o, s, seal, due in zip(
        openings, submissions, sealed, dues, strict=True)}

    def remember(appeals):
        rows = []
        for appeal in appeals:
            submission, seal, due = by_case[id(appeal.case)]
            rows.append(PublicSubmission(key_hash=submission.key_hash,
                                         fingerprint=submission.fingerprint, appeal=appeal,
                                         sealed_access_code=seal, answer_due=due))
        bulk.create(rows, ids=False)
        # The acknowledgements' outbox rows (written by the in-transaction hook) go in
        # here, before the audit entries take the chain's global lock.
        hooks.emit_many("appeal_acknowledged", [
            {"case_id": appeal.case.pk, "sealed_code": by_case[id(appeal.case)][1]}
            for appeal in appeals])

    drafts = [s.draft for s in submissions]
    # Before the transaction, without a lock: the data keys, the ids, and the files
    # checked, hashed, encrypted and stored.
    appeals_prepare(drafts, openings)
    prepared: list[list] = []
    token = current_ip.set(submissions[0].ip)  # also when written by the registrar
    try:
        for opening, draft, files in zip(openings, drafts, attachments, strict=True):
            prepared.append(uploads_prepare(files, actor=None, case=opening.case,
                                             key_id=draft.subject.key_id))
        # The outermost action: nothing may nest it (an appeal answered is committed).
        # The acknowledgements' task and the checks after the receipt are queued after
        # it in one more transaction (hooks.queued_together): two commits a batch.
        with hooks.queued_together(), transaction.atomic(durable=True):
            public_appeals_register(
                office=office, drafts=drafts, openings=openings,
                ips=[s.ip for s in submissions], documents=prepared,
                with_appeals=remember)
    except BaseException:
        for files in prepared:
            documents.files_discard(files)
        raise
    finally:
        current_ip.reset(token)
    for position, submission, opening, due in zip(positions, submissions, openings, dues,
                                                  strict=True):
        results[position] = Receipt(opening.case.number, submission.access_code, due,
                                    office.pk)


def _replay(key_hash: str, print_: str) -> Receipt | None:
    # One table, by its unique key: every submission asks, few are repeats.
    previous = PublicSubmission.objects.filter(key_hash=key_hash).first()
    if previous is None:
        return None
    return _receipt_of(previous, print_)


def _receipt_of(previous: PublicSubmission, print_: str) -> Receipt:
    if previous.fingerprint != print_:
        raise ApplicationError(
            "idempotency_key_reused",
            _("Something went wrong with the form. Reload the page and send the appeal "
              "again."))
    # The same body as the first time: the receipt is not recomputed.
    number, office_id = Case.objects.filter(appeals=previous.appeal_id).values_list(
        "number", "office_id").get()
    return Receipt(number, secrets.unseal(previous.sealed_access_code) or "",
                   previous.answer_due, office_id)


def answer_due(case: Case, *, open_deadlines=None) -> dt.date | None:
    """The date by which the applicant is owed an answer: the running answer deadline, or
    for an appeal not registered yet, the latest date the rules allow (registered on the
    last lawful day, then the answer period). ``open_deadlines``: the case's open
    deadlines, when the caller has them at hand; else they are read."""
    if open_deadlines is None:
        open_deadlines = case.deadlines.filter(closed_on__isnull=True)
    deadlines = {d.rule: d for d in open_deadlines}
    book = rulebook.get(case.rulebook_version)
    codes = book.procedures[case.procedure].deadlines
    final = "answer" if "answer" in codes else codes[-1]
    if final in deadlines:
        return deadlines[final].due_on
    registration = deadlines.get("registration")
    if registration is None or case.state != CaseState.RECEIVED:
        return None
    return due_date(book.rules[final], start=registration.due_on, calendar=calendar_of(book))


def access_code_recover(*, case_number: str, email: str) -> bool:
    """The applicant lost the access code: if ``email`` is the address given in the
    case's first appeal (the one its notices go to), a new code replaces the old one and
    is emailed there (``access_code_recovered``, sent by the notifications worker), and
    the change is audited. The caller tells the applicant the same whatever this returns
    (True: a code was sent), so that nobody learns which case numbers or addresses exist.
    The address is compared by its blind index: no email is decrypted."""
    number = case_number_normalise(case_number)
    index = blind_value("email", (email or "").strip())
    if not number or not index:
        return False
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=number).only(
            "pk", "access_code_hash").first()
        if case is None:
            return False
        given = (Appeal.objects.filter(case=case).order_by("received_at", "id")
                 .values_list("submitter__email_index", flat=True).first())
        if not given or given != index:
            return False
        code = secrets.access_code_new()
        case.access_code_hash = secrets.access_code_hash(code)
        case.save(update_fields=["access_code_hash"])
        audit_record(action="access_code.recovered", actor=None, actor_kind="applicant",
                     object_type="case", object_id=case.pk, data={"case": case.pk})
        hooks.emit("access_code_recovered", case_id=case.pk, sealed_code=secrets.seal(code))
    return True


# --- the applicant's view -------------------------------------------------------------------

@dataclass
class PublicStatus:
    case: Case
    stage: str
    answer_due: dt.date | None
    late: bool
    question: str
    can_reply: bool
    timeline: list[CaseEvent] = field(default_factory=list)
    documents: list = field(default_factory=list)
    # The signed answers on the merits (casedesk.letters.models.Answer), oldest first:
    # the answer, then any supplements. Their texts are the applicant's to read.
    answers: list = field(default_factory=list)
    # The office's deadlines are its own rules, not the law's (an NGO's procedure): the
    # page says so beside the date.
    own_policy: bool = False


def case_open_public(*, case_number: str, access_code: str) -> Case:
    """The case for this number and code, or one refusal that does not say which was wrong
    (or whether the number exists)."""
    number = case_number_normalise(case_number)
    case = Case.objects.filter(number=number).only("pk", "access_code_hash").first()
    stored = case.access_code_hash if case else secrets.access_code_hash("x" * 12)
    if not (case and secrets.access_code_matches(access_code, stored)):
        raise ApplicationError(
            "not_found", _("We could not find an appeal with this number and code. Check both "
                           "and try again."))
    return case


def case_access_open(*, case_id: int) -> bool:
    """Whether the case a portal session opened can still be shown: not once its access
    code was revoked (``access_code_hash`` blanked by an erasure)."""
    return Case.objects.filter(pk=case_id).exclude(access_code_hash="").exists()


def procedure_own_policy(case: Case) -> bool:
    """Whether the case's deadlines are the organisation's own rules (an NGO), not law."""
    procedure = rulebook.get(case.rulebook_version).procedures.get(case.procedure)
    return bool(procedure and procedure.own_policy)


def public_status(*, case_id: int, today: dt.date | None = None) -> PublicStatus:
    case = Case.objects.select_related("office").get(pk=case_id)
    today = today or timezone.localdate()
    due = answer_due(case)
    events = list(case.events.filter(public=True).order_by("at", "id"))
    question = ""
    if case.state == CaseState.AWAITING_INFORMATION:
        question = timeline.latest_question(case, events)
    answers = []
    if any(e.kind == EventKind.ANSWER_SIGNED for e in events):  # no query before one is
        answers = answers_signed(case)
    return PublicStatus(
        case=case, stage=timeline.public_stage(case.state), answer_due=due,
        late=bool(due and case.state in OPEN_STATES and today > due),
        question=question, can_reply=case.state in OPEN_STATES, timeline=events,
        documents=list(documents_for_applicant(case.pk).order_by("created_at")),
        answers=answers, own_policy=procedure_own_policy(case),
    )


def public_document_open(*, case_id: int, document_id: int):
    """A letter of the office to the applicant, or a document enclosed with a signed
    answer, for download from the status page."""
    import io

    from casedesk.cases.documents import file_read

    document = documents_for_applicant(case_id).select_related(
        "case__service_member").filter(pk=document_id).first()
    if document is None:
        raise ApplicationError("not_found", _("No such document."))
    return document, io.BytesIO(file_read(document))


def applicant_reply(*, case_id: int, text: str, attachments: list[tuple] = (),
                    channel: str = Channel.WEB, at: dt.datetime | None = None) -> Appeal:
    """The applicant answers a question or adds information: a new appeal in the case with
    its documents; a case awaiting information goes back into review."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise ApplicationError("too_many_files",
                               _("At most %(max)s files can be attached."), max=MAX_ATTACHMENTS)
    at = at or timezone.now()
    actor = permissions.ApplicantActor(case_id=case_id)
    # The outermost action (the portal's and the API's reply): nothing may nest it.
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.state not in OPEN_STATES:
            raise ApplicationError("case_not_open",
                                   _("This case is closed. To raise something new, send a new "
                                     "appeal."))
        first = case.appeals.select_related("submitter").order_by("received_at").first()
        draft = appeal_check(
            channel=channel, text=text, new_case=False,
            applicant=PersonData(full_name=first.submitter.full_name),
            relation=case.applicant_links.filter(person=first.submitter)
            .values_list("relation", flat=True).first() or "other")
        # The one who holds the case's code answers: the applicant already on the case,
        # not a new record of them (which would list them twice on the case, without
        # their phone, under a data key an erasure of theirs would not destroy).
        draft.submitter = draft.subject = first.submitter
        appeal = appeal_register(
            actor=None, office=case.office, draft=draft, category=case.category,
            language=first.language, received_at=at,
            attach_to=case, attachments=attachments,  # stored before the audit lock
        )
        if case.state == CaseState.AWAITING_INFORMATION:
            case_transition_inner(actor=actor, case=case, transition="information_provided",
                                  at=at)
    return appeal


# The registrar (``batching``) writes with this module's writer; ``batching`` does not
# import this module (import-linter contract "intake registrar").
batching.writer_set(submissions_write)
