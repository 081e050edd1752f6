"""Registering appeals from every channel."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from casedesk.accounts.models import Office
from casedesk.audit.services import audit_record_many, current_ip
from casedesk.cases import documents, events, incoming, permissions
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    Channel,
    Document,
    DocumentType,
    Relation,
)
from casedesk.cases.services import (
    CaseOpening,
    case_prepare,
    case_transition_inner,
    cases_open_many,
)
from casedesk.core import bulk, crypto, hooks
from casedesk.core.errors import ApplicationError
from casedesk.core.states import OPEN_STATES
from casedesk.people import duplicates
from casedesk.people.models import Person

from . import schema, selectors
from .models import DuplicateFlag

logger = logging.getLogger(__name__)

REGISTERING_ROLES = permissions.roles_of("register")
PUBLIC_CHANNELS = {Channel.WEB, Channel.API}


@dataclass(frozen=True)
class PersonData:
    """A person's details as given, unchecked (``schema.PersonIn`` checks them)."""

    full_name: str
    birth_date: dt.date | None = None
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    service_type: str = ""
    unit: str = ""
    region_code: str = ""

    @classmethod
    def member_of(cls, data: dict) -> PersonData:
        """The service member's details from a form's cleaned data (the portal's and the
        desk's forms name those fields alike: ``member_*``)."""
        region = data.get("member_region")
        return cls(full_name=data.get("member_name") or "",
                   birth_date=data.get("member_birth_date"),
                   unit=data.get("member_unit") or "",
                   region_code=region.code if region else "",
                   service_type=data.get("member_service_type") or "")


@dataclass(frozen=True)
class Sender:
    """The body that forwarded an appeal to the office (channel "forwarded"): its name,
    its outgoing number (исх. №) and the date of its covering letter."""

    body: str
    number: str
    sent_on: dt.date | None = None


def sender_problems(*, channel: str, sender: Sender | None,
                    received_on: dt.date | None = None) -> list[ApplicationError]:
    """What is wrong with the forwarding body given for an appeal of ``channel``: nothing
    for other channels; for "forwarded", its name and outgoing number are required and its
    date cannot be after the day the appeal was received. (The desk shows every problem at
    once; ``sender_check`` refuses on the first.)"""
    if channel != Channel.FORWARDED:
        return []
    body = " ".join(clean_text(sender.body if sender else "").split())
    number = clean_text(sender.number if sender else "")
    problems = []
    if not body:
        problems.append(ApplicationError("missing_sender_body",
                                         _("Name the body that forwarded the appeal.")))
    if not number:
        problems.append(ApplicationError(
            "missing_sender_number",
            _("Give the outgoing number of the body's covering letter.")))
    if len(body) > schema.SENDER_BODY_MAX or len(number) > schema.SENDER_NUMBER_MAX:
        problems.append(ApplicationError("too_long",
                                         _("The body's name or number is too long.")))
    if sender and sender.sent_on and received_on and sender.sent_on > received_on:
        problems.append(ApplicationError(
            "sender_date_late",
            _("The body's covering letter cannot be dated after the appeal was received.")))
    return problems


def sender_check(*, channel: str, sender: Sender | None,
                 received_on: dt.date | None = None) -> Sender | None:
    """The forwarding body of an appeal of channel "forwarded", cleaned; ``None`` for any
    other channel (whatever was given). Raises ApplicationError (``sender_problems``)."""
    problems = sender_problems(channel=channel, sender=sender, received_on=received_on)
    if problems:
        raise problems[0]
    if channel != Channel.FORWARDED:
        return None
    return Sender(body=" ".join(clean_text(sender.body).split()),
                  number=clean_text(sender.number), sent_on=sender.sent_on)


# The rules live in the schema; these names stay for their callers.
clean_text = schema.storable
received_at_check = schema.received_at_check
received_at_earliest = schema.received_at_earliest
region_ids_forget = schema.region_ids_forget


def _people_save(*people: Person) -> None:
    """Save new people, their data keys made together: one write to the key store."""
    for person, key_id in zip(people, crypto.keys_new(len(people)), strict=True):
        person.key_id = key_id
        person.save(force_insert=True)


@dataclass
class AppealDraft:
    """An appeal checked by ``appeal_check``: cleaned texts and unsaved people."""

    channel: str
    relation: str
    text: str
    request: str
    submitter: Person
    subject: Person  # the service member of the new case (the submitter for "self")
    # Filed from the portal's pathways guide: the answers and the rulebook version whose
    # guide asked (``Appeal.guide_answers``, ``Appeal.guide_version``).
    guide_answers: dict = field(default_factory=dict)
    guide_version: str = ""


def appeal_check(*, channel: str, text: str, request: str = "", applicant: PersonData,
                 relation: str, service_member: PersonData | None = None,
                 new_case: bool = True) -> AppealDraft:
    """Check an appeal's content (``schema.AppealIn``) and make its people (unsaved);
    raises ApplicationError with a message for the person who wrote it (the first
    problem found)."""
    try:
        appeal = schema.AppealIn.model_validate({
            "channel": channel, "relation": relation, "text": text, "request": request or "",
            "applicant": vars(applicant), "new_case": new_case,
            "service_member": vars(service_member) if service_member is not None else None})
    except ValidationError as exc:
        raise schema.first_problem(exc) from None
    return appeal_draft(appeal)


def appeal_draft(appeal: schema.AppealIn) -> AppealDraft:
    """The draft of a checked appeal: its people made (unsaved), the service member the
    applicant's own person for relation "self"."""
    submitter = appeal.applicant.person()
    subject = submitter
    if appeal.new_case and appeal.relation != Relation.SELF:
        subject = appeal.service_member.person()
    return AppealDraft(appeal.channel, appeal.relation, appeal.text, appeal.request,
                       submitter, subject)


def appeal_new(draft: AppealDraft, *, actor=None, received_at: dt.datetime,
               language: str = "ru", sender: Sender | None = None,
               idempotency_key: str | None = None) -> Appeal:
    """The unsaved appeal of ``draft`` (``case_prepare`` takes it, with the new case)."""
    return Appeal(
        channel=draft.channel, received_at=received_at,
        language=language if language in ("ru", "en") else "ru", text=draft.text,
        request=draft.request, submitter=draft.submitter,
        registered_by=None if draft.channel in PUBLIC_CHANNELS else actor,
        idempotency_key=idempotency_key or None,
        sender_body=sender.body if sender else "",
        sender_number=sender.number if sender else "",
        sender_date=sender.sent_on if sender else None,
        guide_answers=draft.guide_answers, guide_version=draft.guide_version)


def appeals_prepare(drafts: list[AppealDraft], openings: list[CaseOpening]) -> None:
    """What can be done for new appeals before their transaction, without a lock: the
    people's data keys (one write to the key store) and, on PostgreSQL, the ids of the
    people, cases and appeals (one query), so that their files can be stored before the
    transaction (``cases.documents.upload_prepare``: the file's path holds the case id,
    its key is the service member's). Done once: a second call changes nothing."""
    people = _people_of(drafts)
    new_keys = [person for person in people if not person.key_id]
    for person, key_id in zip(new_keys, crypto.keys_new(len(new_keys)), strict=True):
        person.key_id = key_id
    bulk.ids_reserve([
        (Person, [person for person in people if person.pk is None]),
        (Case, [o.case for o in openings if o.case.pk is None]),
        (Appeal, [o.appeal for o in openings if o.appeal is not None and o.appeal.pk is None]),
    ])


def _people_of(drafts: list[AppealDraft]) -> list[Person]:
    """The new (unsaved) people of ``drafts``, each once."""
    people = {}
    for draft in drafts:
        for person in (draft.submitter, draft.subject):
            if person._state.adding:
                people[id(person)] = person
    return list(people.values())


def appeals_open(*, actor, office: Office, drafts: list[AppealDraft],
                 openings: list[CaseOpening], ips: list[str] | None = None,
                 documents: list[list] | None = None, with_appeals=None,
                 audits: list[dict] | None = None) -> list[Appeal]:
    """The one writer of appeals that open new cases of ``office``, from every live
    channel (the public in batches or one at a time, the staff desk): ``openings`` from
    ``case_prepare`` with each draft's subject and its appeal (``appeal_new``). In a fixed
    number of statements whatever their count: the people, the cases with every row
    ``case_prepare`` made (``cases_open_many``), the documents prepared before the
    transaction (``documents``: per opening, from ``cases.documents.upload_prepare``),
    ``with_appeals(appeals)`` (the caller's rows referring to the appeals, the staff's
    immediate registration), and last the audit entries, under one lock of the chain held
    to the commit, after ``audits`` (entries that ``with_appeals`` deferred, e.g.
    through ``case_transition_inner``). Runs in the caller's transaction; call
    ``appeals_prepare`` before it, outside (here it does what is left)."""
    appeals_prepare(drafts, openings)
    people = _people_of(drafts)
    documents = documents or [[] for _opening in openings]
    ips = ips or [current_ip.get()] * len(openings)
    added: list[tuple[Document, str]] = []  # with the address of its appeal's sender

    def before_numbers(cases):
        # Before the number counter's lock: the files are stored already, and the rows'
        # foreign keys are checked at the commit.
        for opening, docs, ip in zip(openings, documents, ips, strict=True):
            for document in docs:
                document.case, document.appeal = opening.case, opening.appeal
                added.append((document, ip))
        at = timezone.now()
        for document, _ip in added:  # a few at most, and a FileField: saved one by one
            document.save(force_insert=True)
            events.document_added(document.case, at=at,
                                  actor=actor if actor is not None
                                  else permissions.ApplicantActor(case_id=document.case_id),
                                  document_id=document.pk, doc_type=document.doc_type,
                                  public=document.public)

    with transaction.atomic(savepoint=False):
        bulk.create(people)
        cases_open_many(actor=actor, office=office, openings=openings,
                        before_numbers=before_numbers)
        appeals = [opening.appeal for opening in openings]
        after_receipt([opening.case.pk for opening in openings])
        if with_appeals is not None:
            with_appeals(appeals)
        kind = "applicant" if actor is None else None
        audit_record_many([
            *(audits or ()),  # deferred by with_appeals: the registration, first as before
            *(dict(action="appeal.register", actor=actor, actor_kind=kind,
                   object_type="appeal", object_id=appeal.pk, ip=ip,
                   data={"case": appeal.case_id, "channel": appeal.channel})
              for appeal, ip in zip(appeals, ips, strict=True)),
            *(dict(action="document.added", actor=actor, actor_kind=kind,
                   object_type="document", object_id=document.pk, ip=ip,
                   data={"case": document.case_id, "doc_type": document.doc_type})
              for document, ip in added)])
    return appeals


def public_appeals_register(*, office: Office, drafts: list[AppealDraft],
                            openings: list[CaseOpening], ips: list[str],
                            documents: list[list] | None = None,
                            with_appeals=None) -> list[Appeal]:
    """``appeals_open`` for appeals from the public (no staff actor)."""
    if any(draft.channel not in PUBLIC_CHANNELS for draft in drafts):
        raise ValueError("public_appeals_register takes public channels only")
    return appeals_open(actor=None, office=office, drafts=drafts, openings=openings,
                        ips=ips, documents=documents, with_appeals=with_appeals)


def appeal_register(
    *,
    actor,
    office: Office,
    draft: AppealDraft | None = None,
    channel: str | None = None,
    text: str | None = None,
    applicant: PersonData | None = None,
    relation: str | None = None,
    service_member: PersonData | None = None,
    request: str | None = None,
    category: str = "other",
    subcategory: str = "",
    language: str = "ru",
    received_at: dt.datetime | None = None,
    attach_to: Case | None = None,
    violation_known_on: dt.date | None = None,
    idempotency_key: str | None = None,
    access_code_hash: str = "",
    sender: Sender | None = None,
    attachments: list[tuple] = (),
) -> Appeal:
    """Record one incoming appeal and the case it belongs to.

    A new case is opened unless ``attach_to`` names an open case of the same office. Staff
    channels register at once (the case moves to ``registered``); appeals from the public
    web form and API wait in ``received`` for a clerk. A repeated ``idempotency_key``
    returns the appeal stored the first time and creates nothing. ``access_code_hash``
    is stored on a new case (the applicant's access code, see ``intake.public``).
    The content is either ``draft`` (checked by ``appeal_check``, which gives the channel
    and relation too) or the fields ``channel``, ``text``, ``applicant``, ``relation`` and
    optionally ``service_member`` and ``request`` (checked here): passing both is a
    TypeError. ``sender``: the body that forwarded it, required for channel "forwarded"
    (``sender_check``).

    Staff channels get their incoming number (вх. №, ``cases.incoming``) for the day
    received: a new case through its registration, an appeal added to a case at once.
    ``received_at`` is taken as given; the desk checks a typed one (``received_at_check``).

    ``attachments``: (upload, document type) pairs, hashed, checked, encrypted and stored
    before the transaction (``cases.documents.upload_prepare``); a refused one registers
    nothing. A new case is written by ``appeals_open``, the writer of every live channel.
    """
    fields = {"channel": channel, "text": text, "applicant": applicant, "relation": relation,
              "service_member": service_member, "request": request}
    if draft is not None:
        if given := [name for name, value in fields.items() if value is not None]:
            raise TypeError("appeal_register() takes a draft or the appeal's fields, not "
                            "both: " + ", ".join(given))
        channel, relation = draft.channel, draft.relation
    elif None in (channel, text, applicant, relation):
        raise TypeError("appeal_register() needs a draft, or channel, text, applicant and "
                        "relation")
    received_at = received_at or timezone.now()
    if idempotency_key:
        existing = Appeal.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    public = channel in PUBLIC_CHANNELS
    if not public and (actor is None or actor.role not in REGISTERING_ROLES
                       or office.pk not in permissions.office_ids(actor)):
        raise ApplicationError("forbidden", _("You are not allowed to register appeals here."))
    if draft is None:
        draft = appeal_check(channel=channel, text=text, request=request,
                             applicant=applicant, relation=relation,
                             service_member=service_member, new_case=attach_to is None)
    sender = sender_check(channel=channel, sender=sender,
                          received_on=timezone.localdate(received_at)
                          if timezone.is_aware(received_at) else received_at.date())
    appeal = appeal_new(draft, actor=actor, received_at=received_at, language=language,
                        sender=sender, idempotency_key=idempotency_key)
    prepared: list[Document] = []
    try:
        if attach_to is None:
            opening = case_prepare(
                office=office, service_member=draft.subject, category=category,
                subcategory=subcategory, received_at=received_at,
                violation_known_on=violation_known_on, access_code_hash=access_code_hash,
                channel=channel, actor=actor, appeal=appeal, relation=relation)
            # The files are hashed, encrypted and stored before the transaction, which
            # takes the office's number counter and the audit chain's lock.
            appeals_prepare([draft], [opening])
            prepared = uploads_prepare(attachments, actor=actor, case=opening.case,
                                        key_id=draft.subject.key_id)

            pending: list[dict] = []  # the registration's audit entry, written last

            def register_now(appeals):  # staff channels: registered at once, вх. №
                appeals[0].case = case_transition_inner(
                    actor=actor, case=opening.case, transition="register", at=received_at,
                    audits=pending)

            with transaction.atomic():
                appeals_open(actor=actor, office=office, drafts=[draft], openings=[opening],
                             documents=[prepared], audits=pending,
                             with_appeals=None if public else register_now)
        else:
            _appeal_attach(appeal, actor=actor, office=office, case=attach_to,
                           relation=relation, attachments=attachments)
    except Exception:
        documents.files_discard(prepared)
        # Two requests with one idempotency key raced: the other one stored the appeal
        # (the unique key refused, raised through Django or by a COPY from psycopg).
        if idempotency_key and not transaction.get_connection().needs_rollback:
            existing = Appeal.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise
    except BaseException:
        documents.files_discard(prepared)
        raise
    return appeal


def uploads_prepare(attachments, *, actor, case: Case, key_id: str) -> list[Document]:
    """The ``attachments`` ((upload, document type) pairs) of an appeal to ``case``,
    checked and stored encrypted (``cases.documents.upload_prepare``), rows unsaved; on a
    refusal the files stored so far are deleted again."""
    prepared: list[Document] = []
    try:
        for upload, doc_type in attachments:
            prepared.append(documents.upload_prepare(
                upload=upload, doc_type=doc_type or DocumentType.OTHER, case_id=case.pk,
                key_id=key_id, uploaded_by=None if actor is None or isinstance(
                    actor, permissions.ApplicantActor) else actor,
                public=actor is None or isinstance(actor, permissions.ApplicantActor)))
    except BaseException:
        documents.files_discard(prepared)
        raise
    return prepared


def _appeal_attach(appeal: Appeal, *, actor, office: Office, case: Case, relation: str,
                   attachments) -> None:
    """Add ``appeal`` (unsaved) to the open ``case`` of ``office``, with its documents."""
    key_id = case.service_member.data_key_id()
    prepared = uploads_prepare(attachments, actor=actor, case=case, key_id=key_id)
    public = appeal.channel in PUBLIC_CHANNELS
    received_at, channel = appeal.received_at, appeal.channel
    try:
        with transaction.atomic():
            if appeal.submitter._state.adding:  # not the case's own applicant answering
                _people_save(appeal.submitter)
            case = Case.objects.select_for_update().get(pk=case.pk)
            if case.office_id != office.pk:
                raise ApplicationError("not_found", _("No such case."))
            if case.state not in OPEN_STATES:
                raise ApplicationError(
                    "case_not_open",
                    _("That case is no longer open: register the appeal as a new case."),
                )
            CaseApplicant.objects.get_or_create(
                case=case, person=appeal.submitter, defaults={"relation": relation}
            )
            appeal.case = case
            appeal.save(force_insert=True)
            if not public:  # registered at the desk: numbered now
                incoming.incoming_number_give(appeal=appeal, office=office, at=received_at)
            events.appeal_attached(case, at=received_at, actor=actor, appeal_id=appeal.pk,
                                   channel=channel)
            for document in prepared:
                document.case, document.appeal = case, appeal
                document.save(force_insert=True)
                events.document_added(
                    case, at=timezone.now(),
                    actor=actor if actor is not None
                    else permissions.ApplicantActor(case_id=case.pk),
                    document_id=document.pk, doc_type=document.doc_type,
                    public=document.public)
            # A new letter on an open case is read like a new case's (urgency, facts; the
            # other checks leave a case they have seen as it was).
            after_receipt([case.pk])
            audit_record_many([
                dict(action="appeal.register", actor=actor,
                     actor_kind=None if actor else "applicant", object_type="appeal",
                     object_id=appeal.pk, data={"case": case.pk, "channel": channel}),
                *(dict(action="document.added", actor=actor,
                       actor_kind=None if actor else "applicant", object_type="document",
                       object_id=document.pk,
                       data={"case": case.pk, "doc_type": document.doc_type})
                  for document in prepared)])
    except BaseException:
        documents.files_discard(prepared)
        raise


def repeats_flag(*, case_ids: list[int]) -> list[int]:
    """Flag the cases of ``case_ids`` that repeat an answered case
    (``selectors.repeated_of``; 59-FZ art. 11 part 5) by storing the earlier case in
    ``Case.repeated_of``; the ids of those flagged. Run after the receipt, by the task
    ``tasks.repeats_flag`` (never on the intake path); a case flagged already is left as
    it is. The flag is a hint for staff, derived from stored rows: no event, no audit
    entry (it changes nothing the applicant is owed)."""
    # The columns ``repeated_of_many`` reads, nothing encrypted: no data key is opened.
    cases = list(Case.objects.filter(pk__in=case_ids, repeated_of__isnull=True)
                 .select_related("service_member")
                 .only("office_id", "category", "received_at",
                       "service_member__name_birth_index",
                       "service_member__name_unit_index"))
    flagged = []
    for case_id, earlier_id in selectors.repeated_of_many(cases).items():
        if Case.objects.filter(pk=case_id, repeated_of__isnull=True).update(
                repeated_of_id=earlier_id):
            flagged.append(case_id)
    return flagged


# Duplicates (issue 18): people who may be the service member of a new case under another
# record, flagged after the receipt, never on the intake path.

def duplicates_flag(*, case_ids: list[int]) -> list[DuplicateFlag]:
    """Store, for each new case of ``case_ids``, the people who may be its service member
    under another record (``casedesk.people.duplicates``: found through the keyed search
    index, scored on name, birth date, unit, region and contacts); the flags stored. Run
    after the receipt by the task ``tasks.duplicates_flag``.

    Only service members of a case are candidates, of any office (the page shows each
    reader what their offices allow). Each flag names the candidate's latest case of the
    same office, if any, and is mirrored on the candidate's latest case (naming the new
    case), so that the earlier case shows the later one too. A pair flagged already is
    left as it is (a dismissal stays). A handful of queries per batch, whatever its size:
    the new cases' members, their data keys, the searches of the index (one statement on
    PostgreSQL), the candidates' cases, the insert. Only the new members are decrypted;
    a hint derived from stored rows, no event and no audit entry (as ``repeats_flag``)."""
    new = _new_members(case_ids)
    members = {person.pk: person for _case, _office, person in new}
    found = duplicates.candidates_of_many(list(members.values()),
                                          among=selectors.SERVICE_MEMBERS)
    their = _cases_of_people({c.person_id for one in found.values() for c in one})
    flags: dict[tuple[int, int], DuplicateFlag] = {}
    for case_id, office_id, person in new:
        for candidate in found.get(person.pk, ()):
            others = their.get(candidate.person_id, [])
            common = dict(score=candidate.score, level=candidate.level,
                          reasons=list(candidate.reasons))
            if (case_id, candidate.person_id) not in flags:
                flags[(case_id, candidate.person_id)] = DuplicateFlag(
                    case_id=case_id, person_id=candidate.person_id,
                    candidate_case_id=next((pk for pk, office in others
                                            if office == office_id), None), **common)
            if others and (others[0][0], person.pk) not in flags:
                # The mirror, on the candidate's latest case.
                latest, latest_office = others[0]
                flags[(latest, person.pk)] = DuplicateFlag(
                    case_id=latest, person_id=person.pk,
                    candidate_case_id=case_id if latest_office == office_id else None,
                    **common)
    return bulk.create_new(list(flags.values()))


# What the duplicate check reads of a new case's service member (people.duplicates).
_MEMBER_FIELDS = {"id", "key_id", "full_name", "birth_date", "unit", "phone", "email",
                  "region_id", "erased_at"}


def _new_members(case_ids: list[int]) -> list[tuple[int, int, Person]]:
    """(case, office, service member) of each of ``case_ids`` whose member is not erased,
    the member holding only what the check reads (the rest deferred). Two statements,
    whatever the number of cases: the rows, then their data keys (``keys_prefetch``),
    before anything is decrypted. Loaded by the ORM, each member's fields decrypted as
    the row was read and each missing key read alone: a batch of 300 made 300 reads of
    the key store, and compiling the two queries was a fifth of a single check's CPU."""
    if not case_ids:
        return []
    connection = connections[Case.objects.db]
    quote = connection.ops.quote_name
    # In the model's order of fields: Model.from_db fills the deferred ones by it.
    fields = [f for f in Person._meta.concrete_fields if f.attname in _MEMBER_FIELDS]
    columns = ", ".join(f"p.{quote(f.column)}" for f in fields)
    case = Case._meta
    member = case.get_field("service_member").column
    marks = ", ".join(["%s"] * len(case_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.{quote(case.pk.column)}, c.{quote(case.get_field('office').column)}, "  # noqa: S608
            f"{columns} FROM {quote(case.db_table)} AS c "
            f"JOIN {quote(Person._meta.db_table)} AS p ON p.{quote(Person._meta.pk.column)} "
            f"= c.{quote(member)} WHERE c.{quote(case.pk.column)} IN ({marks}) "
            f"AND p.{quote(Person._meta.get_field('erased_at').column)} IS NULL",
            list(case_ids))
        rows = cursor.fetchall()
    names = [f.attname for f in fields]
    at = 2 + names.index("key_id")
    crypto.keys_prefetch(row[at] for row in rows)  # the members' data keys
    out = []
    for case_id, office_id, *values in rows:
        values = [f.from_db_value(v, None, connection) if hasattr(f, "from_db_value")
                  else v for f, v in zip(fields, values, strict=True)]
        out.append((case_id, office_id, Person.from_db(connection.alias, names, values)))
    return out


def _cases_of_people(person_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """person -> [(case, office)] of the cases whose service member each of
    ``person_ids`` is, the latest first: one plain statement (not compiled per check)."""
    if not person_ids:
        return {}
    connection = connections[Case.objects.db]
    quote, case = connection.ops.quote_name, Case._meta
    pk, member = quote(case.pk.column), quote(case.get_field("service_member").column)
    office, received = (quote(case.get_field(n).column) for n in ("office", "received_at"))
    ids = sorted(person_ids)
    their: dict[int, list[tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {member}, {office} FROM {quote(case.db_table)} "  # noqa: S608
            f"WHERE {member} IN ({', '.join(['%s'] * len(ids))}) "
            f"ORDER BY {received} DESC, {pk} DESC", ids)
        for case_id, person_id, office_id in cursor.fetchall():
            their.setdefault(person_id, []).append((case_id, office_id))
    return their


# The most cases one after-receipt task takes (an import queues several).
DUPLICATES_CHUNK = 500


def after_receipt(case_ids: list[int]) -> None:
    """What runs in the background once new cases (or a new appeal on an open case) are
    stored, never on the intake path:
    the check for a repeated appeal, the one for a known person, and whatever other apps
    subscribed to the hook ``cases_opened`` (core.hooks, ``in_transaction=True``: their
    handlers get ``case_ids`` only and queue their own tasks). After the caller's commit,
    all of them are queued in ONE short transaction (one commit, where a commit per task
    made the batch writer wait for five disk flushes a batch: intake at 1M cases fell
    from ~640 to ~410 appeals/s with the machine not busy); the batch writer of public
    appeals queues them together with the acknowledgements' task
    (``core.hooks.queued_together``). A failure to queue is
    logged (counts only) and loses only those hints: the appeals are stored already."""
    ids = list(case_ids)
    if ids:
        hooks.queue_after_commit(lambda: _after_receipt_queue(ids))


def _after_receipt_queue(case_ids: list[int]) -> None:
    from . import tasks

    try:
        # A savepoint in hooks.queue_after_commit's transaction: a failure here does not
        # take the acknowledgements' task queued with it (hooks.queued_together).
        with transaction.atomic():
            for start in range(0, len(case_ids), DUPLICATES_CHUNK):
                chunk = case_ids[start:start + DUPLICATES_CHUNK]
                tasks.repeats_flag.enqueue(case_ids=chunk)
                tasks.duplicates_flag.enqueue(case_ids=chunk)
                hooks.emit("cases_opened", case_ids=chunk)
    except Exception as exc:  # noqa: BLE001 - the appeals are stored whatever happens here
        logger.warning("checks after the receipt not queued: count=%s error=%s",
                       len(case_ids), type(exc).__name__)


def duplicate_dismiss(*, actor, flag: DuplicateFlag) -> int:
    """Record that the person of ``flag`` is not the service member of its case ("not the
    same person"): this flag and its mirror (the same two people the other way round) are
    dismissed, with who and when; the number dismissed. Needs ``duplicate_dismiss`` on
    the flag's case. Audited (ids only)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=flag.case_id)
        permissions.require(actor, case, "duplicate_dismiss")
        member = case.service_member_id
        pair = (Q(case__service_member_id=member, person_id=flag.person_id)
                | Q(case__service_member_id=flag.person_id, person_id=member))
        ids = list(DuplicateFlag.objects.filter(pair, dismissed_at__isnull=True)
                   .values_list("pk", flat=True))
        if not ids:
            return 0
        DuplicateFlag.objects.filter(pk__in=ids).update(dismissed_by=actor,
                                                         dismissed_at=timezone.now())
        audit_record_many([dict(action="duplicate.dismiss", actor=actor,
                                object_type="case", object_id=case.pk,
                                data={"ids": sorted(ids)})])
    return len(ids)
