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
- **Anything else**: the texts. On PostgreSQL, full-text search with the `russian`
  configuration, which stems Russian words and, with the English stemmer, Latin ones
  («госпиталь» finds «госпитале» and "hospitals" finds "hospital"), over each appeal's
  ``text`` and ``request`` and each internal note's ``text``. The query uses
  ``websearch_to_tsquery``, so users may write ``"exact phrase"``, ``or`` and ``-word``,
  and no input is a syntax error. Every word must occur in the same appeal (text or
  request) or the same note.

  The vectors below must stay exactly the expressions indexed by migration
  ``cases.0003_search_indexes``: change one and PostgreSQL silently stops using the GIN
  index and computes ``to_tsvector`` for every appeal on every search.

  On SQLite (the embedded default for one office) there is no stemming: every word must
  occur as a substring (``icontains``) of one appeal's text or request, or of one note.
  SQLite's ``LIKE`` folds case for ASCII letters only, so a Cyrillic word is found only
  in the case it was typed in («Госпиталь» does not find «госпиталь»), and «госпиталь»
  does not find «госпитале».

The result is the caller's queryset with ``EXISTS`` conditions added: no joins, so no
duplicate rows, the caller's ordering is kept, and it composes with ``.filter()``,
``.order_by()`` and pagination. Pass it an unsliced queryset.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Appeal, Case, CaseNote

# Full-text configurations searched; a case matches if the query matches in any of them.
# PostgreSQL's `russian` configuration also stems Latin words with the English stemmer, so
# one configuration serves appeals in both languages; an `english` one would only add
# unstemmed Cyrillic words and make Russian stop words ("и", "в") match everything.
CONFIGS = ("russian",)
# Longest query taken into account; the rest is ignored.
MAX_QUERY = 200
# The SQLite fallback ANDs one condition per word; more words than this are ignored.
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
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(_fulltext_filter(query))
    return queryset.filter(_substring_filter(query))


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


def appeal_vector(config: str) -> SearchVector:
    """``to_tsvector(config, COALESCE(text, '') || ' ' || COALESCE(request, ''))``, the
    indexed expression on ``cases_appeal``."""
    return SearchVector("text", "request", config=config)


def note_vector(config: str) -> SearchVector:
    """``to_tsvector(config, COALESCE(text, ''))``, the indexed expression on
    ``cases_casenote``."""
    return SearchVector("text", config=config)


def _fulltext_filter(query: str) -> Q:
    vectors = {f"fts_{config}": config for config in CONFIGS}
    # vector @@ websearch_to_tsquery(config, query), OR-ed over the configurations.
    matches = Q()
    for name, config in vectors.items():
        matches |= Q(**{name: SearchQuery(query, config=config, search_type="websearch")})
    appeals = Appeal.objects.filter(case=OuterRef("pk")).alias(
        **{name: appeal_vector(config) for name, config in vectors.items()}
    ).filter(matches)
    notes = CaseNote.objects.filter(case=OuterRef("pk")).alias(
        **{name: note_vector(config) for name, config in vectors.items()}
    ).filter(matches)
    return Q(Exists(appeals)) | Q(Exists(notes))


def _substring_filter(query: str) -> Q:
    words = list(dict.fromkeys(_WORD.findall(query)))[:MAX_WORDS]
    in_appeal = Q()
    in_note = Q()
    for word in words:
        in_appeal &= Q(text__icontains=word) | Q(request__icontains=word)
        in_note &= Q(text__icontains=word)
    return Q(Exists(Appeal.objects.filter(in_appeal, case=OuterRef("pk")))) | Q(
        Exists(CaseNote.objects.filter(in_note, case=OuterRef("pk")))
    )
