"""Registering appeals from every channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.audit.services import audit_record, audit_record_many
from casedesk.cases import events, incoming, permissions
from casedesk.cases.models import Appeal, Case, CaseApplicant, Channel, Relation
from casedesk.cases.services import (
    CaseOpening,
    case_open,
    case_transition,
    cases_open_many,
)
from casedesk.core import bulk, crypto
from casedesk.core.errors import ApplicationError
from casedesk.core.states import OPEN_STATES
from casedesk.people.models import Person

from . import schema

REGISTERING_ROLES = {Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR}
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
