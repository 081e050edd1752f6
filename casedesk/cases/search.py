"""Search for the staff queues: case numbers, appeal texts and internal notes.

One function, :func:`case_search`, narrows a queryset that the caller has already limited
to what the actor may see; :func:`case_search_count` counts what it finds. Two kinds of
query:

- **A case number or part of one** (``MSK-2026-000123``, ``msk-2026-0001``, ``MSK-2026``,
  ``MSK-2026-123``, ``000123``, ``123``): matched against ``Case.number`` only, by prefix
  (``MSK-2026-0001`` finds ``MSK-2026-000123``; ``MSK-2026`` finds the office's year) or,
  for a sequence typed without leading zeros, as the short form of one number
  (``MSK-2026-123`` finds ``MSK-2026-000123``); digits alone name the sequence number
  (``123`` and ``000123`` find ``MSK-2026-000123`` and ``SPB-2025-000123``). Such a query
  does not search the texts; digits alone are also a unit number (``12345`` finds the
  case number and the cases of a person of unit 12345, see below).
- **An incoming number** (вх. №, ``MSK/2026/00012`` or ``msk/2026/12``): the cases with
  an appeal entered under it in the office's incoming register (``IncomingEntry``).
- **Anything else**: the texts, which are encrypted at rest, so never in plaintext. Each
  appeal (text and request) and each internal note carries its *search words*: the
  stems of its words (Snowball: «госпитале» and «госпиталь», "hospitals" and "hospital"
  meet), each as a keyed hash (casedesk.core.tokens). The query is cut and hashed the
  same way; every word must occur in the same appeal or the same note. Word order,
  phrases and ``or`` are not supported: a hash matches a whole stem only, except that a
  word typed with ``*`` and at least six letters (``водоснабж*``) matches every word
  beginning with its first six letters (tokens.PREFIX). HTML markup is not searched;
  surnames of the -ов/-ев/-ин kind meet in all their forms (tokens._searchable).

  On PostgreSQL each case has one row in ``cases_casesearch`` (:class:`CaseSearch`,
  migration ``cases.0007_case_search``): a ``tsvector`` of the search words of all its
  appeals and notes, the words of its n-th text at position n, with a GIN index, kept
  right by triggers on the texts' tables whatever writes them. A query is one lookup in
  that index: ``vector @@ 'a' & 'b'`` (the case has every word), and for two words or
  more also ``vector @@ 'a' <0> 'b'`` (every word at one position: in one text). A
  tsvector keeps 256 positions of a word, so for the rare case with more texts the
  words are looked up in the texts themselves. Each row also holds the case's office
  (cases.0009; the table is partitioned by office, the vectors stored out of line): when
  the selector that built the caller's queryset says it is limited by nothing but
  offices (:class:`Offices`, as the staff queue "all" is), :func:`case_search_count`
  counts the search rows of those offices, reading neither the cases nor other offices'
  rows. On
  SQLite the table stays empty and each hashed word is a substring condition on the
  texts; the same words match on both.

- **People** (issue 18), beside the texts: the cases whose service member or one of
  whose applicants the query names. Each person carries ``search_keys`` (keyed hashes of
  the lemmas of the name's words and their phonetic codes, the birth date, unit number,
  phone in E.164 and email: casedesk.core.names, casedesk.core.tokens.person_tokens);
  the query is read the same way (casedesk.core.tokens.person_query): every name word
  (its lemma or a phonetic code), date, unit, phone or email in it must be a key of one
  person, in any order; if nobody has them, the name words are tried once more with
  their forms one letter apart («Кузнуцов» finds Кузнецов). A query of common words
  alone («госпиталь») is not searched in the people. On PostgreSQL the people are looked
  up in a GIN index (people.0004_person_search_keys); a case matches if its texts or its
  people do. Each case also has a people row (``CasePeople``, cases.0017_case_people:
  the service member's keys at one position marked "m", each applicant's at another
  marked "a"), so a person is found by one GIN lookup yielding case ids, and counted from
  the office's rows as words are. A misspelt name (the one-letter keys, in
  ``Person.typo_keys`` only) finds the few people first, then their cases.

Who may search: the callers (staff queues) pass only cases the actor may read in full,
and only roles that may read appeal texts reach the queues (``selectors.can_read_cases``).

The result is the caller's queryset with an ``EXISTS`` condition added: no joins, so no
duplicate rows, the caller's ordering is kept, and it composes with ``.filter()``,
``.order_by()`` and pagination. Pass it an unsliced queryset.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQueryField
from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.functions import Cast

from casedesk.core import tokens
from casedesk.people.models import Person, keys_match, keys_tsquery

from .models import (
    Appeal,
    Case,
    CaseApplicant,
    CaseNote,
    CasePeople,
    CaseSearch,
    IncomingEntry,
)

# Longest query taken into account; the rest is ignored.
MAX_QUERY = 200
# Words of a query taken into account; the rest are ignored.
MAX_WORDS = 10

# OFFICE-YEAR-SEQUENCE or a prefix of it down to OFFICE-YEAR ("MSK-2026", "MSK-2026-00").
# The year must have four digits, so that "COVID-19" is searched as text.
_NUMBER = re.compile(r"^([A-Za-z]{2,8})-(\d{4})(?:-(\d{0,9}))?$")
# The sequence digits alone.
_SEQUENCE = re.compile(r"^\d{1,9}$")
_INCOMING = re.compile(r"^([A-Za-z]{2,8})/(\d{4})/(\d{1,9})$")
_WORD = re.compile(r"\w+")
# Positions a tsvector keeps of one word: up to this many texts, the position of a word in
# CaseSearch.vector tells which text it is in.
POSITIONS = 256


@dataclass(frozen=True)
class Offices:
    """The offices a queryset of cases is limited to, as the selector that built it knows
    them (``cases.selectors.case_queue_offices``): ``ids``, and ``only`` if nothing else
    limits it (the staff queue "all" without filters)."""

    ids: frozenset[int]
    only: bool = False


def case_search(queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Narrow ``queryset`` (already limited to what the actor may see, possibly already
    filtered and ordered) to the cases matching ``query``. Returns a queryset (no duplicate
    rows, keeps the caller's ordering, composes with .filter/.order_by/pagination); count
    it with :func:`case_search_count`.

    An empty or blank query returns ``queryset`` unchanged; a query with no letters or
    digits in it (``&|!:*``) returns no cases. See the module docstring for what matches.
    """
    query = _normalized(query)
    if not query:
        return queryset
    number = _number_filter(query)
    groups = _person_groups(query) if number is None or _SEQUENCE.match(query) else []
    if number is not None:
        if groups:  # digits alone are also a unit number: try both
            number |= _people_condition(groups)
        return queryset.filter(number)
    words = _text_words(query)
    if not words and not groups:
        return queryset.none()
    conditions = []
    if words:
        conditions.append(Q(Exists(_rows(words).filter(case=OuterRef("pk"))))
                          if _on_postgresql() else _in_texts(words))
    if groups:
        conditions.append(_people_condition(groups))
    either = conditions[0]
    for condition in conditions[1:]:
        either |= condition
    return queryset.filter(either)


def case_search_ranked(queryset: QuerySet[Case], query: str, *,
                       offices: Offices | None = None) -> QuerySet[Case]:
    """:func:`case_search`, best match first: when the query names a person, the cases
    whose service member it names, then those of whose applicants it names, then the
    cases whose texts match; within each, the caller's order. ``offices``: as for
    :func:`case_search_count`.

    On PostgreSQL the ids of the matching cases (of ``offices``) are read from the search
    rows first and ranked when there are at most ``RANKED`` of them. A query matching more
    (a common surname alone) is *broad*: on an office's whole queue (``offices.only``) the
    ``BROAD_SHOWN`` newest matches are shown, service members first, then applicants,
    then texts (:func:`_newest`; a :class:`Prepared` query is marked ``broad`` and counts
    what is shown, and the queue says so); on a narrower queue the caller's order is kept.
    PostgreSQL's estimate of the people rows tells a broad query at once
    (``BROAD_ESTIMATE``), otherwise reading ``RANKED + 1`` ids does. Text matches are not
    ranked among themselves."""
    found = case_search(queryset, query)
    query = _normalized(query)
    if not query or (_number_filter(query) is not None and not _SEQUENCE.match(query)):
        return found
    groups = _person_groups(query)
    if not groups:
        return _texts_in_order(queryset, found, query, offices)
    if not _on_postgresql() or _typo(groups):
        rank = DbCase(When(_member_condition(groups), then=Value(2)),
                      When(_applicant_condition(groups), then=Value(1)),
                      default=Value(0), output_field=IntegerField())
        return found.alias(search_rank=rank).order_by(
            F("search_rank").desc(), *found.query.order_by)
    if _number_filter(query) is not None:
        return found  # digits alone: a case number or a unit, few either way
    broad = offices is not None and offices.only and _estimate(
        _people_rows(groups).filter(office_id__in=sorted(offices.ids))) > BROAD_ESTIMATE
    found_ids = None if broad else _ranked_ids(query, groups, offices)
    if found_ids is None:
        if offices is None or not offices.only:
            return found  # a narrower queue: its own order
        # Too many to rank (a surname alone): the newest, service members first.
        shown = _newest(query, groups, offices)
        if isinstance(query, Prepared):
            query.broad = "people"
        rank = DbCase(*(When(pk=pk, then=Value(i)) for i, pk in enumerate(shown)),
                      default=Value(len(shown)), output_field=IntegerField())
        return queryset.filter(pk__in=shown or [0]).alias(search_rank=rank).order_by(
            "search_rank")
    everyone, members, applicants = found_ids
    rank = DbCase(When(pk__in=members or [0], then=Value(2)),
                  When(pk__in=applicants or [0], then=Value(1)),
                  default=Value(0), output_field=IntegerField())
    return queryset.filter(pk__in=everyone).alias(search_rank=rank).order_by(
        F("search_rank").desc(), *queryset.query.order_by)


# The most matches a search ranks (case_search_ranked).
RANKED = 300
# A broader search shows this many of its matches, the newest first (_newest).
BROAD_SHOWN = 50
# PostgreSQL's estimate of the people rows a query matches above which it is taken as
# broad without reading RANKED + 1 of them to know (_estimate).
BROAD_ESTIMATE = 5 * RANKED


def _estimate(rows: QuerySet) -> int:
    """How many rows PostgreSQL expects ``rows`` to return (its plan's estimate, from the
    statistics of the keys: a common surname's keys are among a column's most common
    elements, so its estimate is near the truth; a rare one's is small). Half a
    millisecond, where counting a common surname's 15,000 rows reads 15,000 pages."""
    plan = json.loads(rows.values("case_id").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _newest(query: str, groups: list[list[str]], offices: Offices) -> list[int]:
    """The ``BROAD_SHOWN`` newest cases of ``offices`` whose service member the query
    names, then (if fewer) whose applicants, then whose texts: for a query matching more
    than ``RANKED`` (a common surname alone), where reading every match to sort them would
    read thousands of rows. The people rows are read newest first (by case id, their
    physical order, which the primary key walks backwards), so a query this broad stops
    after a few thousand rows; the texts' matches, fewest first, through their GIN index.
    A :class:`Prepared` query keeps where each matched."""
    ids = sorted(offices.ids)
    shown: list[int] = []
    matched: dict[str, set[int]] = {"service_member": set(), "applicant": set(), "text": set()}
    words = _text_words(query)
    known = query.newest_members if isinstance(query, Prepared) else None
    for code, rows in (("service_member", _people_rows(groups, MEMBER)),
                       ("applicant", _people_rows(groups, APPLICANT)),
                       ("text", _rows(words) if words else None)):
        left = BROAD_SHOWN - len(shown)
        if rows is None or left <= 0:
            continue
        rows = rows.filter(office_id__in=ids).exclude(case_id__in=shown)
        if code == "service_member" and known is not None:
            found = known[:left]  # read by _ranked_ids, newest first
        elif code == "text":
            with _no_sequential_scan(rows.db):
                found = sorted(rows.values_list("case_id", flat=True)[:left], reverse=True)
        else:
            found = list(rows.order_by("-case_id").values_list("case_id", flat=True)[:left])
        shown += found
        matched[code] = set(found)
    if isinstance(query, Prepared):
        query.matched = matched
        query.counted = (offices, len(shown))
    return shown


def _texts_in_order(queryset: QuerySet[Case], found: QuerySet[Case], query: str,
                    offices: Offices | None) -> QuerySet[Case]:
    """A word search of several offices' whole queue (a supervisor's "all") that matches
    many cases: its first ``BROAD_SHOWN`` in the queue's order, read office by office.
    PostgreSQL cannot read several offices' parts of the queue's order index as one
    ordered list, so for a common word («госпиталь»: 218,000 cases at 1M) it hashed every
    match and sorted the offices' 500,000 cases (300-730 ms); one office's part is read
    in order and stops at its first ``BROAD_SHOWN`` matches (a few ms), and the offices'
    firsts hold the first ``BROAD_SHOWN`` of all. Otherwise ``found`` as it is."""
    words = _text_words(query) if _on_postgresql() else []
    if not words or offices is None or not offices.only or len(offices.ids) < 2:
        return found
    ids = sorted(offices.ids)
    if _estimate(_rows(words).filter(office_id__in=ids)) <= BROAD_ESTIMATE:
        return found
    parts = [queryset.filter(office_id=office).filter(Exists(
        _rows(words).filter(case=OuterRef("pk"), office_id=office)))
        .values_list("pk", flat=True)[:BROAD_SHOWN] for office in ids]
    firsts = list(parts[0].union(*parts[1:], all=True))
    shown = list(queryset.filter(pk__in=firsts or [0]).values_list("pk", flat=True)
                 [:BROAD_SHOWN])
    if isinstance(query, Prepared):
        query.broad = "texts"
        query.counted = (offices, len(shown))
        query.matched = {"text": set(shown)}
    return queryset.filter(pk__in=shown or [0])


def _ranked_ids(query: str, groups: list[list[str]], offices: Offices | None
                ) -> tuple[set[int], list[int], list[int]] | None:
    """The ids of the cases (of ``offices``) the query matches, those whose service
    member it names and those one of whose applicants it names; None if more than
    ``RANKED`` match. Each part is one lookup in the search rows' GIN index. A
    :class:`Prepared` query keeps them, so that its count is their number."""
    members, complete = _case_ids(_people_rows(groups, MEMBER), offices, newest=True)
    if not complete:
        if isinstance(query, Prepared) and offices is not None:
            # Too many: the newest service members were read first, and are what a
            # broad search shows first (_newest).
            query.newest_members = members[:BROAD_SHOWN]
        return None
    applicants, complete = _case_ids(_people_rows(groups, APPLICANT), offices)
    if not complete:
        return None
    words = _text_words(query)
    texts, complete = _case_ids(_rows(words), offices) if words else ([], True)
    if not complete:
        return None
    everyone = {*members, *applicants, *texts}
    if len(everyone) > RANKED:
        return None
    if isinstance(query, Prepared):
        query.counted = (offices, len(everyone))
        query.matched = {"service_member": set(members), "applicant": set(applicants),
                         "text": set(texts)}
    return everyone, members, applicants


def _case_ids(rows: QuerySet, offices: Offices | None, *, newest: bool = False
              ) -> tuple[list[int], bool]:
    """The case ids of ``rows`` (of ``offices``' rows if given; ``newest``: the newest
    first), ``RANKED + 1`` at most, and whether that is all of them."""
    if offices is not None:
        rows = rows.filter(office_id__in=sorted(offices.ids))
    if newest:
        rows = rows.order_by("-case_id")
    with _no_sequential_scan(rows.db):
        ids = list(rows.values_list("case_id", flat=True)[:RANKED + 1])
    return ids, len(ids) <= RANKED


@contextmanager
def _no_sequential_scan(using: str):
    """Sequential scans off for the queries inside (PostgreSQL): asked for the first
    ``RANKED + 1`` rows of a common surname, PostgreSQL expects to meet them soon by reading
    the table in order (measured at 1M cases: ~16,000 pages read for 3,001 rows, 100-140
    ms), where its GIN index reads those rows' pages only (~20 ms). JIT compilation off too:
    priced with sequential scans off (an empty partition has no other way), a query
    looks so dear that PostgreSQL would compile it (~50 ms). ``SET LOCAL`` inside a
    savepoint of its own, set back before it is released."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
        try:
            yield
        finally:
            cursor.execute("SET LOCAL enable_seqscan = DEFAULT; SET LOCAL jit = DEFAULT")


def case_search_count(queryset: QuerySet[Case], query: str, *,
                      offices: Offices | None = None) -> int:
    """How many cases ``case_search(queryset, query)`` returns. ``offices``: the offices
    ``queryset`` is limited to, from the selector that built it.

    When ``queryset`` is limited by nothing but those offices (``offices.only``, as the
    staff queue "all" is) and the query searches the texts on PostgreSQL, this counts the
    search rows of those offices having the words instead: the same number, as each row
    holds its case's office (cases.0009), but read from those offices' part of the search
    table only, without reading a case. (:func:`case_search` does not filter its
    ``EXISTS`` by office for that: it would make PostgreSQL misjudge how many cases
    match, and sort every match of a page instead of reading the queue's order.)

    When it is narrowed further (a queue of one person, overdue cases, a category) but
    still limited to those offices, the count's ``EXISTS`` is limited to those offices'
    parts of the search table: the same cases (a case's search row has its office), but
    PostgreSQL then hashes the matches of those offices only instead of every office's
    (at 1M cases, "mine" counted in 6 ms instead of 90). Otherwise (no ``offices``) it
    is ``case_search(queryset, query).count()``.
    """
    query = _normalized(query)
    if not query or _number_filter(query) is not None or not _on_postgresql() \
            or offices is None:
        return case_search(queryset, query).count()
    words, groups = _text_words(query), _person_groups(query)
    if not words and not groups:
        return 0
    if _typo(groups):
        return case_search(queryset, query).count()  # a misspelt name: few people
    if isinstance(query, Prepared) and query.broad:
        return query.counted[1]  # too many to count: the newest shown (_newest)
    if offices.only and isinstance(query, Prepared) and query.counted is not None \
            and query.counted[0] == offices:
        return query.counted[1]  # the ranking read every match of these offices
    ids = sorted(offices.ids)
    parts = []
    if words:
        parts.append(_rows(words).filter(office_id__in=ids))
    if groups:
        parts.append(_people_rows(groups).filter(office_id__in=ids))
    if offices.only:
        if len(parts) == 1:
            return parts[0].count()
        return parts[0].values("case_id").union(parts[1].values("case_id")).count()
    either = Q(Exists(parts[0].filter(case=OuterRef("pk"))))
    for part in parts[1:]:
        either |= Q(Exists(part.filter(case=OuterRef("pk"))))
    return queryset.filter(either).count()


def case_search_where(case_ids: list[int], query: str) -> dict[int, list[str]]:
    """Where ``query`` matched each of ``case_ids`` (the cases of one page that
    :func:`case_search` found): some of "number", "service_member", "applicant", "text",
    in that order. A few queries over the page's cases only; nothing is decrypted."""
    query = _normalized(query)
    if not query or not case_ids:
        return {}
    where: dict[int, list[str]] = {pk: [] for pk in case_ids}
    number = _number_filter(query)
    if number is None and isinstance(query, Prepared) and query.matched is not None:
        # The ranking read every match of the page's offices: no query needed.
        for pk in case_ids:
            where[pk] = [code for code, ids in query.matched.items() if pk in ids]
        return {pk: codes for pk, codes in where.items() if codes}
    cases = Case.objects.filter(pk__in=case_ids)
    checks: list[tuple[str, Q]] = []
    if number is not None:
        checks.append(("number", number))
    if number is None or _SEQUENCE.match(query):
        groups = _person_groups(query)
        if groups:
            checks.append(("service_member", _member_condition(groups)))
            checks.append(("applicant", _applicant_condition(groups)))
    if number is None:
        words = _text_words(query)
        if words:
            checks.append(("text", _in_texts(words)))
    for code, condition in checks:
        for pk in cases.filter(condition).values_list("pk", flat=True):
            where[pk].append(code)
    return {pk: codes for pk, codes in where.items() if codes}


class Prepared(str):
    """A query read once for the several calls of one page (the results, their count,
    where each matched): normalised, and the people it names looked up once
    (:func:`prepared`). Any function here takes it where it takes a query."""

    groups: list[list[str]] | None = None
    # Whether it matched too many cases to show them all: "people" (the BROAD_SHOWN
    # newest are shown, _newest) or "texts" (the first in the queue's order,
    # _texts_in_order); "" if not.
    broad: str = ""
    # The newest cases whose service member it names, when there were too many to rank.
    newest_members: list[int] | None = None
    # (offices, how many cases of theirs match), once the ranking has read their ids,
    # and those ids by where they matched ("service_member", "applicant", "text").
    counted: tuple | None = None
    matched: dict[str, set[int]] | None = None


def prepared(query: str) -> Prepared:
    """``query`` normalised, remembering what it names for the calls that follow."""
    return Prepared(_normalized(query))


def _normalized(query: str) -> str:
    """``query`` with its spaces collapsed, cut to ``MAX_QUERY``."""
    if isinstance(query, Prepared):
        return query
    return " ".join((query or "").split())[:MAX_QUERY]


def _text_words(query: str) -> list[str]:
    """The hashed words of a (normalized) query searched in the texts; none if it has no
    letters or digits in it."""
    if not _WORD.search(query):
        return []
    return tokens.query_tokens(query, limit=MAX_WORDS)


def _on_postgresql() -> bool:
    return connections[CaseSearch.objects.db].vendor == "postgresql"


def _number_filter(query: str) -> Q | None:
    """The condition on ``Case.number`` if ``query`` looks like a case number or part (or
    on the incoming numbers of its appeals if it looks like one)."""
    incoming = _INCOMING.match(query)
    if incoming is not None:
        code, year, sequence = incoming.groups()
        number = f"{code.upper()}/{year}/{int(sequence):05d}"
        return Q(Exists(IncomingEntry.objects.filter(number=number,
                                                     appeal__case_id=OuterRef("pk"))))
    if _SEQUENCE.match(query):
        # The sequence part of the number (zero-padded to six digits in ``number``):
        # the (office, year, sequence) index answers it, where a LIKE '%-000123' reads
        # every case.
        return Q(sequence=int(query))
    match = _NUMBER.match(query)
    if match is None:
        return None
    code, year, sequence = match.groups()
    prefix = f"{code.upper()}-{year}"
    if not sequence:
        # "MSK-2026" and "MSK-2026-": every case of that office and year.
        return Q(number__startswith=f"{prefix}-")
    condition = Q(number__startswith=f"{prefix}-{sequence}")
    if len(sequence) < 6 and not sequence.startswith("0"):
        # "MSK-2026-123" also means the number it is short for, MSK-2026-000123; a sequence
        # typed with leading zeros ("MSK-2026-0001") is only a prefix.
        condition |= Q(number=f"{prefix}-{int(sequence):06d}")
    return condition


def _people_condition(groups: list[list[str]]) -> Q:
    """The cases whose service member or one of whose applicants the person ``groups``
    name (:func:`_person_groups`: every name word, date, unit, phone or email of the
    query matches one person's keys)."""
    if _on_postgresql() and not _typo(groups):
        return Q(Exists(_people_rows(groups).filter(case=OuterRef("pk"))))
    return _member_condition(groups) | _applicant_condition(groups)


def _member_condition(groups: list[list[str]]) -> Q:
    """The cases whose service member ``groups`` name: on PostgreSQL, by his keys in the
    case's people row (marked "m", cases.0017_case_people)."""
    if _on_postgresql() and not _typo(groups):
        return Q(Exists(_people_rows(groups, MEMBER).filter(case=OuterRef("pk"))))
    return Q(service_member_id__in=_people(groups).values("pk"))


def _applicant_condition(groups: list[list[str]]) -> Q:
    """The cases one of whose applicants ``groups`` name (marked "a" on PostgreSQL)."""
    if _on_postgresql() and not _typo(groups):
        return Q(Exists(_people_rows(groups, APPLICANT).filter(case=OuterRef("pk"))))
    return Q(Exists(CaseApplicant.objects.filter(
        case=OuterRef("pk"), person_id__in=_people(groups).values("pk"))))


# How a case's people row marks its people's keys (cases.0017_case_people): "m" + the
# key's digits for the service member's, "a" for an applicant's.
MEMBER, APPLICANT = "m", "a"


def _typo(groups: list[list[str]]) -> bool:
    """Whether ``groups`` ask for the one-letter forms of a misspelt name (keys "q…",
    tokens.person_query with ``typos``): those are in ``Person.typo_keys`` only, not in
    the case people rows, so such a search finds the (few) people first."""
    return any(key.startswith("q") for group in groups for key in group)


def _people_tsquery(groups: list[list[str]], operator: str,
                    marks: str = MEMBER + APPLICANT) -> Cast:
    """The tsquery of person ``groups`` (each a set of alternative keys) joined by
    ``operator``, as the people rows hold them: the service member's keys (mark "m"),
    the applicants' ("a") or either."""
    marked = [[mark + key[1:] for key in group for mark in marks] for group in groups]
    return Cast(Value(keys_tsquery(marked, operator)), output_field=SearchQueryField())


def _people_rows(groups: list[list[str]], marks: str = MEMBER + APPLICANT
                 ) -> QuerySet[CasePeople]:
    """The people rows having the keys of every group, of one person (one position:
    cases.0017_case_people puts each person's keys at a position of their own)."""
    rows = CasePeople.objects.filter(_Matches(F("keys"), _people_tsquery(groups, "&", marks)))
    if len(groups) > 1:
        rows = rows.filter(_Matches(F("keys"), _people_tsquery(groups, "<0>", marks)))
    return rows


def _person_groups(query: str) -> list[list[str]]:
    """``tokens.person_query(query)``, but only if somebody has those keys. A word that
    could be a name but names nobody ("СОЧ", "ВВК") then leaves the search to the texts:
    an OR with the people's subqueries makes PostgreSQL read every case of the queue
    (at 1M cases, 680 ms instead of 40 for "СОЧ"), and one look in the people's GIN index
    (a few ms) avoids it.

    When nobody has the keys as typed, the name words are looked up once more with the
    forms one letter apart (tokens.person_query with ``typos``): «Кузнуцов» then finds
    Кузнецов. Only then, so that a name typed right finds that name only. A
    :class:`Prepared` query is looked up once."""
    if isinstance(query, Prepared):
        if query.groups is None:
            query.groups = _person_groups(str(query))
        return query.groups
    groups = tokens.person_query(query)
    if not groups or _anybody(groups):
        return groups
    groups = tokens.person_query(query, typos=True)
    if not _anybody(groups):
        return []
    return groups


def _anybody(groups: list[list[str]]) -> bool:
    """Whether any person has a key of every group: on PostgreSQL always a lookup in the
    GIN indexes (cases.0018: as ``EXISTS`` PostgreSQL may read every person instead)."""
    if not _on_postgresql():
        return _people(groups).exists()
    keys, typos = _split(groups)
    if len(keys) > 1 and not typos and _each_common(keys):
        return True
    with connections[Person.objects.db].cursor() as cursor:
        cursor.execute("SELECT people_search_keys_exist(%s::tsquery, %s::tsquery)",
                       [keys_tsquery(keys) if keys else None,
                        keys_tsquery(typos) if typos else None])
        return cursor.fetchone()[0]


# How many people (the first of the table) _each_common reads.
SAMPLE = 300


def _each_common(groups: list[list[str]]) -> bool:
    """Whether each of several ``groups`` (a surname, a first name) is a key of one of
    the first ``SAMPLE`` people: then the query is taken as naming people without asking
    the GIN index for one person with all of them (for «Захаров Максим» at 1M cases that
    reads the 54,000 Захаровы and the 100,000 Максимы, ~10 ms). Names that common
    together name somebody, or at worst nobody, which the ranking finds at no cost; what
    this guards against is a word that names nobody at all («СОЧ»)."""
    checks = ", ".join(
        "bool_or(COALESCE(search_keys, '')::tsvector @@ %s::tsquery)" for _ in groups)
    with connections[Person.objects.db].cursor() as cursor:
        cursor.execute(f"SELECT {checks} FROM (SELECT search_keys FROM people_person "  # noqa: S608 - placeholders only
                       f"LIMIT {SAMPLE}) AS first", [keys_tsquery([g]) for g in groups])
        return all(cursor.fetchone())


def _split(groups: list[list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """``groups`` looked up in ``search_keys`` and those in ``typo_keys`` (keys "q…"):
    a group is all of one kind (tokens.person_query_terms)."""
    keys = [group for group in groups if not group[0].startswith("q")]
    return keys, [group for group in groups if group[0].startswith("q")]


def _people(groups: list[list[str]]) -> QuerySet[Person]:
    """The people having a key of every group (tokens.person_query)."""
    keys, typos = _split(groups)
    if _on_postgresql():
        # The expressions of the GIN indexes (people.models.PERSON_SEARCH_EXPRESSION,
        # PERSON_TYPO_EXPRESSION).
        people = Person.objects.all()
        for column, part in (("search_keys", keys), ("typo_keys", typos)):
            if part:
                people = people.filter(keys_match(column, keys_tsquery(part)))
        return people
    condition = Q()
    for group in groups:
        either = Q()
        for key in group:
            column = "typo_keys" if key.startswith("q") else "search_keys"
            either |= Q(**{f"{column}__contains": key})
        condition &= either
    return Person.objects.filter(condition)


def _tsquery(words: list[str], operator: str) -> Cast:
    """The tsquery of the hashed ``words`` joined by ``operator``, as a literal: the words
    are not parsed again (the vectors hold them as stored)."""
    lexemes = ("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words)
    return Cast(Value(f" {operator} ".join(lexemes)), output_field=SearchQueryField())


class _Matches(Func):
    """``vector @@ query``."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _words_condition(words: list[str]) -> Q:
    """Every word in a text's tokens. A token is never part of another (fixed length, no
    spaces), so a substring is a word."""
    condition = Q()
    for word in words:
        condition &= Q(search_tokens__contains=word)
    return condition


def _in_texts(words: list[str]) -> Q:
    """Every word in one appeal or one note of the case, read from the texts (SQLite)."""
    condition = _words_condition(words)
    appeals = Appeal.objects.filter(condition, case=OuterRef("pk"))
    notes = CaseNote.objects.filter(condition, case=OuterRef("pk"))
    return Q(Exists(appeals)) | Q(Exists(notes))


def _in_texts_of_large_cases(words: list[str]) -> Q:
    """For a ``CaseSearch`` row: every word in one text, for the cases with more texts
    than a vector keeps positions of a word, read from their texts. Uncorrelated, so
    PostgreSQL runs it once per query (through a partial index, usually empty)."""
    large = CaseSearch.objects.filter(documents__gt=POSITIONS).values("case_id")
    condition = _words_condition(words)
    appeals = Appeal.objects.filter(condition, case__in=large).values("case_id")
    notes = CaseNote.objects.filter(condition, case__in=large).values("case_id")
    return Q(case_id__in=appeals) | Q(case_id__in=notes)


def _rows(words: list[str]) -> QuerySet[CaseSearch]:
    """The search rows of the cases having every word in one text."""
    # The GIN index finds the cases that have every word ...
    rows = CaseSearch.objects.filter(_Matches(F("vector"), _tsquery(words, "&")))
    if len(words) > 1:
        # ... and the vector's positions tell whether they are in one text.
        one_text = Q(documents__lte=POSITIONS) & Q(
            _Matches(F("vector"), _tsquery(words, "<0>")))
        rows = rows.filter(one_text | _in_texts_of_large_cases(words))
    return rows
