"""Candidate duplicates of a person: people who may be the same service member.

Found through keyed indexes, never by decrypting anyone but the person asked about: on
PostgreSQL ``Person.match_keys`` (hashed pairs: two name words, a name word with the birth
date or the unit; the phone, the email; casedesk.core.tokens.person_match_terms), where
each condition below is one lookup of a few keys; elsewhere ``Person.search_keys`` (hashed
name lemmas and their phonetic codes, birth date, unit number, phone and email), each
condition a conjunction of its keys. Scored in Python from which of the asked person's
hashed keys each candidate's ``search_keys`` hold; nothing of a candidate is decrypted.
A suggestion for staff, never a decision: nothing is linked or merged here.

**Who is fetched.** The asked person's name words are read in the order the dictionary
gives them a part (casedesk.core.names.name_part: surname, first name, patronymic; the
words it cannot place fill the parts left, in the order written), so «Андрей Кузнецов» is
asked as «Кузнецов Андрей». Each part is matched by its lemma («Кузнецовой» = «Кузнецов»,
ё = е) or, failing that, by its phonetic code (a typo: «Кузницов»). Two lookups per
person asked (on PostgreSQL, those of a whole batch in one statement), capped at
``FETCH_PER_PERSON`` (strong) and ``FETCH_WEAK`` (weak) rows each:

- *strong*: the surname (lemma or sound) with the birth date or the unit; or the first
  name, patronymic and birth date (a surname changed or garbled); or the phone; or the
  email;
- *weak*: the surname (lemma or sound) with the first name.

A common surname alone never fetches anyone, and a unit alone (thousands serve in one)
neither. Erased people are never candidates (their keys are gone with their data, and
``erased_at`` is checked too).

**Reasons** (codes, in this order): ``surname`` (the same surname lemma) or
``surname_sounds_alike`` (only its phonetic code), ``first_name``, ``patronymic``,
``birth_date``, ``birth_date_differs`` (both have a birth date and they differ: the
candidate has one, ``name_birth_index`` is not empty, and it is not ours), ``unit``,
``region`` (the same region, a plain column), ``phone``, ``email``.

**Score** (0-100, for ordering): surname 30 (sounding alike 20), first name 20,
patronymic 10, birth date 25, unit 15, phone 25, email 25, region 5; a differing birth
date takes 25 off.

**Levels**, decided by rules rather than by the score alone:

- ``likely``: the same surname and first name with the same birth date or unit; or the
  same phone or email with the surname (or its sound);
- ``possible``: the surname (or its sound) with the first name, or with the birth date or
  unit; the first name, patronymic and birth date; the same phone or email alone;
- a differing birth date makes a ``likely`` at most ``possible``;
- anything less (a surname alone, a first name and a unit) is no candidate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q, TextField
from django.db.models.expressions import RawSQL

from casedesk.core import names, tokens

from .models import Person, keys_match, keys_tsquery

LIKELY = "likely"
POSSIBLE = "possible"
REASONS = ("surname", "surname_sounds_alike", "first_name", "patronymic", "birth_date",
           "birth_date_differs", "unit", "region", "phone", "email")
WEIGHTS = {"surname": 30, "surname_sounds_alike": 20, "first_name": 20, "patronymic": 10,
           "birth_date": 25, "birth_date_differs": -25, "unit": 15, "region": 5,
           "phone": 25, "email": 25}
FETCH_PER_PERSON = 100
# The weak condition (surname and first name alone) matches every namesake: its
# candidates are "possible" at best, and a page shows ten.
FETCH_WEAK = 30
_PARTS = ("surname", "first_name", "patronymic")


@dataclass(frozen=True)
class Candidate:
    person_id: int
    score: int
    level: str  # LIKELY or POSSIBLE
    reasons: tuple[str, ...]


@dataclass
class _Asked:
    """One person asked about, as hashed keys by kind."""

    names: dict[str, tuple[frozenset[str], frozenset[str]]]  # part -> (lemma, sound) keys
    date: str = ""
    unit: str = ""
    phone: str = ""
    email: str = ""
    region_id: int | None = None
    exclude: frozenset[int] = field(default_factory=frozenset)
    # The lookups in ``match_keys`` (PostgreSQL): strong and weak conjunctions of keys.
    matches: tuple[list, list] = field(default_factory=lambda: ([], []))

    def part(self, name: str) -> frozenset[str]:
        lemma, sound = self.names.get(name, (frozenset(), frozenset()))
        return lemma | sound


_NAME_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _asked(full_name: str, birth_date=None, unit: str = "", phone: str = "",
           email: str = "", region_id: int | None = None, exclude=()) -> _Asked:
    typed: dict[str, set[str]] = {}  # lemma -> the phonetic codes of it and as typed
    for word in _NAME_WORD.findall(unicodedata.normalize("NFKC", full_name or "").casefold()):
        lemma = names.name_lemma(word)
        typed.setdefault(lemma, set()).update(
            names.phonetic(p) for p in [word, *word.split("-")])
    parts: dict[str, str] = {}
    for lemma in typed:
        part = names.name_part(lemma)
        if part and part not in parts:
            parts[part] = lemma
    rest = [lemma for lemma in typed if lemma not in parts.values()]
    for part in _PARTS:
        if part not in parts and rest:
            parts[part] = rest.pop(0)
    keyed = {}
    for part, lemma in parts.items():
        pieces = list(dict.fromkeys([lemma, *lemma.split("-")]))
        lemmas = frozenset(tokens.person_key("n:" + p) for p in pieces)
        codes = {names.phonetic(p) for p in pieces} | typed[lemma]
        sounds = frozenset(tokens.person_key("f:" + code) for code in codes if code)
        keyed[part] = (lemmas, sounds)

    def key(kind: str, value: str) -> str:
        return tokens.person_key(f"{kind}:{value}") if value else ""

    # The same parts as match_keys pairs them (tokens.person_match_terms), with the
    # sounds of the words as typed.
    atoms = {part: sorted(tokens.person_match_atoms(lemma)
                          | {"f" + code for code in typed[lemma] if code})
             for part, lemma in parts.items()}
    date, unit_number = names.date_key(birth_date), names.unit_key(unit or "")
    asked = _Asked(names=keyed, date=key("d", date), unit=key("u", unit_number),
                   phone=key("p", names.phone_e164(phone or "")),
                   email=key("e", names.email_key(email or "")),
                   region_id=region_id, exclude=frozenset(exclude))
    asked.matches = _match_conditions(asked, atoms, date, unit_number)
    return asked


def _match_conditions(asked: _Asked, atoms: dict[str, list[str]], date: str,
                      unit_number: str) -> tuple[list, list]:
    """:func:`_conditions` as lookups of ``match_keys``: the surname with the birth date
    or the unit, the first name and patronymic each with the birth date, the phone, the
    email (strong); the surname with the first name (weak). Each pair is one key."""
    def key(kind: str, *values: str) -> str:
        return tokens.person_key(tokens.person_match_term(kind, *values))

    surname, first, patronymic = (atoms.get(p, []) for p in _PARTS)
    held = [key("nd", a, date) for a in surname if date] + \
        [key("nu", a, unit_number) for a in surname if unit_number]
    strong: list[list[list[str]]] = [[held]] if held else []
    if first and patronymic and date:
        strong.append([[key("nd", a, date) for a in first],
                       [key("nd", a, date) for a in patronymic]])
    strong += [[[k]] for k in (asked.phone, asked.email) if k]
    weak = [[[key("nn", a, b) for a in surname for b in first]]] if surname and first \
        else []
    return strong, weak


def _conditions(asked: _Asked) -> tuple[list[list[list[str]]], list[list[list[str]]]]:
    """The strong and weak conditions of one person asked about: each a list of
    conjunctions, each conjunction a list of alternatives (keys)."""
    surname, first, patronymic = (sorted(asked.part(p)) for p in _PARTS)
    ids = [k for k in (asked.date, asked.unit) if k]
    strong: list[list[list[str]]] = []
    if surname and ids:
        strong.append([surname, ids])
    if first and patronymic and asked.date:
        strong.append([first, patronymic, [asked.date]])
    strong += [[[k]] for k in (asked.phone, asked.email) if k]
    weak = [[surname, first]] if surname and first else []
    return strong, weak


def _people(conjunctions, among: Q | None, *, tsquery=None):
    """The people (not erased) matching any of ``conjunctions``: rows of (pk, search_keys,
    region_id, has a birth date), not yet capped. On PostgreSQL, by ``tsquery``: the
    expression giving each asked person's tsquery text (see :func:`_statement`)."""
    people = Person.objects.filter(erased_at__isnull=True)
    if tsquery is not None:
        # The expression of the GIN index (people.models.PERSON_MATCH_EXPRESSION).
        people = people.filter(keys_match("match_keys", tsquery))
    else:
        either = Q()
        for conjunction in conjunctions:
            every = Q()
            for alternatives in conjunction:
                one = Q()
                for key in alternatives:
                    one |= Q(search_keys__contains=key)
                every &= one
            either |= every
        people = people.filter(either)
    if among is not None:
        people = people.filter(among)
    dated = ExpressionWrapper(~Q(name_birth_index=""), output_field=BooleanField())
    return people.annotate(dated=dated).values_list("pk", "search_keys", "region_id", "dated")


def _fetch(strong: list[list[list[str]]], weak: list[list[list[str]]],
           among: Q | None) -> dict[int, tuple]:
    """The rows of one person's two capped lookups by pk (elsewhere than on PostgreSQL,
    where :func:`_fetch_many` asks for everyone at once): at most ``FETCH_PER_PERSON``
    people matching the strong conditions and ``FETCH_WEAK`` the weak ones."""
    parts = [_people(conditions, among)[:limit]
             for conditions, limit in ((strong, FETCH_PER_PERSON), (weak, FETCH_WEAK))
             if conditions]
    rows: dict[int, tuple] = {}
    for part in parts:
        for row in part:
            rows.setdefault(row[0], row)
    return rows


def _fetch_many(asked: Sequence[_Asked], among: Q | None) -> list[dict[int, tuple]]:
    """On PostgreSQL: the rows of each asked person's two capped lookups of ``match_keys``
    (at most ``FETCH_PER_PERSON`` people matching the strong conditions and
    ``FETCH_WEAK`` the weak ones), by pk, in ONE statement for the whole batch: its
    people's tsquery texts as two arrays, each person's lookups a LATERAL subquery with
    its own LIMITs (:func:`_statement`). A statement per person cost each person its
    planning (0.7 ms of PostgreSQL's CPU at 1M cases) and a round trip; one OR of all
    their conditions read every match of every common name before its cap."""
    strong = [_tsquery(one.matches[0]) or None for one in asked]
    weak = [_tsquery(one.matches[1]) or None for one in asked]
    found: list[dict[int, tuple]] = [{} for _one in asked]
    if not any(strong) and not any(weak):
        return found
    sql, params = _statement(among)
    with connections[Person.objects.db].cursor() as cursor:
        cursor.execute(sql, [strong, weak, *params])
        for number, *row in cursor.fetchall():
            found[number - 1].setdefault(row[0], tuple(row))  # a pk in both: the same row
    return found


# The asked people's rows in the batch statement: (strong, weak, number), the tsquery
# texts of their lookups (NULL: none) and their place in the batch, from 1.
_ASKED = "casedesk_asked"
# id of among -> (among, sql, params): compiling the ORM's statement took about a third
# of the check's CPU, the same text every time.
_STATEMENTS: dict[int, tuple[Q | None, str, tuple]] = {}


def _tsquery(conjunctions: list[list[list[str]]]) -> str:
    return " | ".join(f"({keys_tsquery(conjunction)})" for conjunction in conjunctions)


def _statement(among: Q | None) -> tuple[str, tuple]:
    """The SQL of :func:`_fetch_many` and its parameters after the two arrays, compiled
    by the ORM once per ``among`` object (pass the same one each time: a new ``Q`` is
    compiled anew)."""
    cached = _STATEMENTS.get(id(among))
    if cached is not None and cached[0] is among:
        return cached[1], cached[2]
    # A column of the asked people's rows, a fixed name: no value in the SQL.
    parts = [_people(None, among, tsquery=RawSQL(f"{_ASKED}.{name}", (),  # noqa: S611
                                                 output_field=TextField()))[:limit]
             for name, limit in (("strong", FETCH_PER_PERSON), ("weak", FETCH_WEAK))]
    lookups, params = parts[0].union(parts[1], all=True).query.sql_with_params()
    sql = (f"SELECT {_ASKED}.number, found.* "  # noqa: S608 - the ORM's SQL, no value
           f"FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY "
           f"AS {_ASKED}(strong, weak, number) CROSS JOIN LATERAL ({lookups}) AS found")
    if len(_STATEMENTS) > 64:  # callers making a new ``among`` each time
        _STATEMENTS.clear()
    _STATEMENTS[id(among)] = (among, sql, tuple(params))
    return sql, tuple(params)


def _score(asked: _Asked, keys: set[str], region_id, dated: bool) -> Candidate | None:
    reasons = []
    lemma, sound = asked.names.get("surname", (frozenset(), frozenset()))
    if lemma & keys:
        reasons.append("surname")
    elif sound & keys:
        reasons.append("surname_sounds_alike")
    for part in ("first_name", "patronymic"):
        if asked.part(part) & keys:
            reasons.append(part)
    if asked.date and asked.date in keys:
        reasons.append("birth_date")
    elif asked.date and dated:
        reasons.append("birth_date_differs")
    if asked.unit and asked.unit in keys:
        reasons.append("unit")
    if asked.region_id is not None and asked.region_id == region_id:
        reasons.append("region")
    for kind in ("phone", "email"):
        if getattr(asked, kind) and getattr(asked, kind) in keys:
            reasons.append(kind)
    level = _level(set(reasons))
    if level is None:
        return None
    score = max(0, min(100, sum(WEIGHTS[r] for r in reasons)))
    return Candidate(person_id=0, score=score, level=level, reasons=tuple(reasons))


def _level(reasons: set[str]) -> str | None:
    named = bool(reasons & {"surname", "surname_sounds_alike"})
    first = "first_name" in reasons
    held = bool(reasons & {"birth_date", "unit"})
    contact = bool(reasons & {"phone", "email"})
    level = None
    if ("surname" in reasons and first and held) or (contact and named):
        level = LIKELY
    elif (named and (first or held)) or contact or (
            first and "patronymic" in reasons and "birth_date" in reasons):
        level = POSSIBLE
    if level == LIKELY and "birth_date_differs" in reasons:
        level = POSSIBLE
    return level


def _order(candidate: Candidate):
    return (candidate.level != LIKELY, -candidate.score, -candidate.person_id)


def _find(asked: Sequence[_Asked], *, among: Q | None, limit: int) -> list[list[Candidate]]:
    """The candidates of each of ``asked``: two capped lookups per person asked
    (``FETCH_PER_PERSON`` strong, ``FETCH_WEAK`` weak rows), on PostgreSQL all in one
    statement (:func:`_fetch_many`), elsewhere two queries per person."""
    if connections[Person.objects.db].vendor == "postgresql":
        rows = _fetch_many(asked, among)
    else:
        rows = [_fetch(*_conditions(one), among) for one in asked]
    return [_scored([one], found, limit)[0] for one, found in zip(asked, rows, strict=True)]


def _scored(asked: Sequence[_Asked], rows: dict, limit: int) -> list[list[Candidate]]:
    """The candidates among ``rows`` (pk -> the row _fetch read) of each of ``asked``."""
    # Which of the asked share a key with a row: scored against those only.
    by_key: dict[str, list[int]] = {}
    for i, one in enumerate(asked):
        for key in _keys(one):
            by_key.setdefault(key, []).append(i)
    found: list[dict[int, Candidate]] = [{} for _one in asked]
    for pk, search_keys, region_id, dated in rows.values():
        keys = set((search_keys or "").split())
        for i in {i for key in keys for i in by_key.get(key, ())}:
            if pk in asked[i].exclude:
                continue
            candidate = _score(asked[i], keys, region_id, dated)
            if candidate is not None:
                found[i][pk] = Candidate(person_id=pk, score=candidate.score,
                                         level=candidate.level, reasons=candidate.reasons)
    return [sorted(one.values(), key=_order)[:limit] for one in found]


def _keys(asked: _Asked) -> Iterable[str]:
    for lemma, sound in asked.names.values():
        yield from lemma
        yield from sound
    yield from (k for k in (asked.date, asked.unit, asked.phone, asked.email) if k)


def person_candidates(*, full_name: str, birth_date=None, unit: str = "", phone: str = "",
                      email: str = "", region_id: int | None = None, exclude_ids=(),
                      among: Q | None = None, limit: int = 10) -> list[Candidate]:
    """The people who may be the person described (likely first, then by score). ``among``:
    a condition on ``Person`` narrowing who may be a candidate (e.g. service members)."""
    asked = _asked(full_name, birth_date, unit, phone, email, region_id, exclude_ids)
    return _find([asked], among=among, limit=limit)[0]


def candidates_of(person: Person, *, exclude_ids=(), among: Q | None = None,
                  limit: int = 10) -> list[Candidate]:
    """:func:`person_candidates` of an existing person (decrypted: the caller's read),
    never the person itself."""
    return candidates_of_many([person], exclude_ids=exclude_ids, among=among,
                              limit=limit)[person.pk]


def candidates_of_many(people: Sequence[Person], *, exclude_ids=(), among: Q | None = None,
                       limit: int = 10) -> dict[int, list[Candidate]]:
    """:func:`candidates_of` for many people at once, two capped lookups each (each
    person's data decrypted here: load their keys first,
    ``core.crypto.keys_prefetch``). Erased people have no candidates."""
    living = [p for p in people if p.erased_at is None]
    asked = [_asked(p.full_name, p.birth_date, p.unit, p.phone, p.email, p.region_id,
                    {p.pk, *exclude_ids}) for p in living]
    found = dict(zip((p.pk for p in living), _find(asked, among=among, limit=limit),
                     strict=True))
    return {p.pk: found.get(p.pk, []) for p in people}

