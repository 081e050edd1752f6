"""Two records of the same man made one: merging people and linking a case to a person.

Never automatic: staff decide, on the person page (casedesk.staff.person_views), that two
records are the same service member.

:func:`person_merge` makes ``other`` part of ``keep``: every case, applicant link and
appeal of ``other`` now points to ``keep``; ``keep``'s empty details are filled from
``other``'s (a different unit goes to ``keep``'s units over time, :class:`PersonUnit`,
and the unit of the newer case is his current one);
everything sealed with ``other``'s data key is sealed again under ``keep``'s (their
details, the appeals they wrote, and the texts, documents and commission papers of the
cases about them as service member, document files included); then ``other``'s key is
destroyed, as an erasure destroys it, and ``other`` keeps only ``merged_into``. One data
key afterwards: erasing ``keep`` erases all of it.

:func:`case_member_link` says that one case is about ``person``: its service member
becomes ``person``; the old service member record, if nothing else refers to it, is
merged into ``person`` (its data must not stay under a stray key), otherwise only that
case's texts are sealed again under ``person``'s key.

Who may: the action ``person_merge`` (cases.workflow.ACTIONS), and only an actor who sees
every case of both people: a merge must not move another office's data into a record
the actor can read, nor theirs into one the other office reads.

Limits: a document being uploaded to a case of ``other`` while the merge runs was sealed
before it with ``other``'s key; filed after the merge it no longer opens (the uploader
sees the error and uploads it again).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.audit.services import audit_defer, audit_record_many
from casedesk.cases import permissions
from casedesk.cases.documents import FILE_AAD, files_delete
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseNote,
    Document,
    ExtensionRequest,
    Relation,
)
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError
from casedesk.core.names import unit_key
from casedesk.facts.models import Fact
from casedesk.letters.models import Answer
from casedesk.people.models import Person, PersonUnit
from casedesk.review.models import Decision, Referral, Vote
from casedesk.triage.models import Suggestion
from casedesk.urgency.models import UrgencyFlag

from .erasure import _PERSON_BLANK, cases_about

logger = logging.getLogger(__name__)

# The details of ``keep`` that ``other``'s fill when empty.
_FILLED = ("birth_date", "email", "phone", "postal_address", "unit", "region_id")
# The closer relation first: of two links of one person to one case, the closer stays.
_CLOSENESS = {value: rank for rank, value in enumerate(Relation.values)}

# What is sealed with the service member's key in a case about them, as (model, the
# filter from a queryset of case ids, its encrypted fields): erasure.py's list.
_CASE_TEXTS = (
    (CaseNote, "case__in", ("text",)),
    (CaseEvent, "case__in", ("texts",)),
    (Document, "case__in", ("original_name",)),
    (ExtensionRequest, "case__in", ("reason", "refusal")),
    (Answer, "case__in", ("text", "return_comment")),
    (Referral, "case__in", ("summary", "question")),
    (Vote, "item__referral__case__in", ("reason",)),
    (Decision, "item__referral__case__in", ("reasoning",)),
    (UrgencyFlag, "case__in", ("reasons",)),  # issue 19, casedesk.urgency
    (Fact, "case__in", ("text", "normal")),  # facts from the text (casedesk.facts)
    (Suggestion, "case__in", ("reasons",)),  # category suggestions (casedesk.triage)
)
_APPEAL_TEXTS = ("text", "request", "sender_body", "sender_number", "sender_date",
                 "guide_answers")


@dataclass(frozen=True)
class Merge:
    keep_id: int
    other_id: int
    cases: int = 0  # cases whose service member was ``other``
    applicant_links: int = 0  # applicant links moved (or joined with keep's)
    appeals: int = 0  # appeals ``other`` wrote
    resealed: int = 0  # rows sealed again under keep's key
    documents: int = 0  # document files sealed again
    keys_destroyed: int = 0


@dataclass(frozen=True)
class MergePreview:
    """What a merge would move, for the confirmation step (counts only)."""

    cases: int
    applicant_links: int
    appeals: int


def merge_preview(*, other: Person) -> MergePreview:
    return MergePreview(
        cases=Case.objects.filter(service_member_id=other.pk).count(),
        applicant_links=CaseApplicant.objects.filter(person_id=other.pk).count(),
        appeals=Appeal.objects.filter(submitter_id=other.pk).count())


def _require_merger(actor, *people: Person) -> None:
    """The action ``person_merge`` and every case of ``people`` in the actor's offices."""
    if not permissions.can(actor, "person_merge"):
        raise ApplicationError(
            "forbidden", _("Only a caseworker or a supervisor can merge person records."))
    offices = permissions.office_ids(actor)
    for person in people:
        if person.merged_into_id is not None or person.erased_at is not None:
            raise ApplicationError(
                "gone", _("This record was merged into another or erased: open the current "
                          "one."))
        if cases_about(person.pk).exclude(office_id__in=offices).exists():
            raise ApplicationError(
                "other_offices",
                _("This person also has cases in offices you do not work for. Merging "
                  "would move their data across offices: ask a supervisor of all those "
                  "offices."))


def person_merge(*, actor, keep: Person, other: Person, reason: str = "") -> Merge:
    """Merge ``other`` into ``keep`` (see the module's docstring); ``reason`` is not
    stored (free text could name people). Refused with ApplicationError."""
    result = _outermost(person_merge_inner, actor=actor, keep=keep, other=other)
    _refresh(keep, other)
    return result


def _outermost(inner, **kwargs):
    """``inner(**kwargs, audits=, written=)`` as the outermost action: one durable
    transaction, its audit entries written last; the document files it wrote are deleted
    if it fails."""
    written: list[str] = []
    try:
        with transaction.atomic(durable=True):
            audits: list[dict] = []
            result = inner(**kwargs, audits=audits, written=written)
            audit_record_many(audits)
    except BaseException:
        files_delete(written)
        raise
    return result


def _refresh(*people: Person) -> None:
    for person in people:
        person.refresh_from_db()


def _lock(*people: Person) -> dict[int, Person]:
    """The people, locked in the order of their ids (two merges never deadlock)."""
    ids = sorted({p.pk for p in people})
    return {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids)
            .order_by("pk")}


def person_merge_inner(*, actor, keep: Person, other: Person, audits: list[dict] | None,
                       written: list[str], at: dt.datetime | None = None) -> Merge:
    """:func:`person_merge` in the caller's transaction; ``written``: the names of the
    document files written, for the caller to delete if the transaction fails."""
    if keep.pk == other.pk:
        raise ApplicationError("same_person", _("These are the same record."))
    locked = _lock(keep, other)
    keep, other = locked[keep.pk], locked[other.pk]
    _require_merger(actor, keep, other)
    # The cases of both, locked: nothing is added to them while their keys change.
    list(Case.objects.select_for_update().filter(
        pk__in=cases_about(other.pk).values("pk")).values_list("pk", flat=True))
    key = keep.data_key_id()
    at = at or timezone.now()
    member_cases = list(Case.objects.filter(service_member_id=other.pk)
                        .values_list("pk", flat=True))

    _units_join(keep, other)
    for name in _FILLED:
        if not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
    if keep.service_type in ("", "unknown") and other.service_type not in ("", "unknown"):
        keep.service_type = other.service_type
    keep.save()  # every detail sealed again, its indexes and search keys recomputed

    resealed = 0
    if member_cases:
        Case.objects.filter(pk__in=member_cases).update(service_member=keep)
        resealed += _case_texts_reseal(member_cases, key)
    documents = _files_reseal(member_cases, key, written)
    links = _links_move(other.pk, keep.pk)
    appeals = Appeal.objects.filter(submitter_id=other.pk)
    appeal_count = appeals.count()
    resealed += _reseal(appeals, _APPEAL_TEXTS, key)
    # An appeal is never changed (WriteOnce): only who wrote it is now the one record,
    # and its text the same plaintext under the new key.
    appeals.update(submitter=keep)
    resealed += _reseal(PersonUnit.objects.filter(person_id=other.pk), ("unit",), key)
    PersonUnit.objects.filter(person_id=other.pk).update(person=keep)
    # Records merged into ``other`` before now point to ``keep`` (one step, no chain).
    Person.objects.filter(merged_into_id=other.pk).update(merged_into=keep)

    # The crypto-shredding of an erasure: nothing refers to other's key any more.
    destroyed = crypto.keys_destroy([other.key_id])
    Person.objects.filter(pk=other.pk).update(**_PERSON_BLANK, erased_at=at,
                                              merged_into=keep)
    result = Merge(keep_id=keep.pk, other_id=other.pk, cases=len(member_cases),
                   applicant_links=links, appeals=appeal_count, resealed=resealed,
                   documents=documents, keys_destroyed=destroyed)
    audit_defer(audits, action="person.merged", actor=actor, object_type="person",
                object_id=keep.pk,
                data={"person": other.pk, "cases": result.cases,
                      "applicants": result.applicant_links, "appeals": result.appeals,
                      "count": result.resealed})
    return result


def _units_join(keep: Person, other: Person) -> None:
    """When both records name a unit and they differ, both go to ``keep``'s units over
    time, dated by the cases that stated them, and the current unit is the one of the
    record whose case is the newer: the same whichever record the caseworker keeps (a man
    written about in September from в/ч 74814 and in November from 12345 is in 12345)."""
    if not keep.unit or not other.unit or _same_unit(keep.unit, other.unit):
        return
    for person in (keep, other):
        _unit_record(keep, person.unit, Case.objects.filter(service_member_id=person.pk))
    if _newest_receipt(Case.objects.filter(service_member_id=other.pk)) > \
            _newest_receipt(Case.objects.filter(service_member_id=keep.pk)):
        keep.unit = other.unit


def _newest_receipt(cases: models.QuerySet[Case]) -> dt.datetime:
    newest = cases.aggregate(newest=models.Max("received_at"))["newest"]
    return newest or dt.datetime.min.replace(tzinfo=dt.UTC)


def _same_unit(a: str, b: str) -> bool:
    """The same unit however written (в/ч 74814 = ВЧ74814)."""
    return unit_key(a) == unit_key(b)


def _unit_record(person: Person, unit: str, cases: models.QuerySet[Case]) -> None:
    """``unit`` stated by ``cases`` (each its own row, dated by its receipt), unless
    ``person`` has it from those cases already."""
    have = {(u.case_id, u.unit) for u in PersonUnit.objects.filter(person_id=person.pk)}
    rows = [PersonUnit(person=person, unit=unit, case_id=pk,
                       seen_on=timezone.localdate(received))
            for pk, received in cases.values_list("pk", "received_at")
            if (pk, unit) not in have]
    if not rows and not have:
        rows = [PersonUnit(person=person, unit=unit, seen_on=timezone.localdate())]
    for row in rows:
        row.save()


def _links_move(other_id: int, keep_id: int) -> int:
    """Other's applicant links now name ``keep``; where keep is already an applicant of
    the same case (case_applicant_once), one link stays, with the closer relation."""
    moved = 0
    theirs = {link.case_id: link for link in CaseApplicant.objects.filter(person_id=keep_id)}
    for link in CaseApplicant.objects.filter(person_id=other_id).order_by("pk"):
        mine = theirs.get(link.case_id)
        if mine is None:
            CaseApplicant.objects.filter(pk=link.pk).update(person_id=keep_id)
        else:
            if _CLOSENESS.get(link.relation, 99) < _CLOSENESS.get(mine.relation, 99):
                CaseApplicant.objects.filter(pk=mine.pk).update(relation=link.relation)
            link.delete()
        moved += 1
    return moved


def _reseal(queryset: models.QuerySet, names: tuple[str, ...], key_id: str) -> int:
    """Seal the encrypted ``names`` of every row of ``queryset`` again under ``key_id``
    (read with the key each value names, written back as ciphertext with ``update``).
    Returns how many rows changed."""
    model = queryset.model
    fields = [model._meta.get_field(name) for name in names]
    count = 0
    for row in queryset.only("pk", *names).order_by("pk").iterator(chunk_size=500):
        values = {}
        for field in fields:
            value = getattr(row, field.attname)
            if not field.is_empty(value):
                values[field.attname] = crypto.seal_text(key_id, field.to_plain(value),
                                                         field._aad())
        if values:
            model.objects.filter(pk=row.pk).update(**values)
            count += 1
    return count


def _case_texts_reseal(case_ids: list[int], key_id: str) -> int:
    cases = Case.objects.filter(pk__in=case_ids)
    count = _reseal(cases, ("forwarded_to",), key_id)
    for model, lookup, names in _CASE_TEXTS:
        count += _reseal(model.objects.filter(**{lookup: cases.values("pk")}), names, key_id)
    return count


def _files_reseal(case_ids: list[int], key_id: str, written: list[str]) -> int:
    """Each document file of the cases, read with its key and written again, sealed
    under ``key_id``, as a new file; the old files are deleted after the commit (sealed
    with a destroyed key, they could not be read anyway)."""
    if not case_ids:
        return 0
    old: list[str] = []
    count = 0
    for document in Document.objects.filter(case_id__in=case_ids).exclude(file="") \
            .order_by("pk"):
        storage, name = document.file.storage, document.file.name
        try:
            with storage.open(name, "rb") as handle:
                data = crypto.open_bytes(handle.read(), FILE_AAD)
        except FileNotFoundError:
            logger.error("document %s: file %s is missing", document.pk, name)
            continue
        except crypto.KeyMissing:
            continue  # already unreadable: nothing to keep
        document.file.save("document", ContentFile(crypto.seal_bytes(key_id, data, FILE_AAD)),
                           save=False)
        written.append(document.file.name)
        Document.objects.filter(pk=document.pk).update(file=document.file.name)
        old.append(name)
        count += 1
    transaction.on_commit(lambda: files_delete(old))
    return count


def _linked_elsewhere(person_id: int, case_id: int) -> bool:
    """Whether anything outside ``case_id`` refers to the person."""
    return (Case.objects.filter(service_member_id=person_id).exclude(pk=case_id).exists()
            or CaseApplicant.objects.filter(person_id=person_id).exclude(
                case_id=case_id).exists()
            or Appeal.objects.filter(submitter_id=person_id).exclude(case_id=case_id).exists())


@dataclass(frozen=True)
class Link:
    case_id: int
    person_id: int
    previous_id: int
    merged: Merge | None  # the old record, merged into the person (nothing else had it)
    resealed: int = 0


def case_member_link(*, actor, case: Case, person: Person) -> Link:
    """"This case is about that person": ``case``'s service member becomes ``person``."""
    result = _outermost(case_member_link_inner, actor=actor, case=case, person=person)
    case.refresh_from_db()
    person.refresh_from_db()
    return result


def case_member_link_inner(*, actor, case: Case, person: Person, audits: list[dict] | None,
                           written: list[str]) -> Link:
    locked_case = Case.objects.select_for_update().get(pk=case.pk)
    permissions.require(actor, locked_case, "person_merge")
    previous_id = locked_case.service_member_id
    if previous_id == person.pk:
        raise ApplicationError("same_person", _("This case is already about this person."))
    locked = _lock(person, Person(pk=previous_id))
    person, previous = locked[person.pk], locked[previous_id]
    if not _linked_elsewhere(previous.pk, locked_case.pk):
        merged = person_merge_inner(actor=actor, keep=person, other=previous, audits=audits,
                                    written=written)
        audit_defer(audits, action="case.member_linked", actor=actor, object_type="case",
                    object_id=locked_case.pk,
                    data={"person": person.pk, "previous": previous.pk, "count": 0})
        return Link(case_id=locked_case.pk, person_id=person.pk, previous_id=previous.pk,
                    merged=merged)
    _require_merger(actor, person, previous)
    key = person.data_key_id()
    if previous.unit and not (person.unit and _same_unit(person.unit, previous.unit)):
        if person.unit:
            his_cases = Case.objects.filter(service_member_id=person.pk)
            _unit_record(person, person.unit, his_cases)
            _unit_record(person, previous.unit, Case.objects.filter(pk=locked_case.pk))
            if locked_case.received_at > _newest_receipt(his_cases):
                # The case is the newest about him: the unit it states is his current one.
                person.unit = previous.unit
                person.save()
        else:
            person.unit = previous.unit
            person.save()
    Case.objects.filter(pk=locked_case.pk).update(service_member=person)
    resealed = _case_texts_reseal([locked_case.pk], key)
    _files_reseal([locked_case.pk], key, written)
    audit_defer(audits, action="case.member_linked", actor=actor, object_type="case",
                object_id=locked_case.pk,
                data={"person": person.pk, "previous": previous.pk, "count": resealed})
    return Link(case_id=locked_case.pk, person_id=person.pk, previous_id=previous.pk,
                merged=None, resealed=resealed)


def person_current(person_id: int) -> int:
    """The id of the record ``person_id`` was merged into, or itself."""
    merged = (Person.objects.filter(pk=person_id).values_list("merged_into_id", flat=True)
              .first())
    return merged or person_id



def merge_check(*, actor, keep: Person, other: Person) -> None:
    """Whether ``actor`` may merge ``other`` into ``keep`` (the confirmation step asks
    before it shows anything of ``other``); :func:`person_merge` checks again."""
    if keep.pk == other.pk:
        raise ApplicationError("same_person", _("These are the same record."))
    _require_merger(actor, keep, other)
