"""Search words as keyed hashes: full-text search over encrypted texts.

A text is cut into words, each word is stemmed (Snowball: Russian for Cyrillic words,
English for Latin ones, so «госпитале» and «госпиталь», "hospitals" and "hospital" meet),
and each stem is replaced by a short keyed hash (a blind index, casedesk.core.crypto).
The stored token string ("t3f9a… 81c0d…") says nothing without the key; a query is
tokenised the same way and matched word by word.

HTML markup is stripped before the words are read (the stored text stays as received). A
surname is its lemma rather than its Snowball stem (casedesk.core.names), so its forms
meet. Each word of at least PREFIX letters also gives the hashed token of its first
PREFIX letters, for a query word ending in ``*``.

What it gives away, by design and documented in docs/security.md: that two texts share a
word (or the first PREFIX letters of one), and how often a hashed word occurs. Phrase and
fuzzy search are not offered.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import snowballstemmer

from .crypto import _blind_key, blind_index, normalise
from .names import MONTH_WORD

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[а-я]")
MAX_TOKENS = 2000
TOKEN_CHARS = 12

# Words too common to search for (they would match nearly everything).
_STOP = """
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж
тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы
нее были куда зачем всех никогда можно при наконец два об другой хоть после над больше
тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой
перед иногда лучше чуть том нельзя такой им более всегда конечно всю между a an and are
as at be but by for from has have he her his i if in into is it its me my no not of on
or our she so that the their them then there they this to was we were what when which
who will with you your
"""
STOP_WORDS = frozenset(_STOP.split())


@lru_cache(maxsize=2)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    language = "russian" if _CYRILLIC.search(word) else "english"
    return _stemmer(language).stemWord(word)


@lru_cache(maxsize=200_000)
def _searchable(word: str) -> str | None:
    """The stem of a normalised word, or None for a word not searched for. A surname
    (the dictionary's likeliest reading of the word) is its lemma instead
    (casedesk.core.names), so that «Кузнецов» and «Кузнецова» meet, which Snowball
    cuts to «кузнец» and «кузнецов», and «Иванов» does not meet «Иван»."""
    if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
        return None
    if _CYRILLIC.search(word):
        from . import names

        if names.is_surname(word):
            return names.name_lemma(word)
    return _stem(word)


_TAG = re.compile(r"<[^>]*>")


def plain_text(text: str) -> str:
    """``text`` without HTML markup: tags become spaces, entities (``&nbsp;``) their
    characters. Only what is searched is stripped; the stored text stays as received."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return text


def words(text: str) -> list[str]:
    """The stems of the searchable words of ``text``, in order, without repeats."""
    stems = dict.fromkeys(map(_searchable, _WORD.findall(normalise(plain_text(text)))))
    stems.pop(None, None)
    return list(stems)[:MAX_TOKENS]


# A word typed with a star (``водоснабж*``) is looked up by its first PREFIX letters:
# each text also carries the keyed hash of the first PREFIX letters of each of its words
# of at least PREFIX letters. A shorter word with a star is an ordinary word.
PREFIX = 6


def _prefixes(text: str) -> list[str]:
    return [w[:PREFIX] for w in _WORD.findall(normalise(plain_text(text)))
            if len(w) >= PREFIX and not w.isdigit()]


def token(stem: str) -> str:
    return _token(_blind_key(), stem)


@lru_cache(maxsize=200_000)
def _token(key: bytes, stem: str) -> str:
    # Cached per blind-index key (``key``, the one blind_index uses now), so that a word
    # is hashed once per process, not once per text it is in.
    return "t" + blind_index("search-word", stem)[:TOKEN_CHARS - 1]


def tokens(*texts: str) -> str:
    """The word tokens of ``texts``: the hashed stems of their words."""
    stems: dict[str, None] = {}
    for text in texts:
        for stem in words(text or ""):
            stems[stem] = None
    key = _blind_key()
    return " ".join(_token(key, stem) for stem in list(stems)[:MAX_TOKENS])


def text_tokens(*texts: str) -> str:
    """The token string stored beside encrypted ``texts`` (SearchTokensField): the word
    tokens of :func:`tokens`, then the prefix tokens of their long words, as far as
    MAX_TOKENS allows."""
    stems: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for text in texts:
        for stem in words(text or ""):
            stems[stem] = None
        for prefix in _prefixes(text or ""):
            prefixes[prefix] = None
    key = _blind_key()
    out = [_token(key, stem) for stem in list(stems)[:MAX_TOKENS]]
    room = MAX_TOKENS - len(out)
    out += [_prefix_token(key, prefix) for prefix in list(prefixes)[:max(room, 0)]]
    return " ".join(out)


@lru_cache(maxsize=200_000)
def _prefix_token(key: bytes, prefix: str) -> str:
    # The same purpose as the words, marked as a prefix inside the hashed input: a
    # prefix never has the token of the word it spells.
    return "t" + blind_index("search-word", prefix + "*")[:TOKEN_CHARS - 1]


_QUERY_WORD = re.compile(r"(\w+)(\*?)")


def short_stars(query: str) -> list[str]:
    """The words of ``query`` typed with ``*`` but shorter than PREFIX letters: searched
    as whole words, which the page tells the user (``ранен*`` finds no «ранение»)."""
    return [word for word, star in _QUERY_WORD.findall(plain_text(query))
            if star and len(word) < PREFIX and not word.isdigit()]


def query_tokens(query: str, limit: int = 10) -> list[str]:
    """The tokens every one of which a matching text must contain. A word ending in
    ``*`` with at least PREFIX letters stands for every word beginning with its first
    PREFIX letters."""
    key = _blind_key()
    out: dict[str, None] = {}
    for word, star in _QUERY_WORD.findall(normalise(plain_text(query))):
        if star and len(word) >= PREFIX and not word.isdigit():
            out[_prefix_token(key, word[:PREFIX])] = None
            continue
        stem = _searchable(word)
        if stem is not None:
            out[_token(key, stem)] = None
    return list(out)[:limit]


# Person search (issue 18): keyed hashes of the normal forms of a person's name, birth
# date, unit, phone and email (casedesk.core.names), stored beside the encrypted fields.
# Each term is "<kind>:<normal form>"; kinds: n (name lemma), f (phonetic code of a name
# lemma), d (birth date, ISO), u (unit number), p (phone, E.164), e (email).
PERSON_PURPOSE = "person-search"


def person_key(term: str) -> str:
    return _person_key(_blind_key(), term)


@lru_cache(maxsize=200_000)
def _person_key(key: bytes, term: str) -> str:
    return "k" + blind_index(PERSON_PURPOSE, term)[:TOKEN_CHARS - 1]


def person_terms(full_name: str = "", birth_date=None, unit: str = "", phone: str = "",
                 email: str = "") -> list[str]:
    """The terms (not hashed) a person is found by."""
    from . import names

    terms: dict[str, None] = {}
    for lemma in names.name_words(full_name or ""):
        for part in dict.fromkeys([lemma, *lemma.split("-")]):
            terms["n:" + part] = None
            code = names.phonetic(part)
            if code:
                terms["f:" + code] = None
    for kind, value in (("d", names.date_key(birth_date)), ("u", names.unit_key(unit)),
                        ("p", names.phone_e164(phone)), ("e", names.email_key(email))):
        if value:
            terms[f"{kind}:{value}"] = None
    return list(terms)


def person_match_atom(part: str) -> str:
    """A name word (a lemma, or one part of a double one) as the duplicate check pairs it:
    by its phonetic code ("f" + code: a lemma and its sound-alikes alike), or by the lemma
    itself where it has none ("n" + lemma: a Latin word)."""
    from . import names

    code = names.phonetic(part)
    return "f" + code if code else "n" + part


def person_match_atoms(lemma: str) -> set[str]:
    """The atoms of one name word (:func:`person_match_atom` of the lemma and, for a double
    one, of each part): the stored pairs and the duplicate check's lookups both read them
    here, so that the two always agree."""
    return {person_match_atom(part) for part in [lemma, *lemma.split("-")] if part}


def person_match_term(kind: str, *values: str) -> str:
    """One term of :func:`person_match_terms`: ``kind`` "nn" (two name words, in either
    order), "nd" (a name word and the birth date) or "nu" (a name word and the unit)."""
    if kind == "nn":
        values = tuple(sorted(values))
    return f"{kind}:" + ":".join(values)


def person_match_terms(full_name: str = "", birth_date=None, unit: str = "",
                       phone: str = "", email: str = "") -> list[str]:
    """The terms (not hashed) the duplicate check looks a person up by
    (casedesk.people.duplicates): every two of the name's words, each name word with the
    birth date and with the unit (words by :func:`person_match_atom`), and the phone and
    email. One key for each pair: looking up "this surname and this birth date" reads the
    few people who have both, where two keys of ``search_keys`` made the index read
    everyone with the surname and everyone with the date (at 1M people, ~10 ms of
    PostgreSQL's CPU a check). A pair tells no more than its two words' own keys do."""
    from . import names

    words = [sorted(person_match_atoms(lemma)) for lemma in names.name_words(full_name or "")]
    date, unit_number = names.date_key(birth_date), names.unit_key(unit or "")
    terms: dict[str, None] = {}
    for i, atoms in enumerate(words):
        for atom in atoms:
            if date:
                terms[person_match_term("nd", atom, date)] = None
            if unit_number:
                terms[person_match_term("nu", atom, unit_number)] = None
            for other in words[i + 1:]:
                for second in other:
                    terms[person_match_term("nn", atom, second)] = None
    for kind, value in (("p", names.phone_e164(phone or "")),
                        ("e", names.email_key(email or ""))):
        if value:
            terms[f"{kind}:{value}"] = None
    return list(terms)


def person_match_tokens(full_name: str = "", birth_date=None, unit: str = "",
                        phone: str = "", email: str = "") -> str:
    """The token string stored in a person's ``match_keys`` (sorted, as ``search_keys``)."""
    key = _blind_key()
    return " ".join(sorted({_person_key(key, term) for term in
                            person_match_terms(full_name, birth_date, unit, phone, email)}))


def person_typo_terms(full_name: str = "") -> list[str]:
    """The terms (not hashed) a misspelt name finds the person by: each lemma of five
    letters or more and its forms with one letter left out (names.one_letter_variants),
    padded to a multiple of TYPO_PAD with terms no query asks for, so that their number
    tells little about the length of the name."""
    from . import names

    lemmas = names.name_words(full_name or "")
    typos: dict[str, None] = {}
    for lemma in lemmas:
        for part in dict.fromkeys([lemma, *lemma.split("-")]):
            typos.update(dict.fromkeys(_typo_part_terms(part)))
    padding = -len(typos) % TYPO_PAD if typos else 0
    for i in range(padding):
        typos[f"x:{' '.join(lemmas)}:{i}"] = None
    return list(typos)


# See person_typo_terms.
TYPO_PAD = 16


@lru_cache(maxsize=200_000)
def _typo_part_terms(part: str) -> tuple[str, ...]:
    """The typo terms of one lemma (surnames, first names and patronymics repeat: each
    is worked out once per process)."""
    from . import names

    return tuple("t:" + variant for variant in names.one_letter_variants(part))


def person_tokens(full_name: str = "", birth_date=None, unit: str = "", phone: str = "",
                  email: str = "") -> str:
    """The token string stored in a person's ``search_keys``: sorted, so that the place
    of a token does not tell what kind of term it is."""
    key = _blind_key()
    return " ".join(sorted(_person_key(key, term) for term in
                           person_terms(full_name, birth_date, unit, phone, email)))


def person_typo_tokens(full_name: str = "") -> str:
    """The token string stored in a person's ``typo_keys`` (sorted, as above): each
    ``"q"`` + the keyed hash, so that a query's typo keys are told from the others."""
    key = _blind_key()
    return " ".join(sorted(_typo_key(key, term) for term in person_typo_terms(full_name)))


@lru_cache(maxsize=200_000)
def _typo_key(key: bytes, term: str) -> str:
    return "q" + _person_key(key, term)[1:]


_UNIT_QUERY = re.compile(
    r"(?:в\s*/\s*ч|в\.\s*ч\.?|вч|войсков\w*\s+част\w*)\s*[-№#]?\s*(\d{3,6})(?!\d)")
_PHONE_QUERY = re.compile(r"\+?\d[\d\s()\-]{8,}\d")
_EMAIL_QUERY = re.compile(r"\S+@\S+")
# A date: 01.05.1990, 1/5/1990, 01-05-1990, 1990-05-01, «1 мая 1990 (г., года)», «1 May
# 1990», «May 1, 1990» (names.date_key reads each; "года" must not be taken for a name).
_DATE_QUERY = re.compile(
    r"\b(?P<date>\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}\s+{MONTH_WORD}\.?,?\s+\d{{4}}"
    rf"|{MONTH_WORD}\.?\s+\d{{1,2}},?\s+\d{{4}})(?!\d)"
    r"(?:\s*(?:г\.|года?\b|г\b))?")
_STARRED = re.compile(r"\w+\*")
_NAME_QUERY = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_NUMBER_QUERY = re.compile(r"(?<![\d.])(\d{3,6})(?![\d.])")


def person_query_terms(query: str, *, typos: bool = False) -> list[list[str]]:
    """The terms (not hashed) a query asks for: groups of alternatives, every group must
    match the person (a name word: its lemma or a phonetic code, and with ``typos`` also
    the forms of it one letter apart; a number alone: a unit).
    No groups: the query names nothing a person is found by (no date, unit, phone or
    email, and no word that may be a name: names.may_be_name)."""
    from . import names

    text = normalise(query)
    groups: list[list[str]] = []

    def take(pattern, make):
        nonlocal text
        for match in pattern.finditer(text):
            value = make(match)
            if value:
                groups.append([value])
        text = pattern.sub(" ", text)

    take(_EMAIL_QUERY, lambda m: "e:" + names.email_key(m.group()) if names.email_key(
        m.group()) else "")
    take(_DATE_QUERY, lambda m: "d:" + names.date_key(m.group("date")) if names.date_key(
        m.group("date")) else "")
    take(_UNIT_QUERY, lambda m: "u:" + m.group(1))
    take(_PHONE_QUERY, lambda m: "p:" + names.phone_e164(m.group()) if names.phone_e164(
        m.group()) else "")
    take(_NUMBER_QUERY, lambda m: "u:" + m.group(1))
    text = _STARRED.sub(" ", text)  # a prefix searches the texts only
    personal = bool(groups)
    for word in _NAME_QUERY.findall(text):
        if len(word) < 2:
            continue
        personal = personal or names.may_be_name(word)
        lemma = names.name_lemma(word)
        alternatives = ["n:" + lemma]
        alternatives += ["f:" + code for code in sorted(names.phonetic_codes(word))]
        if typos:
            # The forms one letter apart of the lemma and of the word as typed (a
            # misspelt word's lemma is a guess), which include the lemma itself: such a
            # word is then looked up in the one-letter keys alone (a shorter word, as
            # before).
            variants = ["t:" + v for form in dict.fromkeys([lemma, names.fold(word)])
                        for v in names.one_letter_variants(form)]
            alternatives = variants or alternatives
        groups.append(list(dict.fromkeys(alternatives)))
    # A query of common words alone («госпиталь») is not about a person.
    return groups[:10] if personal else []


def person_query(query: str, *, typos: bool = False) -> list[list[str]]:
    """:func:`person_query_terms`, hashed as ``search_keys`` holds them (the one-letter
    forms as ``typo_keys`` holds them: starting with "q")."""
    key = _blind_key()
    return [[_typo_key(key, term) if term.startswith("t:") else person_key(term)
             for term in group] for group in person_query_terms(query, typos=typos)]
