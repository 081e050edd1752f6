"""Erasing a person's data (crypto-shredding); the retention rules that call for it are
in :mod:`.retention`.

:func:`person_erase` destroys the person's data key in the key store
(casedesk.core.crypto). Everything sealed with that key becomes unreadable in every copy
at once: the live database, replicas and backups of the data database. That covers
their details and units over time, the appeals they wrote, and the notes, timeline texts, documents,
commission papers and answers of the cases about them as service member. What the data database
still holds is then blanked, since it can no longer be read anyway: the encrypted
columns, the blind indexes, and the search words of those appeals and notes. The
hashes of document contents are blanked too, because they could confirm a guess. The
row of the person stays, with ``erased_at`` set and only their service type and
region. The cases stay as well (category, state, dates, outcome) for the statistics.

What lies outside the encrypted columns goes too: the access codes of the cases the
person is in are revoked (``access_code_hash`` blanked, so the old code opens neither the
status page nor the API, and a portal session that had opened the case stops working),
the sealed codes and fingerprints of their public submissions are blanked, the email
tasks of those cases lose their arguments (the sealed code), the sessions that hold one
of those cases are deleted, and, after the commit, their messages are removed from the
development mail spool (``EMAIL_FILE_PATH`` of the file-based email backend).

Limits (by design of the per-person keys): an appeal written *about* a person by someone
else is sealed with its writer's key, so it stays readable until the writer is erased
too. Retention erases everyone in a case together, so it is not affected.

Other processes may hold an unwrapped copy of a destroyed key in memory for at most
``CASEDESK_KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.roles import Role
from casedesk.audit.services import audit_record
from casedesk.cases import permissions
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseNote,
    Document,
    ExtensionRequest,
)
from casedesk.core import crypto, hooks, mail_spool
from casedesk.core.errors import ApplicationError
from casedesk.facts.models import Fact
from casedesk.intake.models import PublicSubmission
from casedesk.letters.models import Answer
from casedesk.people.models import Person, PersonUnit
from casedesk.review.models import Decision, Referral, Vote
from casedesk.triage.models import Suggestion
from casedesk.urgency.models import UrgencyFlag

# Why a person is erased (the audit entry holds the code, nothing else).
REASONS = {
    "request": _("lawful erasure request of the person"),
    "retention": _("the retention period of all their cases has passed"),
}
ERASING_ROLES = permissions.roles_of("person_erase")  # a view of cases.workflow.ACTIONS

# Every personal column of Person, with the value that means "nothing".
_PERSON_BLANK = {
    "key_id": "", "full_name": "", "birth_date": None, "email": "", "phone": "",
    "postal_address": "", "unit": "", "name_birth_index": "", "name_unit_index": "",
    "phone_index": "", "email_index": "", "search_keys": "", "typo_keys": "",
    "match_keys": "",
}


@dataclass(frozen=True)
class Erasure:
    person_id: int
    erased_at: dt.datetime
    already_erased: bool = False
    keys_destroyed: int = 0
    appeals: int = 0  # appeals they wrote, blanked
    cases: int = 0  # cases about them as service member (kept, their texts blanked)
    case_texts: int = 0  # notes, events, documents and commission papers blanked


def _require_eraser(actor, person: Person) -> None:
    """A supervisor of an office holding one of the person's cases, or an administrator."""
    role = getattr(actor, "role", None)
    if not permissions.can(actor, "person_erase"):
        raise ApplicationError(
            "forbidden", _("Only a supervisor or an administrator can erase a person's data."))
    if role == Role.SUPERVISOR and not cases_about(person.pk).filter(
            office_id__in=permissions.office_ids(actor)).exists():
        raise ApplicationError("not_found", _("No case of your offices concerns this person."))


def cases_about(person_id: int) -> QuerySet[Case]:
    """The cases the person is in: as service member, applicant or author of an appeal
    (subqueries, no joins: usable with select_for_update)."""
    return Case.objects.filter(
        Q(service_member_id=person_id)
        | Q(pk__in=CaseApplicant.objects.filter(person_id=person_id).values("case_id"))
        | Q(pk__in=Appeal.objects.filter(submitter_id=person_id).values("case_id")))


def person_erase(*, actor, person: Person, reason_code: str,
                 at: dt.datetime | None = None) -> Erasure:
    """Erase ``person``: destroy their data key, then blank what can no longer be read.
    ``actor`` is a user (supervisor or administrator) or ``None`` for the system
    (management commands). Erasing an erased person changes nothing."""
    if reason_code not in REASONS:
        raise ApplicationError("unknown_reason", _("Choose a reason for the erasure."))
    if actor is not None:
        _require_eraser(actor, person)
    at = at or timezone.now()
    with transaction.atomic():
        locked = (Person.objects.select_for_update().only("pk", "key_id", "erased_at")
                  .get(pk=person.pk))
        if locked.erased_at is not None:
            return Erasure(person_id=locked.pk, erased_at=locked.erased_at,
                           already_erased=True)
        # What the spool is searched for, read while the key still opens it: their
        # addresses and the numbers of the cases they are in.
        about = list(cases_about(locked.pk).values_list("pk", "number"))
        addresses = _addresses(locked.pk)
        # First the key: that is the erasure. If anything below fails, this transaction
        # rolls back with key_id still set and erased_at unset, and running the erasure
        # again finishes it.
        destroyed = crypto.keys_destroy([locked.key_id])
        _outside_the_key_store([pk for pk, _number in about])
        appeals = Appeal.objects.filter(submitter_id=locked.pk).update(
            text="", request="", search_tokens="", similarity="", sender_body="",
            sender_number="", sender_date=None, guide_answers="")
        cases = Case.objects.filter(service_member_id=locked.pk).values("pk")
        case_count = cases.count()
        texts = 0
        if case_count:
            texts += CaseNote.objects.filter(case__in=cases).update(text="", search_tokens="")
            texts += Case.objects.filter(service_member_id=locked.pk).exclude(
                forwarded_to="").update(forwarded_to="")
            texts += ExtensionRequest.objects.filter(case__in=cases).update(reason="",
                                                                           refusal="")
            texts += CaseEvent.objects.filter(case__in=cases).exclude(texts="").update(
                texts={})
            texts += Document.objects.filter(case__in=cases).update(original_name="",
                                                                    sha256="")
            texts += Referral.objects.filter(case__in=cases).update(summary="", question="")
            texts += Vote.objects.filter(item__referral__case__in=cases).update(reason="")
            texts += Decision.objects.filter(item__referral__case__in=cases).update(
                reasoning="")
            texts += Answer.objects.filter(case__in=cases).update(text="", return_comment="")
            # Urgency (issue 19): which rules matched (sensitive) goes; "urgent" stays.
            texts += UrgencyFlag.objects.filter(case__in=cases).update(reasons={})
            # Category suggestions (issue 19): their reasons are words of the appeal.
            texts += Suggestion.objects.filter(case__in=cases).exclude(reasons="").update(
                reasons={})
        # Facts found in the texts (casedesk.facts): of the cases about them (sealed with
        # their key) and of the appeals they wrote (quoting a text now blanked).
        texts += Fact.objects.filter(Q(case__service_member_id=locked.pk)
                                     | Q(appeal__submitter_id=locked.pk)).delete()[0]
        # Their units over time (people.lifecycle.merge), sealed with the same key.
        PersonUnit.objects.filter(person_id=locked.pk).update(unit="")
        Person.objects.filter(pk=locked.pk).update(**_PERSON_BLANK, erased_at=at)
        audit_record(action="person.erased", actor=actor, object_type="person",
                     object_id=locked.pk, data={"ground": reason_code})
        # Files are not transactional: the spool is cleaned once the erasure is committed.
        numbers = [number for _pk, number in about]
        transaction.on_commit(lambda: mail_spool.forget(addresses=addresses,
                                                        case_numbers=numbers))
    # The caller's instance must not keep (or save back) what was erased.
    for name, value in _PERSON_BLANK.items():
        setattr(person, name, value)
    person.erased_at = at
    return Erasure(person_id=locked.pk, erased_at=at, keys_destroyed=destroyed,
                   appeals=appeals, cases=case_count, case_texts=texts)


def _addresses(person_id: int) -> list[str]:
    """The person's email address, read (decrypted) before their key is destroyed."""
    email = Person.objects.only("key_id", "email").get(pk=person_id).email
    return [email] if email else []


# django-tasks-db's statuses of a task that will not run again.
TASKS_FINISHED = ("SUCCESSFUL", "FAILED")


def _outside_the_key_store(case_ids: list[int]) -> None:
    """Revoke what opens or names the cases ``case_ids`` outside the encrypted columns:
    their access codes, the sealed codes and fingerprints of their public submissions,
    the arguments of their email tasks and the sessions that hold them."""
    if not case_ids:
        return
    Case.objects.filter(pk__in=case_ids).exclude(access_code_hash="").update(
        access_code_hash="")
    PublicSubmission.objects.filter(appeal__case_id__in=case_ids).update(
        sealed_access_code="", fingerprint="")
    _tasks_forget(case_ids)
    _sessions_forget(case_ids)
    # The notices outbox (notifications, above this layer) blanks the sealed codes of
    # these cases and gives up the notices still to send, in this transaction.
    hooks.emit("cases_erased", case_ids=list(case_ids))


def _tasks_forget(case_ids: list[int]) -> None:
    """The email tasks of the cases (django-tasks-db rows; ids, a kind and the sealed
    access code in their arguments): finished ones lose their arguments; one still to run
    keeps the case id and loses the code (it finds no address to write to any more)."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(args_kwargs__kwargs__case_id__in=case_ids)
    rows.filter(status__in=TASKS_FINISHED).update(args_kwargs={"args": [], "kwargs": {}})
    for row in rows.exclude(status__in=TASKS_FINISHED).select_for_update():
        kwargs = row.args_kwargs.get("kwargs", {})
        if kwargs.get("sealed_code"):
            row.args_kwargs = {**row.args_kwargs, "kwargs": {**kwargs, "sealed_code": ""}}
            row.save(update_fields=["args_kwargs"])


_PORTAL_CASE, _PORTAL_RECEIPT = "portal_case", "portal_receipt"  # casedesk.portal.views


def _sessions_forget(case_ids: list[int]) -> None:
    """Delete the stored sessions (database session engines) that opened one of the
    cases on the portal or hold the receipt of its appeal. Other engines: the portal
    refuses a session whose case has no access code any more."""
    if not settings.SESSION_ENGINE.endswith((".db", ".cached_db")):
        return
    from django.contrib.sessions.models import Session

    numbers = set(Case.objects.filter(pk__in=case_ids).values_list("number", flat=True))
    stale = []
    # Live sessions only: an expired one opens nothing, and since the receipt's code is
    # sealed under the browser's key (portal.views) a stored session holds no code
    # readably; it is the live ones that must stop opening the case.
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for key, data in live.values_list("session_key", "session_data").iterator():
        decoded = Session(session_key=key, session_data=data).get_decoded()
        receipt = decoded.get(_PORTAL_RECEIPT) or {}
        if decoded.get(_PORTAL_CASE) in case_ids or (
                isinstance(receipt, dict) and receipt.get("case_number") in numbers):
            stale.append(key)
    if stale:
        Session.objects.filter(session_key__in=stale).delete()
        if settings.SESSION_ENGINE.endswith(".cached_db"):
            from django.contrib.sessions.backends.cached_db import SessionStore

            for key in stale:
                SessionStore(session_key=key).delete(key)
