"""Registering appeals from every channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.audit.services import audit_record, audit_record_many
from casedesk.cases import events, incoming, permissions
from casedesk.cases.models import Appeal, Case, CaseApplicant, Channel, Relation
from casedesk.cases.services import (
    MAX_TEXT,
    CaseOpening,
    case_open,
    case_transition,
    cases_open_many,
)
from casedesk.core import bulk, crypto
from casedesk.core.errors import ApplicationError
from casedesk.core.models import Region
from casedesk.core.states import OPEN_STATES
from casedesk.people.models import Person, ServiceType

REGISTERING_ROLES = permissions.roles_of("register")
PUBLIC_CHANNELS = {Channel.WEB, Channel.API}


@dataclass(frozen=True)
class PersonData:
    full_name: str
    birth_date: dt.date | None = None
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    service_type: str = ""
    unit: str = ""
    region_code: str = ""


LIMITS = {"email": 254, "phone": 40, "unit": 100, "postal_address": 1000}


@dataclass(frozen=True)
class Sender:
    """The body that forwarded an appeal to the office (channel "forwarded"): its name,
    its outgoing number (исх. №) and the date of its covering letter."""

    body: str
    number: str
    sent_on: dt.date | None = None


SENDER_LIMITS = {"body": 300, "number": 100}


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
    if len(body) > SENDER_LIMITS["body"] or len(number) > SENDER_LIMITS["number"]:
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


def received_at_earliest() -> dt.date:
    """The earliest day an appeal can have been received: the day the first rulebook
    version came into force (no deadlines can be counted for anything older)."""
    return min(book.manifest.effective_from for book in rulebook.versions().values())


def received_at_check(received_at: dt.datetime, *, now: dt.datetime | None = None) -> None:
    """Refuse a time of receipt that staff typed if it is in the future or older than
    the rulebook (``received_at_earliest``): deadlines count from it."""
    now = now or timezone.now()
    if received_at > now:
        raise ApplicationError(
            "received_in_future",
            _("The appeal cannot have been received in the future: check the date and "
              "time."))
    earliest = received_at_earliest()
    received_on = timezone.localdate(received_at) if timezone.is_aware(received_at) \
        else received_at.date()
    if received_on < earliest:
        raise ApplicationError(
            "received_too_early",
            _("An appeal received before %(date)s cannot be registered: the rulebook's "
              "deadlines start on that day. Check the year."),
            date=formats.date_format(earliest, "DATE_FORMAT"))


def clean_text(value: str | None) -> str:
    """Text as people typed it, minus characters no database column can hold."""
    if value and ("\x00" in value):
        raise ApplicationError("bad_characters",
                               _("The text contains characters that cannot be stored."))
    return (value or "").strip()


_region_ids: dict[str, int] = {}


def _region_id(code: str) -> int | None:
    """The id of a region by its code. Regions are reference data whose codes never
    change once loaded: all of them are read at the first call and kept for the life of
    the process, so that checking an appeal does not touch the database (and a web
    server's request threads hold no connection of their own for it). A code not known
    then is looked up again, in case the regions were loaded since."""
    if not _region_ids:
        _region_ids.update(Region.objects.values_list("code", "id"))
    if code not in _region_ids:
        region_id = Region.objects.filter(code=code).values_list("id", flat=True).first()
        if region_id is None:
            return None
        _region_ids[code] = region_id
    return _region_ids[code]


def region_ids_forget() -> None:
    _region_ids.clear()


def _person_new(data: PersonData, *, service_member: bool) -> Person:
    """A checked, unsaved person (saved by ``_people_save``)."""
    for field_name, limit in LIMITS.items():
        if len(clean_text(getattr(data, field_name))) > limit:
            raise ApplicationError("too_long", _("A contact or service detail is too long."))
    name = " ".join(clean_text(data.full_name).split())
    if not name:
        raise ApplicationError(
            "missing_name",
            _("Give the service member's full name.") if service_member
            else _("Give the applicant's full name."),
        )
    if len(name) > 300:
        raise ApplicationError("too_long", _("The name is too long."))
    if data.service_type and data.service_type not in ServiceType.values:
        raise ApplicationError("unknown_service_type", _("Choose a service type from the list."))
    region_id = None
    if data.region_code:
        region_id = _region_id(data.region_code)
        if region_id is None:
            raise ApplicationError("unknown_region", _("Choose a region from the list."))
    return Person(
        full_name=name,
        birth_date=data.birth_date,
        email=data.email.strip(),
        phone=data.phone.strip(),
        postal_address=data.postal_address.strip(),
        service_type=data.service_type or (ServiceType.UNKNOWN if service_member else ""),
        unit=data.unit.strip(),
        region_id=region_id,
    )


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


def appeal_check(*, channel: str, text: str, request: str, applicant: PersonData,
                 relation: str, service_member: PersonData | None,
                 new_case: bool = True) -> AppealDraft:
    """Check an appeal's content and make its people (unsaved); raises ApplicationError
    with a message for the person who wrote it."""
    if channel not in Channel.values:
        raise ApplicationError("unknown_channel", _("Unknown channel."))
    if relation not in Relation.values:
        raise ApplicationError("unknown_relation", _("Choose who the applicant is."))
    text = clean_text(text)
    request = clean_text(request)
    if not text:
        raise ApplicationError("missing_text", _("Write what happened: the appeal is empty."))
    if len(text) > MAX_TEXT * 4 or len(request or "") > MAX_TEXT:
        raise ApplicationError("too_long", _("The text is too long."))
    if relation == Relation.SELF:
        service_member = service_member or applicant
    elif service_member is None and new_case:
        raise ApplicationError("missing_service_member", _("Give the service member's details."))
    submitter = _person_new(applicant, service_member=relation == Relation.SELF)
    subject = submitter
    if new_case and relation != Relation.SELF:
        subject = _person_new(service_member, service_member=True)
    return AppealDraft(channel, relation, text, request, submitter, subject)


def public_appeals_register(*, office: Office, drafts: list[AppealDraft],
                            openings: list[CaseOpening], languages: list[str],
                            ips: list[str], with_appeals=None) -> list[Appeal]:
    """``appeal_register`` for many appeals from the public, each opening a new case of
    ``office`` (``openings``: from ``case_prepare`` with the draft's subject), in a fixed
    number of statements: the people and their keys, one reservation of case numbers, the
    cases with their events and deadlines, the appeals, and the audit entries under one
    lock of the chain. The applicants go in before the numbers are reserved where
    ``cases_open_many`` allows; the appeals after the cases (the search trigger reads the
    case's office). ``with_appeals(appeals)`` writes the caller's rows that refer to the
    appeals. Runs in the caller's transaction."""
    if any(draft.channel not in PUBLIC_CHANNELS for draft in drafts):
        raise ValueError("public_appeals_register takes public channels only")
    people = []
    for draft in drafts:
        people.append(draft.submitter)
        if draft.subject is not draft.submitter:
            people.append(draft.subject)
    new_appeals = [
        Appeal(case=opening.case, channel=draft.channel, received_at=opening.case.received_at,
               language=language if language in ("ru", "en") else "ru", text=draft.text,
               request=draft.request, submitter=draft.submitter, registered_by=None,
               idempotency_key=None, guide_answers=draft.guide_answers,
               guide_version=draft.guide_version)
        for opening, draft, language in zip(openings, drafts, languages, strict=True)]
    appeals: list[Appeal] = []
    with transaction.atomic(savepoint=False):
        for person, key_id in zip(people, crypto.keys_new(len(people)), strict=True):
            person.key_id = key_id
        # Every id at once (PostgreSQL): the rows refer to each other by them.
        bulk.ids_reserve([(Person, people), (Case, [o.case for o in openings]),
                          (Appeal, new_appeals)])
        bulk.create(people)
        for channel in sorted({draft.channel for draft in drafts}):  # one, in practice
            pairs = [(o, d, appeal) for o, d, appeal in zip(openings, drafts, new_appeals,
                                                            strict=True)
                     if d.channel == channel]

            def applicants(cases, pairs=pairs):
                bulk.create([
                    CaseApplicant(case=opening.case, person=draft.submitter,
                                  relation=draft.relation)
                    for opening, draft, _appeal in pairs], ids=False)

            cases_open_many(actor=None, office=office, openings=[o for o, _d, _l in pairs],
                            channel=channel, before_numbers=applicants)
            # After the cases: the search trigger on appeals reads the case's office.
            written = bulk.create([appeal for _opening, _draft, appeal in pairs])
            if with_appeals is not None:
                with_appeals(written)
            appeals.extend(written)
        by_opening = {appeal.case_id: appeal for appeal in appeals}
        appeals = [by_opening[opening.case.pk] for opening in openings]
        audit_record_many([
            dict(action="appeal.register", actor=None, actor_kind="applicant",
                 object_type="appeal", object_id=appeal.pk, ip=ip,
                 data={"case": appeal.case_id, "channel": appeal.channel})
            for appeal, ip in zip(appeals, ips, strict=True)])
    return appeals


def appeal_register(
    *,
    actor,
    office: Office,
    channel: str,
    text: str,
    applicant: PersonData | None,
    relation: str,
    service_member: PersonData | None = None,
    category: str = "other",
    subcategory: str = "",
    request: str = "",
    language: str = "ru",
    received_at: dt.datetime | None = None,
    attach_to: Case | None = None,
    violation_known_on: dt.date | None = None,
    idempotency_key: str | None = None,
    access_code_hash: str = "",
    draft: AppealDraft | None = None,
    sender: Sender | None = None,
) -> Appeal:
    """Record one incoming appeal and the case it belongs to.

    A new case is opened unless ``attach_to`` names an open case of the same office. Staff
    channels register at once (the case moves to ``registered``); appeals from the public
    web form and API wait in ``received`` for a clerk. A repeated ``idempotency_key``
    returns the appeal stored the first time and creates nothing. ``access_code_hash``
    is stored on a new case (the applicant's access code, see ``intake.public``).
    ``draft``: the content already checked by ``appeal_check`` (then ``applicant``,
    ``service_member``, ``text`` and ``request`` are not read). ``sender``: the body that
    forwarded it, required for channel "forwarded" (``sender_check``).

    Staff channels get their incoming number (вх. №, ``cases.incoming``) for the day
    received: a new case through its registration, an appeal added to a case at once.
    ``received_at`` is taken as given; the desk checks a typed one (``received_at_check``).
    """
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
    text, request, submitter, subject = (draft.text, draft.request, draft.submitter,
                                         draft.subject)
    sender = sender_check(channel=channel, sender=sender,
                          received_on=timezone.localdate(received_at)
                          if timezone.is_aware(received_at) else received_at.date())
    try:
        with transaction.atomic():
            _people_save(*([submitter] if subject is submitter else [submitter, subject]))
            if attach_to is not None:
                case = Case.objects.select_for_update().get(pk=attach_to.pk)
                if case.office_id != office.pk:
                    raise ApplicationError("not_found", _("No such case."))
                if case.state not in OPEN_STATES:
                    raise ApplicationError(
                        "case_not_open",
                        _("That case is no longer open: register the appeal as a new case."),
                    )
            else:
                case = case_open(
                    actor=actor, office=office, service_member=subject, category=category,
                    subcategory=subcategory, received_at=received_at, channel=channel,
                    violation_known_on=violation_known_on, access_code_hash=access_code_hash,
                )
            if attach_to is None:  # the case is new: it has no applicants yet
                CaseApplicant.objects.create(case=case, person=submitter, relation=relation)
            else:
                CaseApplicant.objects.get_or_create(
                    case=case, person=submitter, defaults={"relation": relation}
                )
            appeal = Appeal.objects.create(
                case=case, channel=channel, received_at=received_at,
                language=language if language in ("ru", "en") else "ru", text=text,
                request=(request or "").strip(), submitter=submitter,
                registered_by=actor if not public else None,
                idempotency_key=idempotency_key or None,
                sender_body=sender.body if sender else "",
                sender_number=sender.number if sender else "",
                sender_date=sender.sent_on if sender else None,
                guide_answers=draft.guide_answers, guide_version=draft.guide_version,
            )
            if attach_to is not None and not public:  # registered at the desk: numbered now
                incoming.incoming_number_give(appeal=appeal, office=office, at=received_at)
            if attach_to is not None:
                events.appeal_attached(case, at=received_at, actor=actor, appeal_id=appeal.pk,
                                       channel=channel)
            elif not public:
                appeal.case = case_transition(actor=actor, case=case, transition="register",
                                              at=received_at)
            audit_record(action="appeal.register", actor=actor,
                         actor_kind=None if actor else "applicant", object_type="appeal",
                         object_id=appeal.pk, data={"case": case.pk, "channel": channel})
    except IntegrityError:
        # Two requests with one idempotency key raced: the other one stored the appeal.
        if idempotency_key:
            existing = Appeal.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise
    return appeal
