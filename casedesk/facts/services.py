"""Facts from the text of new appeals (issue 19, item 4): found in the background after
the receipt (the hook ``cases_opened``), stored encrypted (models.Fact), shown on the case
page and offered, one click each, to fill the empty fields of the service member.

Never on the intake path: the hook's handler only queues a task once the intake's
transaction has committed. A failure leaves the appeal as it was and is logged by the kind
of error and counts (never a word of the text)."""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casedesk.audit.services import audit_record
from casedesk.cases import permissions
from casedesk.cases.models import Appeal, Case
from casedesk.core.errors import ApplicationError
from casedesk.people.models import Person

from .birth import birth_date
from .extract import extract
from .models import Fact, FactType

logger = logging.getLogger(__name__)

# What a fact of a kind may fill on the service member, when that field is empty:
# (fact type, Person field). The unit number is what Person.unit holds («74814»). A date
# only where the rules of ``birth`` read it as his birth date and no other date of the
# case says otherwise (``birth_dates``); his other fields (name, address, phone, email,
# region, service type) are not offered: the text cannot tell reliably whose they are.
FILLS = {FactType.UNIT: "unit", FactType.DATE: "birth_date"}
FIELD_LABELS = {"unit": pgettext_lazy("fact kind", "military unit"),
                "birth_date": pgettext_lazy("fact kind", "birth date")}
CHUNK = 200  # cases per task


def facts_extract_later(case_ids: list[int]) -> None:
    """Queue ``tasks.facts_extract`` for new cases (the hook ``cases_opened``, called
    after the intake's commit). A failure to queue loses only the hint."""
    from . import tasks

    ids = list(case_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        try:
            tasks.facts_extract.enqueue(case_ids=chunk)
        except Exception as exc:  # noqa: BLE001 - the appeals are stored whatever happens
            logger.warning("facts not queued: count=%s error=%s", len(chunk),
                           type(exc).__name__)


def facts_extract(*, case_ids: list[int], ner: bool = True) -> int:
    """Find and store the facts of the appeals of ``case_ids`` that have none yet (run
    again, it adds nothing). Appeals whose text or whose service member is erased are
    skipped. Returns how many facts were stored."""
    stored = 0
    done = set(Fact.objects.filter(case_id__in=case_ids).values_list("appeal_id", flat=True))
    appeals = (Appeal.objects.filter(case_id__in=case_ids)
               .exclude(pk__in=done)
               .select_related("case__service_member", "submitter")
               .order_by("pk"))
    for appeal in appeals.iterator(chunk_size=100):
        case = appeal.case
        if case.service_member.erased_at is not None or appeal.submitter.erased_at is not None:
            continue
        spans = extract(appeal.text, ner=ner)
        if not spans:
            continue
        rows = [Fact(case=case, appeal=appeal, start=s.start, end=s.end, type=s.type,
                     text=s.text[:1000], normal=s.normal[:300]) for s in spans]
        with transaction.atomic():
            Fact.objects.bulk_create(rows)
        stored += len(rows)
    return stored


def fill_value(fact: Fact) -> str | dt.date:
    """What a fact writes into its field: a unit number as «в/ч 74814» (how units are
    written on the forms), a named formation as its normal form, a birth date as a date."""
    if fact.type == FactType.UNIT and re.fullmatch(r"\d{3,6}(?:-\w)?", fact.normal):
        return f"в/ч {fact.normal}"
    if fact.type == FactType.DATE:
        return dt.date.fromisoformat(fact.normal)
    return fact.normal


def birth_dates(case: Case, facts: list[Fact], appeals: list[Appeal] | None = None
                ) -> dict[int, dt.date]:
    """{fact id: date} for the DATE facts of ``case`` that give its service member's
    birth date (``birth.birth_date``); empty unless they all give the same day.
    ``appeals``: the case's appeals with their texts, if the caller has them."""
    dates = sorted((f for f in facts if f.type == FactType.DATE and f.normal),
                   key=lambda f: (f.appeal_id, f.start))
    if not dates:
        return {}
    if appeals is None:
        appeals = list(Appeal.objects.filter(case_id=case.pk, pk__in={f.appeal_id for f in dates})
                       .select_related("submitter"))
    by_pk = {a.pk: a for a in appeals}
    name = case.service_member.full_name
    found: dict[int, dt.date] = {}
    previous: dict[int, int] = {}  # appeal id: where its last date ends
    for fact in dates:
        appeal = by_pk.get(fact.appeal_id)
        if appeal is None or not appeal.text:
            continue
        day = birth_date(appeal.text, fact.start, fact.end, fact.normal, name,
                         timezone.localdate(appeal.received_at),
                         previous.get(fact.appeal_id, 0))
        previous[fact.appeal_id] = fact.end
        if day is not None:
            found[fact.pk] = day
    return found if len(set(found.values())) == 1 else {}


def offers(case: Case, facts: list[Fact], appeals: list[Appeal] | None = None) -> list[dict]:
    """The facts that may fill an empty field of the case's service member: one offer
    per field and value, in text order. Nothing is offered for a filled field (it is
    never overwritten from here) or an erased person. ``appeals``: the case's appeals,
    if the caller has them (a birth date is read in its text)."""
    person = case.service_member
    if person.erased_at is not None:
        return []
    births = birth_dates(case, facts, appeals) if not person.birth_date else {}
    seen, result = set(), []
    for fact in facts:
        field = FILLS.get(fact.type)
        if field is None or getattr(person, field) or not fact.normal:
            continue
        if field == "birth_date" and fact.pk not in births:
            continue
        if field in seen or (field, fact.normal) in seen:
            continue
        seen.add((field, fact.normal))
        if field == "birth_date":
            seen.add(field)  # one birth date: the others found say the same
        value = fill_value(fact)
        result.append({"fact": fact, "field": field, "label": FIELD_LABELS[field],
                       "value": formats.date_format(value) if isinstance(value, dt.date)
                       else value})
    return result


def fact_apply(*, actor, fact: Fact) -> Person:
    """Fill the service member's field that ``fact`` offers (a click of a caseworker or
    supervisor on the case page: workflow action ``fact_apply``). Refused when the field
    is no longer empty: a filled field is never overwritten from a fact; a date that is
    not (or no longer unambiguously) the service member's birth date is refused. Audited
    (ids and the field's name only)."""
    if fact.type == FactType.DATE:  # read before the locks: it decrypts the texts
        case = Case.objects.select_related("service_member").get(pk=fact.case_id)
        permissions.require(actor, case, "fact_apply")
        facts = list(Fact.objects.filter(case_id=case.pk, type=FactType.DATE))
        if fact.pk not in birth_dates(case, facts):
            raise ApplicationError("not_offered", _("This fact cannot fill a field."))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=fact.case_id)
        permissions.require(actor, case, "fact_apply")
        field = FILLS.get(fact.type)
        if field is None or not fact.normal:
            raise ApplicationError("not_offered", _("This fact cannot fill a field."))
        person = Person.objects.select_for_update().get(pk=case.service_member_id)
        if person.erased_at is not None:
            raise ApplicationError("erased", _("The personal data of this person is erased."))
        if getattr(person, field):
            raise ApplicationError(
                "already_filled",
                _("The field is already filled; it is not changed from the text."))
        setattr(person, field, fill_value(fact))
        person.save()
        audit_record(action="person.fact_applied", actor=actor, object_type="person",
                     object_id=person.pk,
                     data={"case": case.pk, "appeal": fact.appeal_id, "fields": [field]})
    return person
