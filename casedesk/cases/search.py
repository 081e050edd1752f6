"""Search for the staff queues: case numbers, appeal texts and internal notes.

One function, :func:`case_search`, narrows a queryset that the caller has already limited
to what the actor may see. Two kinds of query:

- **A case number or part of one** (``MSK-2026-000123``, ``msk-2026-0001``, ``MSK-2026``,
  ``MSK-2026-123``, ``000123``, ``123``): matched against ``Case.number`` only, by prefix
  (``MSK-2026-0001`` finds ``MSK-2026-000123``; ``MSK-2026`` finds the office's year) or,
  for a sequence typed without leading zeros, as the short form of one number
  (``MSK-2026-123`` finds ``MSK-2026-000123``); digits alone name the sequence number
  (``123`` and ``000123`` find ``MSK-2026-000123`` and ``SPB-2025-000123``). Such a query
  does not search the texts, so a unit number such as ``12345`` is looked up as a case
  number, not in the appeals.
- **Anything else**: the texts, which are encrypted at rest, so never in plaintext. Each
  appeal (text and request) and each internal note carries its *search words*: the
  stems of its words (Snowball: «госпитале» and «госпиталь», "hospitals" and "hospital"
  meet), each as a keyed hash (casedesk.core.tokens). The query is cut and hashed the
  same way; every word must occur in the same appeal or the same note. Word order,
  phrases, prefixes and ``or`` are not supported: a hash matches a whole stem only.

  On PostgreSQL the words are matched with ``to_tsvector('simple', search_tokens)`` and a
  GIN index (migration ``cases.0006_encrypted_texts``): :func:`tokens_vector` must stay
  exactly that expression. On SQLite each hashed word is a substring condition; the same
  words match on both.

Who may search: the callers (staff queues) pass only cases the actor may read in full,
and only roles that may read appeal texts reach the queues (``selectors.can_read_cases``).

The result is the caller's queryset with ``EXISTS`` conditions added: no joins, so no
duplicate rows, the caller's ordering is kept, and it composes with ``.filter()``,
``.order_by()`` and pagination. Pass it an unsliced queryset.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet

from casedesk.core import tokens

from .models import Appeal, Case, CaseNote

# Longest query taken into account; the rest is ignored.
MAX_QUERY = 200
# Words of a query taken into account; the rest are ignored.
MAX_WORDS = 10

# OFFICE-YEAR-SEQUENCE or a prefix of it down to OFFICE-YEAR ("MSK-2026", "MSK-2026-00").
# The year must have four digits, so that "COVID-19" is searched as text.
_NUMBER = re.compile(r"^([A-Za-z]{2,8})-(\d{4})(?:-(\d{0,9}))?$")
# The sequence digits alone.
_SEQUENCE = re.compile(r"^\d{1,9}$")
_WORD = re.compile(r"\w+")


def case_search(queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Narrow ``queryset`` (already limited to what the actor may see, possibly already
    filtered and ordered) to the cases matching ``query``. Returns a queryset (no duplicate
    rows, keeps the caller's ordering, composes with .filter/.order_by/pagination).

    An empty or blank query returns ``queryset`` unchanged; a query with no letters or
    digits in it (``&|!:*``) returns no cases. See the module docstring for what matches.
    """
    query = " ".join((query or "").split())[:MAX_QUERY]
    if not query:
        return queryset
    number = _number_filter(query)
    if number is not None:
        return queryset.filter(number)
    if not _WORD.search(query):
        return queryset.none()
    return queryset.filter(_fulltext_filter(query))


def _number_filter(query: str) -> Q | None:
    """The condition on ``Case.number`` if ``query`` looks like a case number or part."""
    if _SEQUENCE.match(query):
        return Q(number__endswith=f"-{int(query):06d}")
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


def tokens_vector() -> SearchVector:
    """``to_tsvector('simple', COALESCE(search_tokens, ''))``, the indexed expression on
    ``cases_appeal`` and ``cases_casenote``."""
    return SearchVector("search_tokens", config="simple")


def _fulltext_filter(query: str) -> Q:
    words = tokens.query_tokens(query, limit=MAX_WORDS)
    if not words:
        return Q(pk__in=[])
    if connections[Appeal.objects.db].vendor == "postgresql":
        match = SearchQuery(" ".join(words), config="simple", search_type="plain")
        appeals = Appeal.objects.filter(case=OuterRef("pk")).alias(
            v=tokens_vector()).filter(v=match)
        notes = CaseNote.objects.filter(case=OuterRef("pk")).alias(
            v=tokens_vector()).filter(v=match)
    else:
        condition = Q()
        for word in words:
            condition &= Q(search_tokens__contains=word)
        appeals = Appeal.objects.filter(condition, case=OuterRef("pk"))
        notes = CaseNote.objects.filter(condition, case=OuterRef("pk"))
    return Q(Exists(appeals)) | Q(Exists(notes))
