"""Bulk import of appeals received outside casedesk, from a CSV file (docs/import.md).

Two passes over the file, so that memory does not grow with it:

1. *check*: every row is parsed and checked; every bad cell is reported (row, column,
   message) and, if there is any, nothing is written. Each good row gets an idempotency
   key, a keyed hash (:func:`casedesk.core.secrets.key_hash`) of the office and either the
   row's ``external_id`` or its whole content; rows whose key is already stored in
   ``Appeal.idempotency_key`` were imported before and are skipped.
2. *write*: the file is read again and the rows are written in batches through the bulk
   path, all in one transaction (all or nothing): data keys made in bulk
   (:func:`casedesk.core.crypto.keys_make`), then people, cases, applicant links,
   appeals, events and deadlines. On PostgreSQL they go in with COPY (the data keys too,
   into the key store), their columns computed as the model fields' ``pre_save``
   computes them (encryption, blind indexes, search tokens), sent by two more threads
   (data, key store) while the next batch is encrypted, foreign keys checked at the end
   of each COPY;
   elsewhere with ``bulk_create`` (:func:`casedesk.core.crypto.keys_new`). One audit
   entry for the whole import, holding counts only.

Imported appeals are registered at once, as a clerk registers a letter: each case goes
received → registered at ``received_at`` and its deadlines are what the services would
have left, computed with the rulebook's pure functions by
:func:`casedesk.cases.deadline_sync.deadlines_walk` (as ``casedesk.demo.generator``
does), once per rulebook and day of reception. Case numbers are reserved in one step per
office and year before the write transaction, so that web intake is not held up by a long
import. If the write fails (a bad row that slipped past the check, the database connection
lost, Ctrl-C), the numbers are given back when no one has reserved numbers after them
(:func:`_numbers_give_back`), so the numbering keeps no gap; if someone has, or the
database is not there to take them back, they stay unused. A process killed outright
(SIGKILL, a power cut) cannot give anything back: nothing marks which reserved numbers
belong to an import that died rather than to one still writing in another process, so
a later run cannot reclaim them safely; that leaves a gap, never a number used twice.
A lost database connection ends the import with a message (``import_interrupted``),
not a traceback: nothing was written, and running it again is safe.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import queue
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    router,
    transaction,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.audit.services import audit_record
from casedesk.cases import events, permissions
from casedesk.cases.deadline_sync import deadlines_walk
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseNumberCounter,
    Channel,
    Deadline,
    DeadlineFlag,
    Relation,
)
from casedesk.cases.services import (
    case_numbers_reserve,
    case_prepare,
    format_case_number,
)
from casedesk.cases.workflow import TRANSITIONS
from casedesk.core import bulk, hooks
from casedesk.core.bulk import copy_text, new_ids
from casedesk.core.crypto import keys_make, keys_new
from casedesk.core.errors import ApplicationError
from casedesk.core.models import DataKey, Region
from casedesk.core.secrets import key_hash
from casedesk.core.states import CaseState as S
from casedesk.deadlines.rules import filing_limit_date, status
from casedesk.people.models import Person, ServiceType

from . import schema
from .services import REGISTERING_ROLES, after_receipt

logger = logging.getLogger(__name__)

# The columns of the format, in the order of docs/import.md. Only REQUIRED must be in the
# header; a missing optional column reads as empty cells.
COLUMNS = (
    "external_id", "received_at", "channel", "category", "subcategory", "language",
    "applicant_name", "applicant_email", "applicant_phone", "applicant_address", "relation",
    "member_name", "member_birth_date", "member_unit", "member_service_type", "member_region",
    "violation_known_on", "text", "request",
)
REQUIRED = ("received_at", "applicant_name", "relation", "text")
# How an imported appeal may have arrived; "import" when the register does not say.
CHANNELS = (Channel.LETTER, Channel.EMAIL, Channel.PHONE, Channel.VISIT, Channel.WEB,
            Channel.IMPORT)
MAX_EXTERNAL_ID = 100
KEY_PREFIX = "imp1:"
BATCH = 1000
# A received_at this far in the future is a typo, not clock skew.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class RowError:
    """One bad cell (or row, when ``column`` is empty). Row 1 is the header; the first
    appeal is row 2, as a spreadsheet numbers them."""

    row: int
    column: str
    message: str | Promise
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        message = str(self.message)
        return message % self.params if self.params else message


@dataclass
class ImportResult:
    rows: int = 0  # appeal rows in the file (blank lines not counted)
    imported: int = 0
    already_imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Seconds per step (check, lookup, parse, plan, keys, encrypt, copy or bulk_create,
    # commit), for the benchmark.
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class _Person:
    full_name: str
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    birth_date: dt.date | None = None
    unit: str = ""
    service_type: str = ""
    region: Region | None = None


@dataclass(slots=True)
class _Draft:
    row: int
    key: str
    received_at: dt.datetime
    day: dt.date
    year: int
    book: rulebook.Rulebook
    channel: str
    category: str
    subcategory: str
    language: str
    relation: str
    applicant: _Person
    member: _Person | None  # None when the applicant is the service member (relation self)
    text: str
    request: str
    violation_known_on: dt.date | None


class _FileError(Exception):
    def __init__(self, error: RowError):
        self.error = error


# ---------------------------------------------------------------------------- reading


# Bytes that are not UTF-8 are read as lone surrogates (errors="surrogateescape"), so that
# the cell that holds them can be named.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every record, the header first (row 1). UTF-8 with or
    without a byte-order mark; comma- or semicolon-separated (whichever the header line
    uses more); RFC 4180 quoting, so a cell may hold commas and line breaks."""
    row = 0
    try:
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            delimiter = ";" if first.count(";") > first.count(",") else ","
            for row, cells in enumerate(csv.reader(handle, delimiter=delimiter, strict=True),
                                        start=1):
                yield row, cells
    except csv.Error:
        raise _FileError(RowError(row + 1, "", _(
            "The file cannot be read as CSV from this row on (a stray quote or a NUL "
            "character)."))) from None


def _header(cells: list[str]) -> tuple[list[str], list[RowError]]:
    names = [c.strip().lower() for c in cells]
    errors = []
    seen = set()
    for name in names:
        if _NOT_UTF8.search(name):
            errors.append(RowError(1, "", _(
                "The file is not UTF-8 text: save it as CSV in UTF-8.")))
            break
        if name not in COLUMNS:
            errors.append(RowError(1, name, _(
                "Unknown column: the columns are listed in docs/import.md.")))
        elif name in seen:
            errors.append(RowError(1, name, _("The column appears twice in the header.")))
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            errors.append(RowError(1, name, _("A required column is missing from the header.")))
    return names, errors


# ---------------------------------------------------------------------------- checking


# 01.03.2026, 1.3.2026 14:30, 01.03.2026 14:30:15 (strptime is several times slower)
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\Z")


def _parse_datetime(value: str, tz) -> dt.datetime | None:
    """ISO 8601 (with or without an offset; a date alone is midnight) or DD.MM.YYYY
    [HH:MM[:SS]]; a time without an offset is in ``tz``."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        match = _DOTTED.match(value)
        if match is None:
            return None
        day, month, year, hour, minute, second = match.groups()
        try:
            parsed = dt.datetime(int(year), int(month), int(day), int(hour or 0),
                                 int(minute or 0), int(second or 0))
        except ValueError:
            return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, tz)


def _parse_date(value: str) -> dt.date | None:
    """YYYY-MM-DD or DD.MM.YYYY."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        match = _DOTTED.match(value)
        if match is None or match.group(4) is not None:
            return None
        day, month, year = match.groups()[:3]
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            return None


_one_line = schema.one_line

# The column of each field of the appeal schema (``schema.AppealIn``); for relation "self"
# the applicant's service details are the member_ columns.
_COLUMN_OF = {
    "channel": "channel", "relation": "relation", "text": "text", "request": "request",
    "language": "language", "category": "category", "subcategory": "subcategory",
    "applicant.full_name": "applicant_name", "applicant.email": "applicant_email",
    "applicant.phone": "applicant_phone", "applicant.postal_address": "applicant_address",
    "applicant.birth_date": "member_birth_date", "applicant.unit": "member_unit",
    "applicant.service_type": "member_service_type", "applicant.region_code": "member_region",
    "service_member": "member_name", "service_member.full_name": "member_name",
    "service_member.birth_date": "member_birth_date", "service_member.unit": "member_unit",
    "service_member.service_type": "member_service_type",
    "service_member.region_code": "member_region",
}
# The schema's refusals in the words of a file (what to write in the cell), by code.
_WORDS = {
    "too_long": (_("At most %(max)s characters."), {}),
    "unknown_relation": (_("Unknown relation: use one of %(values)s."),
                         {"values": ", ".join(Relation.values)}),
    "unknown_service_type": (_("Unknown service type: use one of %(values)s."),
                             {"values": ", ".join(ServiceType.values)}),
    "unknown_region": (_("Unknown region: use an ISO code such as RU-MOW."), {}),
    "unknown_category": (_("Unknown category: use a category code of the rulebook."), {}),
    "unknown_subcategory": (_("Unknown sub-category for this category."), {}),
    "received_in_future": (_("The date is in the future."), {}),
}


def _bad_in_words(bad, column: str, error: ApplicationError, cells: dict[str, str]) -> None:
    words = _WORDS.get(error.code)
    if words is None or (error.code == "unknown_relation" and not cells["relation"]):
        bad(column, error.message, **error.params)  # an empty relation: "choose who..."
    else:
        bad(column, words[0], **{**error.params, **words[1]})


class _Checker:
    """Parses and checks rows; needs one query (the regions) whatever the file's size."""

    def __init__(self, office: Office, *, now: dt.datetime):
        self.office = office
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.regions = schema.regions_load()
        self.books: dict[dt.date, rulebook.Rulebook] = {}
        self.index: dict[str, int] = {}

    def book(self, day: dt.date) -> rulebook.Rulebook:
        book = self.books.get(day)
        if book is None:
            book = self.books[day] = rulebook.current(day)
        return book

    def key(self, cells: dict[str, str]) -> str:
        """The row's idempotency key: its external id if it has one, else its content."""
        if cells["external_id"]:
            source = "\x1f".join(("import-id", self.office.code, cells["external_id"]))
        else:
            source = "\x1f".join(("import-row", self.office.code,
                                  *(cells[name] for name in COLUMNS)))
        return KEY_PREFIX + key_hash(source)

    def check(self, row: int, raw: list[str]) -> tuple[_Draft | None, list[RowError]]:
        if len(raw) != len(self.index):
            return None, [RowError(row, "", _(
                "The row has %(found)s cells, the header %(expected)s."),
                {"found": len(raw), "expected": len(self.index)})]
        cells = {name: (raw[i].strip() if (i := self.index.get(name)) is not None else "")
                 for name in COLUMNS}
        errors: list[RowError] = []
        reported: set[str] = set()

        def bad(column: str, message, **params) -> None:
            if column not in reported:  # one message per cell: the first problem
                reported.add(column)
                errors.append(RowError(row, column, message, params))

        joined = "".join(raw)
        if "\x00" in joined or _NOT_UTF8.search(joined):
            for name, value in cells.items():
                if _NOT_UTF8.search(value):
                    bad(name, _("The cell is not UTF-8 text: save the file as CSV in UTF-8."))
                    cells[name] = ""
                else:
                    try:
                        schema.characters_check(value)
                    except ApplicationError as error:
                        bad(name, error.message, **error.params)
                        cells[name] = ""
        if len(cells["external_id"]) > MAX_EXTERNAL_ID:
            bad("external_id", _("At most %(max)s characters."), max=MAX_EXTERNAL_ID)

        # What only a file has: dates written as text, the channels an import may name,
        # a repeated name for relation "self". The appeal's own rules are the schema's.
        received_at = None
        if not cells["received_at"]:
            bad("received_at", _("Give the date and time the appeal was received."))
        else:
            received_at = _parse_datetime(cells["received_at"], self.tz)
            if received_at is None:
                bad("received_at", _("Not a date and time: write 2026-03-01 14:30 or "
                                     "01.03.2026 14:30."))
            else:
                try:
                    schema.received_at_check(received_at, now=self.now,
                                             tolerance=FUTURE_TOLERANCE, history=True)
                except ApplicationError as error:
                    _bad_in_words(bad, "received_at", error, cells)
                    received_at = None
        local = (received_at or self.now).astimezone(self.tz)
        day = local.date()

        channel = cells["channel"] or Channel.IMPORT
        if channel not in CHANNELS:
            bad("channel", _("Unknown channel: use one of %(values)s."),
                values=", ".join(CHANNELS))
        relation = cells["relation"]
        self_appeal = relation == Relation.SELF
        applicant_name, member_name = (_one_line(cells["applicant_name"]),
                                       _one_line(cells["member_name"]))
        if self_appeal and member_name and applicant_name and \
                member_name.casefold() != applicant_name.casefold():
            bad("member_name", _("The applicant is the service member (relation self): "
                                 "leave member_name empty or repeat applicant_name."))
        birth_date = None
        if cells["member_birth_date"]:
            birth_date = _parse_date(cells["member_birth_date"])
            if birth_date is None:
                bad("member_birth_date", _("Not a date: write 1990-05-01 or 01.05.1990."))
        known_on = None
        if cells["violation_known_on"]:
            known_on = _parse_date(cells["violation_known_on"])
            if known_on is None:
                bad("violation_known_on", _("Not a date: write 1990-05-01 or 01.05.1990."))
            elif known_on > day:
                bad("violation_known_on", _("The date is after the appeal was received."))
                known_on = None

        try:
            appeal = schema.AppealIn.model_validate({
                "channel": channel, "relation": relation, "text": cells["text"],
                "request": cells["request"], "language": cells["language"] or "ru",
                "category": cells["category"] or "other",
                "subcategory": cells["subcategory"],
                "applicant": {"full_name": applicant_name, "email": cells["applicant_email"],
                              "phone": cells["applicant_phone"],
                              "postal_address": cells["applicant_address"]},
                "service_member": {"full_name": member_name, "birth_date": birth_date,
                                   "unit": cells["member_unit"],
                                   "service_type": cells["member_service_type"]
                                   or ServiceType.UNKNOWN,
                                   "region_code": cells["member_region"]},
            }, context={"on": day, "book": self.book(day)})
        except PydanticValidationError as exc:
            for field_name, found in schema.problems(exc).items():
                column = _COLUMN_OF.get(field_name, "")
                for error in found:
                    _bad_in_words(bad, column, error, cells)
            appeal = None
        if errors:
            return None, errors

        applicant, member = appeal.applicant, appeal.subject
        region = self.regions.get(member.region_code) if member.region_code else None
        member_details = dict(birth_date=member.birth_date, unit=member.unit,
                              service_type=member.service_type, region=region)
        applicant = _Person(
            full_name=applicant.full_name, email=applicant.email, phone=applicant.phone,
            postal_address=applicant.postal_address,
            **(member_details if self_appeal else {}),
        )
        member = None if self_appeal else _Person(full_name=member.full_name,
                                                  **member_details)
        return _Draft(
            row=row, key=self.key(cells), received_at=received_at, day=day,
            year=local.year, book=self.book(day), channel=channel,
            category=appeal.category, subcategory=appeal.subcategory,
            language=appeal.language, relation=relation,
            applicant=applicant, member=member, text=appeal.text, request=appeal.request,
            violation_known_on=known_on,
        ), []

    def rows(self, path: Path, errors: list[RowError]) -> Iterator[_Draft | None]:
        """Every appeal row of the file as a draft (None for a bad one, its errors added
        to ``errors``). Blank lines and rows of empty cells are skipped."""
        records = _records(path)
        self.index = {}
        try:
            for row, raw in records:
                if row == 1:
                    names, header_errors = _header(raw)
                    if header_errors:
                        errors.extend(header_errors)
                        return
                    self.index = {name: i for i, name in enumerate(names)}
                    continue
                if not any(cell.strip() for cell in raw):
                    continue
                draft, row_errors = self.check(row, raw)
                errors.extend(row_errors)
                yield draft
            if not self.index:
                errors.append(RowError(1, "", _("The file is empty: it has no header row.")))
        except _FileError as failure:
            errors.append(failure.error)


# ---------------------------------------------------------------------------- writing


@dataclass
class _Batch:
    """What one batch of rows writes, as column values by attribute name (plaintext: the
    emitters encrypt). ``_`` keys point into the other lists of the batch."""

    people: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    appeals: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    deadlines: list[dict] = field(default_factory=list)


def _columns(obj, *, leave_out: tuple[str, ...]) -> dict:
    """The column values of the unsaved model instance ``obj`` by attribute name, but its
    primary key and ``leave_out``."""
    values = obj.__dict__
    return {f.attname: values[f.attname] for f in type(obj)._meta.concrete_fields
            if not f.primary_key and f.attname not in leave_out}


# What a row gives a new case beside what case_prepare works out once per rulebook,
# category and sub-category (``_Planner.case``).
_CASE_OWN = ("received_at", "year", "violation_known_on", "service_member_id")


def _person_values(data: _Person) -> dict:
    return {"full_name": data.full_name, "birth_date": data.birth_date, "email": data.email,
            "phone": data.phone, "postal_address": data.postal_address,
            "service_type": data.service_type, "unit": data.unit,
            "region_id": data.region.pk if data.region else None}


@dataclass
class _Planner:
    """Turns checked rows into what the services write for each: the case as
    ``cases.services.case_prepare`` works it out, registered at ``received_at`` (the
    register move of the workflow table), its applicant link, appeal, timeline (built by
    ``cases.events``) and deadlines.

    Model instances cost more to make than the rest of a row's planning, so the case
    and the events are made once per kind and copied into each row as column values,
    with what differs from row to row: ``case_prepare`` runs once per rulebook, category
    and sub-category (the row gives its own reception time, year and date of the
    violation; the deadlines, which depend on the day, come from :meth:`deadlines`); an
    event builder once per set of arguments (the row gives its case and time)."""

    actor: object
    office: Office
    today: dt.date
    sequences: dict[int, int]  # row -> case sequence number
    deadline_cache: dict = field(default_factory=dict)
    case_cache: dict = field(default_factory=dict)
    event_cache: dict = field(default_factory=dict)

    def deadlines(self, book: rulebook.Rulebook, day: dt.date) -> tuple[list[dict], dict]:
        """The deadline rows of a case opened and registered on ``day`` and the case's
        deadline columns, worked out once per rulebook and day (the rows received on one
        day share them): the dates by ``deadlines_walk``; an open deadline's flag as of
        today, a closed one's the flag it had when it was opened, as the services leave
        it."""
        key = (book.version, day)
        cached = self.deadline_cache.get(key)
        if cached is None:
            due_soon = book.due_soon_days
            rows, open_due = [], []
            for past in deadlines_walk(book, self.office.procedure,
                                       [S.RECEIVED, S.REGISTERED], [day, day],
                                       today=self.today):
                flag = status(past.due_on,
                              self.today if past.closed_on is None else past.starts_on,
                              due_soon_days=due_soon)
                rows.append({"rule": past.rule, "starts_on": past.starts_on,
                             "due_on": past.due_on, "closed_on": past.closed_on,
                             "met": past.met, "flag": str(flag),
                             "pauses": [[a.isoformat(), b.isoformat() if b else None]
                                        for a, b in past.pauses]})
                if past.closed_on is None:
                    open_due.append(past.due_on)
            next_due = min(open_due) if open_due else None
            case = {"next_due_on": next_due,
                    "deadline_flag": str(status(next_due, self.today, due_soon_days=due_soon))
                    if next_due else str(DeadlineFlag.OK)}
            cached = self.deadline_cache[key] = (rows, case)
        return cached

    def case(self, d: _Draft) -> dict:
        """The columns ``case_prepare`` gives the case of ``d`` but those of :data:`_CASE_OWN`
        and its deadline columns."""
        key = (d.book.version, d.category, d.subcategory)
        columns = self.case_cache.get(key)
        if columns is None:
            case = case_prepare(office=self.office, service_member=None, category=d.category,
                                subcategory=d.subcategory, received_at=d.received_at).case
            if case.rulebook_version != d.book.version:
                raise RuntimeError("the import and case_prepare chose different rulebooks")
            columns = self.case_cache[key] = _columns(
                case, leave_out=_CASE_OWN + ("next_due_on", "deadline_flag"))
        return columns

    def event(self, build, case: int, at: dt.datetime, **kwargs) -> dict:
        """The event ``build`` (a function of ``cases.events``) makes with ``kwargs``, as
        the column values of the batch's ``case``-th case at ``at``."""
        key = (build, *kwargs.items())
        columns = self.event_cache.get(key)
        if columns is None:
            columns = self.event_cache[key] = _columns(build(None, at=None, **kwargs),
                                                       leave_out=("case_id", "at"))
        return {**columns, "_case": case, "at": at}

    def plan(self, drafts: list[_Draft]) -> _Batch:
        office = self.office
        actor = self.actor
        actor_id = actor.pk if actor is not None else None
        register = TRANSITIONS["register"]
        registered = str(register.target)
        batch = _Batch()
        people = batch.people
        for d in drafts:
            applicant = len(people)
            people.append(_person_values(d.applicant))
            member = applicant
            if d.member is not None:
                member = len(people)
                people.append(_person_values(d.member))
            case = len(batch.cases)
            sequence = self.sequences[d.row]
            deadlines, case_deadline = self.deadlines(d.book, d.day)
            batch.deadlines.extend({**row, "_case": case} for row in deadlines)
            batch.cases.append({
                **self.case(d), "_member": member, "received_at": d.received_at,
                "year": d.year, "violation_known_on": d.violation_known_on,
                # registered at once
                "number": format_case_number(office.code, d.year, sequence),
                "sequence": sequence, "state": registered, "registered_at": d.received_at,
                **case_deadline,
            })
            batch.links.append({"_case": case, "_person": applicant,
                                "relation": d.relation})
            batch.appeals.append({
                "_case": case, "_submitter": applicant, "channel": d.channel,
                "received_at": d.received_at, "language": d.language, "text": d.text,
                "request": d.request, "registered_by_id": actor_id, "idempotency_key": d.key})
            batch.events.append(self.event(events.case_opened_new, case, d.received_at,
                                           actor=actor, channel=d.channel))
            limit = d.book.procedures[office.procedure].filing_limit
            if limit and d.violation_known_on is not None:
                last_day = filing_limit_date(d.book.filing_limits[limit].period,
                                             known_on=d.violation_known_on)
                if d.day > last_day:
                    batch.events.append(self.event(events.filing_limit_passed_new, case,
                                                   d.received_at, limit=limit,
                                                   last_day=last_day))
            batch.events.append(self.event(
                events.state_changed_new, case, d.received_at, actor=actor,
                transition="register", source=str(S.RECEIVED), target=registered,
                public=register.public))
        return batch


def _plain(values: dict) -> dict:
    return {k: v for k, v in values.items() if not k.startswith("_")}


class _BulkCreateEmitter:
    """Writes batches with bulk_create (any database); the fields' pre_save encrypts."""

    def __init__(self, *, people: int, cases: int, timings: dict[str, float]):
        self.timings = timings

    def keys(self, count: int) -> list[str]:
        """``count`` new data keys, stored in the key store; their ids."""
        return keys_new(count)

    def emit(self, batch: _Batch) -> int:
        """Write ``batch``; the id of its last case."""
        started = time.perf_counter()
        people = [Person(**values) for values in batch.people]
        Person.objects.bulk_create(people, batch_size=len(people))
        cases = [Case(service_member=people[v["_member"]], **_plain(v)) for v in batch.cases]
        Case.objects.bulk_create(cases, batch_size=len(cases))
        for values, case in zip(batch.cases, cases, strict=True):
            values["id"] = case.pk  # as the COPY emitter fills it in
        for model, rows, related in (
                (CaseApplicant, batch.links, {"person": ("_person", people)}),
                (Appeal, batch.appeals, {"submitter": ("_submitter", people)}),
                (CaseEvent, batch.events, {}),
                (Deadline, batch.deadlines, {})):
            objects = [model(case=cases[v["_case"]], **_plain(v),
                             **{name: objs[v[key]] for name, (key, objs) in related.items()})
                       for v in rows]
            model.objects.bulk_create(objects, batch_size=max(len(objects), 1))
        self.timings["bulk_create"] += time.perf_counter() - started
        return cases[-1].pk

    def close(self, *, failed: bool = False) -> None:
        pass


class _CopyTable(bulk.CopyTable):
    """The COPY of ``model``'s rows, built as ``core.bulk.create`` builds them (its
    :class:`~casedesk.core.bulk.CopyTable`: the same column rules), on the database the
    model is written to (the key store for DataKey), sent by a sender thread."""

    def __init__(self, model, *, with_id: bool):
        super().__init__(model, router.db_for_write(model), with_auto_pk=with_id)

    def write(self, raw_connection, data: bytes) -> None:
        """Send rows made by :func:`copy_text` (in the sender thread: no Python work)."""
        with raw_connection.cursor() as cursor, cursor.copy(self.sql) as copy:
            copy.write(data)


_copy_tables: dict = {}


def _copy_table(model, *, with_id: bool) -> _CopyTable:
    table = _copy_tables.get((model, with_id))
    if table is None:
        table = _copy_tables[(model, with_id)] = _CopyTable(model, with_id=with_id)
    return table


class _Sender:
    """A thread that runs, one batch behind the importing thread, the COPYs queued for one
    connection (the connection stays shared: the same transaction; psycopg connections
    may be used from several threads). ``failure`` holds the first error of any sender:
    the others then skip what is queued."""

    def __init__(self, alias: str, failure: dict, timings: dict[str, float], timing: str):
        self.wrap_errors = connections[alias].wrap_database_errors
        self.failure = failure
        self.timings = timings
        self.timing = timing
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, name=f"import-{timing}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (tables := self.queue.get()) is not None:
            if self.failure:
                continue  # drain: the import failed
            started = time.perf_counter()
            try:
                with self.wrap_errors:  # psycopg's errors as Django's
                    for table, raw, data in tables:
                        table.write(raw, data)
            except BaseException as exc:  # handed to the importing thread
                self.failure.setdefault("error", exc)
            self.timings[self.timing] += time.perf_counter() - started

    def put(self, item) -> None:
        """Queue ``item`` (None: stop once the queue is done), waiting while the previous
        batch is still being sent; raise the first error of any sender."""
        while True:
            if self.failure and item is not None:
                raise self.failure["error"]
            try:
                self.queue.put(item, timeout=1)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    if item is None:
                        return
                    raise RuntimeError("the import's COPY sender stopped") from None

    def stop(self) -> None:
        self.put(None)
        self.thread.join()


class _CopyEmitter:
    """Writes batches with COPY (PostgreSQL), several times faster than bulk_create.

    The ids of all the people and cases of the import are drawn from their sequences at
    the start, so that rows can point at each other before they are sent. The rows of a
    batch are built in this thread, in COPY's text format (encryption, blind indexes,
    search tokens: ``timings["encrypt"]``) and sent by two more threads, one for the
    data and one for the data keys in the key store, so that PostgreSQL stores one batch
    while the next is built. ``timings["copy"]`` and ``timings["copy_keys"]`` are the
    senders' busy times, ``timings["wait"]`` the time this thread waited for them.

    Foreign keys are checked at the end of each COPY (``SET CONSTRAINTS ALL IMMEDIATE``
    while the import writes) rather than all at commit: the same checks, but made by
    PostgreSQL while this thread builds the next batch instead of after the last one.
    """

    def __init__(self, *, people: int, cases: int, timings: dict[str, float]):
        self.timings = timings
        self.person_ids = new_ids(Person, people)
        self.case_ids = new_ids(Case, cases)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.raw = connection.connection
        keystore = router.db_for_write(DataKey)
        connections[keystore].ensure_connection()
        self.key_raw = connections[keystore].connection
        self.new_keys: list[tuple[str, str, bytes]] = []
        self.failure: dict = {}
        self.senders = (_Sender(DEFAULT_DB_ALIAS, self.failure, timings, "copy"),
                        _Sender(keystore, self.failure, timings, "copy_keys"))

    def keys(self, count: int) -> list[str]:
        """``count`` new data keys, sent to the key store with the next batch; their ids."""
        self.new_keys = keys_make(count)
        return [key[0] for key in self.new_keys]

    def emit(self, batch: _Batch) -> int:
        """Build the rows of ``batch`` and queue them; the id of its last case."""
        started = time.perf_counter()
        now = timezone.now()
        people = batch.people
        person_ids = [next(self.person_ids) for _ in people]
        case_ids = [next(self.case_ids) for _ in batch.cases]
        # The value dicts are the batch's own: the ids they point at are filled in place
        # (a row reads only its table's columns, not the "_" references).
        for v, pk in zip(people, person_ids, strict=True):
            v["id"] = pk
        for v, pk in zip(batch.cases, case_ids, strict=True):
            v["id"] = pk
            v["service_member_id"] = person_ids[v["_member"]]
        for rows in (batch.links, batch.appeals, batch.events, batch.deadlines):
            for v in rows:
                v["case_id"] = case_ids[v["_case"]]
        for v in batch.links:
            v["person_id"] = person_ids[v["_person"]]
        for v in batch.appeals:
            v["submitter_id"] = person_ids[v["_submitter"]]

        def copy(model, rows, *, with_id=False, key=None, raw=self.raw):
            """The COPY of ``rows`` into ``model``'s table; ``key``: a row's data key id
            (for its sealed columns) from its values."""
            table = _copy_table(model, with_id=with_id)
            return table, raw, copy_text([table.row(v, key(v) if key else None, now)
                                           for v in rows])

        keys = [copy(DataKey, [{"id": key_id, "master_key": master, "wrapped": wrapped}
                               for key_id, master, wrapped in self.new_keys],
                     with_id=True, raw=self.key_raw)]
        self.new_keys = []
        tables = [
            copy(Person, people, with_id=True, key=lambda v: v["key_id"]),
            copy(Case, batch.cases, with_id=True),  # nothing sealed: no key
            copy(CaseApplicant, batch.links),
            copy(Appeal, batch.appeals, key=lambda v: people[v["_submitter"]]["key_id"]),
            copy(CaseEvent, batch.events),  # their texts are empty: nothing sealed, no key
            copy(Deadline, batch.deadlines),
        ]
        built = time.perf_counter()
        data_sender, key_sender = self.senders
        key_sender.put(keys)
        data_sender.put(tables)
        self.timings["encrypt"] += built - started
        self.timings["wait"] += time.perf_counter() - built
        return case_ids[-1]

    def close(self, *, failed: bool = False) -> None:
        """Wait until every queued batch is stored and re-raise a sender's error; on
        ``failed``, let the senders skip what is queued. Either way the senders have
        stopped using the connections when this returns (the transactions can be rolled
        back)."""
        started = time.perf_counter()
        if failed:
            self.failure.setdefault("error", RuntimeError("the import failed"))
        for sender in self.senders:
            sender.stop()
        self.timings["wait"] += time.perf_counter() - started
        if not failed:
            if self.failure:
                raise self.failure["error"]
            with connection.cursor() as cursor:  # as Django's foreign keys were declared
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _stored_keys(keys: list[str]) -> set[str]:
    """The idempotency keys among ``keys`` that appeals already have."""
    found: set[str] = set()
    if connection.vendor == "postgresql":
        # One array parameter per query, not one placeholder per key (building and binding
        # IN lists of thousands of parameters cost more than the lookups); 2,000 keys a
        # query, so that the planner always probes the unique index (with tens of
        # thousands it may scan the whole table instead).
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 2000):
                cursor.execute("SELECT idempotency_key FROM cases_appeal "
                               "WHERE idempotency_key = ANY(%s)", [keys[start:start + 2000]])
                found.update(row[0] for row in cursor.fetchall())
        return found
    for start in range(0, len(keys), 5000):
        found.update(Appeal.objects.filter(idempotency_key__in=keys[start:start + 5000])
                     .values_list("idempotency_key", flat=True))
    return found


def appeals_import(*, actor, office: Office, path: Path | str, dry_run: bool = False,
                   batch: int = BATCH, now: dt.datetime | None = None,
                   use_copy: bool | None = None,
                   progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check every row of the CSV file at ``path`` and, if all are good and ``dry_run`` is
    false, import the rows not imported before into ``office``, all in one transaction.

    ``actor`` is the staff member the import is made for (an intake clerk, caseworker or
    supervisor of the office), or None for an import by the system administrator from the
    command line. Bad rows do not raise: they are in ``result.errors`` and nothing is
    written. A refused import (no permission, a concurrent import of the same rows) raises
    :class:`ApplicationError`. Rows are written with COPY on PostgreSQL and bulk_create
    elsewhere (``use_copy`` chooses). ``progress``, if given, is called with the number
    of rows checked so far every ``BATCH`` rows of the first pass (outside the write
    transaction, so what it stores is seen at once).
    """
    path = Path(path)
    if actor is not None and (actor.role not in REGISTERING_ROLES
                              or office.pk not in permissions.office_ids(actor)):
        raise ApplicationError("forbidden", _("You are not allowed to register appeals here."))
    if office.procedure not in rulebook.current().procedures:
        raise ApplicationError(
            "unknown_procedure", _("The office's procedure is not in the rulebook in force."))
    now = now or timezone.now()
    result = ImportResult(dry_run=dry_run)
    checker = _Checker(office, now=now)
    timings = result.timings

    # Pass 1: check everything; keep only what numbering and de-duplication need.
    first_row: dict[str, int] = {}  # key -> row
    # received_at, row, year, key, people
    order: list[tuple[dt.datetime, int, int, str, int]] = []
    for draft in _timed(checker.rows(path, result.errors), timings, "check"):
        result.rows += 1
        if progress is not None and result.rows % BATCH == 0:
            progress(result.rows)
        if draft is None:
            continue
        if draft.key in first_row:
            result.errors.append(RowError(draft.row, "", _(
                "The row repeats row %(row)s (the same external_id, or the same content)."),
                {"row": first_row[draft.key]}))
            continue
        first_row[draft.key] = draft.row
        order.append((draft.received_at, draft.row, draft.year, draft.key,
                      1 if draft.member is None else 2))
    if result.errors:
        return result

    started = time.perf_counter()
    stored = _stored_keys(list(first_row))
    timings["lookup"] += time.perf_counter() - started
    result.already_imported = len(stored)
    todo = sorted(o for o in order if o[3] not in stored)
    if dry_run:
        result.imported = len(todo)  # would be imported
        return result
    if not todo:
        return result

    # Case numbers: one reservation per year, committed at once (see the module docstring),
    # given out in the order the appeals were received.
    per_year: dict[int, int] = defaultdict(int)
    for _at, _row, year, _key, _people in todo:
        per_year[year] += 1
    next_seq = {year: case_numbers_reserve(office=office, year=year, count=n)
                for year, n in sorted(per_year.items())}
    reserved = {year: (first, per_year[year]) for year, first in next_seq.items()}
    sequences = {}
    for _at, row, year, _key, _people in todo:
        sequences[row] = next_seq[year]
        next_seq[year] += 1

    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    planner = _Planner(actor=actor, office=office, today=timezone.localdate(now),
                       sequences=sequences)
    committing: list[bool] = []
    try:
        _write(actor=actor, office=office, path=path, batch=batch, use_copy=use_copy,
               checker=checker, planner=planner, result=result, todo=todo,
               first_row=first_row, stored=stored, committing=committing)
    except BaseException as error:
        outage = isinstance(error, DatabaseError) and not isinstance(error, IntegrityError)
        if outage:
            # The type only: a database error's message can quote a row's content.
            logger.warning("import into office %s stopped by %s%s", office.pk,
                           type(error).__name__, " while committing" if committing else "")
        if committing:
            # Lost during the commit: it may have gone through, so the numbers may be in
            # use. Running the import again is safe (imported rows are skipped).
            if outage:
                raise ApplicationError("import_interrupted", INTERRUPTED_COMMIT) from None
            raise
        # Nothing was written (one transaction): give the reserved numbers back if we can.
        given_back = _numbers_give_back(office, reserved)
        if outage:
            if given_back:
                raise ApplicationError("import_interrupted", INTERRUPTED) from None
            raise ApplicationError("import_interrupted", INTERRUPTED_GAP,
                                   count=len(todo)) from None
        raise
    return result


def _numbers_give_back(office: Office, reserved: dict[int, tuple[int, int]]) -> bool:
    """Return the case numbers reserved by a failed import: per year, only if the counter
    still stands at the last of them (no one reserved after), in one short transaction
    (a concurrent reservation waits on the counter row and sees the number given back).
    True if all were given back; False (a gap stays) if any could not be."""
    all_back = True
    for year, (first, count) in reserved.items():
        try:
            with transaction.atomic():
                back = CaseNumberCounter.objects.filter(
                    office=office, year=year, last=first + count - 1).update(last=first - 1)
        except DatabaseError:
            # The connection is gone; Django reconnects for the next statement, and the
            # database may still be away: then the numbers stay unused.
            logger.warning("import into office %s: %s case numbers of %s stay unused",
                           office.pk, count, year)
            back = 0
        all_back = all_back and back == 1
    return all_back


def _write(*, actor, office: Office, path: Path, batch: int, use_copy: bool,
           checker: _Checker, planner: _Planner, result: ImportResult, todo: list,
           first_row: dict[str, int], stored: set[str], committing: list[bool]) -> None:
    """Pass 2 in one transaction (data and key store): all rows or none. ``committing``
    gets an entry once everything is written and only the commits are left."""
    timings = result.timings
    try:
        # The key store's transaction commits just before the data's, so data never
        # refers to keys that were not stored.
        with transaction.atomic(), transaction.atomic(using=router.db_for_write(DataKey)):
            if connection.vendor == "postgresql":
                # One import per office at a time; the check of stored keys is repeated
                # under the lock, so two imports of the same file cannot both write.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                                   [0x696D_706F, office.pk])  # "impo"
                if _stored_keys(list(first_row)) != stored:
                    raise ApplicationError("concurrent_import", CONCURRENT)
            emitter = (_CopyEmitter if use_copy else _BulkCreateEmitter)(
                people=sum(o[4] for o in todo), cases=len(todo), timings=timings)
            writer = _Writer(planner=planner, emitter=emitter, counts=result.counts,
                             timings=timings)
            try:
                _write_pass(checker, path, result, writer, first_row=first_row,
                            stored=stored, batch=batch)
            except BaseException:
                emitter.close(failed=True)
                raise
            emitter.close()
            if result.counts["cases"] != len(todo):
                raise ApplicationError("file_changed", FILE_CHANGED)
            result.imported = len(todo)
            # After the commit, in the background: which new cases repeat an answered one,
            # whether it is a known person, and the other apps' checks (after_receipt).
            after_receipt(writer.case_ids)
            audit_record(action="appeal.import", actor=actor,
                         object_type="office", object_id=office.pk,
                         data={"count": result.imported, "format": "csv"})
            # One signal for the whole import (statistics refresh once; registration
            # sends no notice).
            hooks.emit("case_moved", case_id=writer.last_case, transition="register")
            committing.append(True)
            started = time.perf_counter()
        timings["commit"] += time.perf_counter() - started
    except IntegrityError:
        raise ApplicationError("concurrent_import", CONCURRENT) from None


INTERRUPTED = _(
    "The connection to the database was lost during the import: nothing was imported, and "
    "the case numbers reserved for it were given back. Run the import again when the "
    "database is available: rows imported before are skipped.")
INTERRUPTED_GAP = _(
    "The connection to the database was lost during the import: nothing was imported. "
    "%(count)s case numbers reserved for it could not be given back and stay unused. Run "
    "the import again when the database is available: rows imported before are skipped.")
INTERRUPTED_COMMIT = _(
    "The connection to the database was lost while the import was being saved: it may "
    "have been saved. Run the import again when the database is available: rows imported "
    "before are skipped, so nothing is imported twice.")
CONCURRENT = _("Another import of the same rows ran meanwhile: run the import again to add "
               "what is left.")
FILE_CHANGED = _("The file changed while it was being imported: nothing was imported.")


def _write_pass(checker: _Checker, path: Path, result: ImportResult, writer: _Writer, *,
                first_row: dict[str, int], stored: set[str], batch: int) -> None:
    """Pass 2: read the file again and write the new rows, batch by batch."""
    pending: list[_Draft] = []
    for draft in _timed(checker.rows(path, result.errors), result.timings, "parse"):
        if draft is None or first_row.get(draft.key) != draft.row:
            raise ApplicationError("file_changed", FILE_CHANGED)
        if draft.key in stored:
            continue
        pending.append(draft)
        if len(pending) >= batch:
            writer.write(pending)
            pending = []
    if pending:
        writer.write(pending)
    if result.errors:
        raise ApplicationError("file_changed", FILE_CHANGED)


def _timed(items, timings: dict[str, float], name: str):
    """``items``, adding the time spent producing them to ``timings[name]``."""
    iterator = iter(items)
    while True:
        started = time.perf_counter()
        item = next(iterator, _END)
        timings[name] += time.perf_counter() - started
        if item is _END:
            return
        yield item


_END = object()


@dataclass
class _Writer:
    planner: _Planner
    emitter: _CopyEmitter | _BulkCreateEmitter
    counts: dict[str, int]
    timings: dict[str, float]
    last_case: int | None = None
    case_ids: list[int] = field(default_factory=list)

    def write(self, drafts: list[_Draft]) -> None:
        started = time.perf_counter()
        planned = self.planner.plan(drafts)
        planned_at = time.perf_counter()
        # One data key per person, made in bulk (stored in the key store by the emitter).
        for person, key_id in zip(planned.people, self.emitter.keys(len(planned.people)),
                                  strict=True):
            person["key_id"] = key_id
        self.timings["plan"] += planned_at - started
        self.timings["keys"] += time.perf_counter() - planned_at
        self.last_case = self.emitter.emit(planned)
        self.case_ids.extend(values["id"] for values in planned.cases)
        for name in ("people", "cases", "appeals", "events", "deadlines"):
            self.counts[name] += len(getattr(planned, name))
