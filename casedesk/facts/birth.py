"""Which date of an appeal is the service member's birth date, by rules only (issue 19:
facts offered to fill empty fields). Pure functions: no database, nothing logged.

A DATE fact (casedesk.facts.extract) is read as the birth date of the service member only
when all of these hold, so that the date of the mother who writes, of a child or of a
leave is never offered in its place:

- it is one whole day (not a period, not a day without its year);
- the words at it say it is a birth date: «родился», «родилась», «дата рождения»,
  «д.р.», "born", "date of birth" just before it, or «г.р.», «года рождения» just after;
- the service member's name stands just before it (within ``REACH`` characters, and
  after any other date): his surname and his first name, or his surname and his
  initials («Кузнецов А.В.»), each in any grammatical case;
- between his name and the date there is no end of a sentence, no other person's name
  and no word for a relative («его сын», «жена»): «Кузнецов Андрей Викторович, 01.05.1990
  г.р.» is his, «Кузнецов Андрей. Его дочь родилась 05.06.2019» is not;
- he would have been between ``AGE`` years old on the day the appeal was received.

The caller then offers it only when every birth date so found in the case's appeals is
the same day (``services.offers``): two different ones are not an answer.
"""

from __future__ import annotations

import datetime as dt
import re

from casedesk.core import names

REACH = 100  # characters before a birth date within which the owner's name must stand
AGE = (16, 80)  # years: a service member's age on the day of the appeal

_BEFORE = re.compile(
    r"(?:родил(?:ся|ась)|рождени[яе]|д\.\s?р\.|date\s+of\s+birth|born|d\.?o\.?b\.?)"
    r"[\s:,–—-]*(?:(?:в|on)\s+)?$", re.IGNORECASE)
# After the date. The date's own span may have taken «г.» or «года» already.
_AFTER = re.compile(r"^\s*(?:г(?:ода|\.)?\s*)?(?:р\.|рожд)", re.IGNORECASE)
_ENDS_WITH_YEAR_WORD = re.compile(r"(?:г\.|года|год|г)$", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?\.?", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?]\s+[А-ЯЁA-Z][а-яёa-z]|[!?;\n]")
_KIN = frozenset({
    "сын", "дочь", "жена", "муж", "мать", "мама", "отец", "папа", "брат", "сестра",
    "ребенок", "дети", "супруг", "супруга", "внук", "внучка", "son", "daughter", "wife",
    "husband", "mother", "father", "brother", "sister", "child", "children",
})


def birth_date(text: str, start: int, end: int, normal: str, full_name: str,
               received: dt.date, previous_end: int = 0) -> dt.date | None:
    """The birth date of the person named ``full_name`` that the DATE fact at
    ``text[start:end]`` (``normal``: its ISO form) gives, or None (see the module).
    ``previous_end``: where the fact before it (any date) ends; the name is looked for
    after it."""
    day = _day(normal)
    if day is None or not _said_to_be_birth(text, start, end):
        return None
    if not AGE[0] <= _age(day, received) <= AGE[1]:
        return None
    window_start = max(previous_end, start - REACH, 0)
    head = text[window_start:start]
    cue = _BEFORE.search(head)
    if cue:
        head = head[:cue.start()]
    return day if _named_last(head, full_name) else None


def _day(normal: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(normal) if re.fullmatch(r"\d{4}-\d\d-\d\d", normal) \
            else None
    except ValueError:
        return None


def _age(day: dt.date, on: dt.date) -> int:
    return on.year - day.year - ((on.month, on.day) < (day.month, day.day))


def _said_to_be_birth(text: str, start: int, end: int) -> bool:
    if _BEFORE.search(text[max(0, start - 40):start]):
        return True
    tail = text[end:end + 20]
    if _AFTER.match(tail):
        # «01.05.1990 г.р.»: the date took «г.», the rest is «р.»; without it, «г.р.».
        return True
    return bool(_ENDS_WITH_YEAR_WORD.search(text[start:end]) and re.match(
        r"^\s*р(?:\.|ожд)", tail, re.IGNORECASE))


def _parts(full_name: str) -> tuple[str, str, str] | None:
    """(surname, first name, patronymic or "") as lemmas; None for a one-word name."""
    words = names.name_words(full_name)
    if len(words) < 2:
        return None
    kinds = {w: names.name_part(w) for w in words}
    first = next((w for w in words if kinds[w] == "first_name"), words[1])
    patronymic = next((w for w in words if kinds[w] == "patronymic" and w != first), "")
    surname = next((w for w in words if kinds[w] == "surname" and w not in (first,
                                                                          patronymic)),
                   None) or next(w for w in words if w not in (first, patronymic))
    return surname, first, patronymic


def _named_last(head: str, full_name: str) -> bool:
    """Whether ``head`` names the person (surname and first name, or surname and
    initials) and nothing after the name but commas and common words: no other name, no
    relative, no end of a sentence."""
    parts = _parts(full_name)
    if parts is None:
        return False
    surname, first, patronymic = parts
    words = list(_WORD.finditer(head))
    found_surname = found_first = None
    initials: list[tuple[int, str]] = []
    for index, match in enumerate(words):
        raw = match.group()
        bare = raw.rstrip(".")
        if len(bare) == 1 and bare.isupper():
            initials.append((index, names.fold(bare)))
            continue
        if not bare[:1].isupper():
            continue
        lemma = names.name_lemma(bare)
        if lemma == surname:
            found_surname = index
        elif lemma == first:
            found_first = index
    if found_surname is None:
        return False
    if found_first is None:
        # «Кузнецов А.В.»: the initials right after the surname, all of them his.
        after = [(index, letter) for index, letter in initials if index > found_surname]
        wanted = [first[:1]] + ([patronymic[:1]] if patronymic else [])
        taken = after[:len(wanted)]
        if [letter for _index, letter in taken] != wanted \
                or [index for index, _letter in taken] != list(
                    range(found_surname + 1, found_surname + 1 + len(wanted))):
            return False
        last = taken[-1][0]
    else:
        last = max(found_surname, found_first)
    after_name = head[words[last].end():]
    if _SENTENCE_END.search(after_name):
        return False
    for match in words[last + 1:]:
        bare = match.group().rstrip(".")
        lemma = names.name_lemma(bare)
        if lemma in _KIN or names.fold(bare) in _KIN:
            return False
        if bare[:1].isupper() and len(bare) > 1 and lemma not in (surname, first, patronymic) \
                and names.name_part(lemma) in ("surname", "first_name"):
            return False
    return True
