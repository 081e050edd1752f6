"""Normal forms of the things people are searched by: names, units, phones, emails, dates.

Each function turns what a person or a caseworker typed into the form that is compared,
so that the ways one value is usually written meet:

- **Names** (:func:`name_words`): each word of a Russian name is replaced by its lemma in
  the masculine nominative, read by pymorphy3 with its OpenCorpora dictionary
  (pymorphy3-dicts-ru, shipped inside the installed package, nothing downloaded):
  «Кузнецову», «Кузнецовой» and «Кузнецова» all become «кузнецов», «Петровская»
  becomes «петровский», the patronymic «Сергеевна» becomes «сергеевич». Of a word's
  readings the likeliest one tagged as a surname, first name or patronymic wins, so
  «Иванов» stays «иванов» (not the plural genitive of «Иван»). ё is written е.
- **A phonetic code** of each lemma (:func:`phonetic`), so that one letter written as it
  sounds («Кузницов», «Кузнецав», «Кузнецоф») still meets its name: the Russian
  Metaphone described by Petr Kankowski (vowels folded to А, И, У; voiced consonants
  made voiceless before a voiceless one and at the end; ТС and ДС read as Ц; Ь and Ъ
  dropped; a doubled letter written once), implemented here from that description.
- **One letter wrong** (:func:`one_letter_variants`): a lemma of five letters or more
  with each of its letters left out in turn, so that a name typed with one letter
  wrong, missing or extra («Кузнуцов», «Кузнецв», «Кузнецовв») still meets it (the
  deletion neighbourhood of SymSpell, Wolf Garbe's spelling corrector, built here from
  that idea).
- **Units** (:func:`unit_key`): the number of a military unit however it is written
  («в/ч 74814», «ВЧ74814», «войсковая часть 74814», «74814» → ``"74814"``).
- **Phones** (:func:`phone_e164`): E.164 through phonenumbers, region RU
  («8 (916) 123-45-67» → ``"+79161234567"``).
- **Emails** (:func:`email_key`): trimmed and lower-cased.
- **Dates** (:func:`date_key`): ``dd.mm.yyyy`` (or a ``date``) → ISO ``yyyy-mm-dd``.

Nothing here is stored or logged: the forms are hashed with the blind-index key before
they reach the database (casedesk.core.tokens.person_tokens).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import phonenumbers

_NAME_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_NAME_TAGS = ("Surn", "Name", "Patr")
_CYRILLIC = re.compile(r"[а-яё]")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def fold(text: str) -> str:
    """``text`` in the form names are compared in: NFKC, case-folded, ё as е."""
    return unicodedata.normalize("NFKC", text or "").casefold().replace("ё", "е")


_fold = fold


def nominative(full_name: str) -> str:
    """``full_name`` in the nominative, as a heading names a person: «Соколова Павла
    Игоревича» (as an appeal about him writes it) is «Соколов Павел Игоревич». Only when
    each of its two to four words is a Russian name word of the dictionary (a surname,
    first name or patronymic) and all of them can be read in one case and gender other
    than the nominative (the likeliest such reading); otherwise, and for a name already in
    the nominative, ``full_name`` as written. Capitals as written."""
    words = (full_name or "").split()
    readings = _name_readings(words)
    if readings is None:
        return full_name
    common = set.intersection(*({(p.tag.case, p.tag.gender) for p in named}
                                for named in readings))
    if not common or any(case == "nomn" for case, _gender in common):
        return full_name

    def likelihood(reading):
        return sum(max(p.score for p in named if (p.tag.case, p.tag.gender) == reading)
                   for named in readings)

    reading = max(sorted(common), key=likelihood)
    out = []
    for word, named in zip(words, readings, strict=True):
        best = max((p for p in named if (p.tag.case, p.tag.gender) == reading),
                   key=lambda p: p.score)
        form = best.inflect({"nomn"})
        if form is None:
            return full_name
        out.append(_written_like(word, form.word))
    return " ".join(out)


def _name_readings(words: list[str], case: str | None = None) -> list[list] | None:
    """Each of two to four ``words``' readings as a Russian name word of the dictionary
    (a surname, first name or patronymic, singular, masculine or feminine; in ``case``
    only, if given); None if there are fewer or more words, or one is not such a word
    (Latin, double-barrelled, or none of its readings is a name)."""
    if not 2 <= len(words) <= 4:
        return None
    readings = []
    for word in words:
        if not _CYRILLIC.search(fold(word)) or "-" in word:
            return None
        named = [p for p in _morph().parse(unicodedata.normalize("NFKC", word).casefold())
                 if any(tag in p.tag for tag in _NAME_TAGS) and "sing" in p.tag
                 and p.tag.case and (case is None or p.tag.case == case)
                 and p.tag.gender in ("masc", "femn")]
        if not named:
            return None
        readings.append(named)
    return readings


# The grammatical cases a letter may need a name in (pymorphy's tags).
CASES = {"genitive": "gent", "dative": "datv", "accusative": "accs",
         "instrumental": "ablt", "prepositional": "loct"}


def inflected(full_name: str, case: str) -> str:
    """``full_name`` in the grammatical ``case`` (a key of :data:`CASES`), as a letter
    needs it: «по вопросу, касающемуся военнослужащего Петрова Артёма Александровича»,
    «рекомендуем Петрову Артёму Александровичу». Read as :func:`nominative` reads it (a
    name written in another case is taken back to the nominative first); when a word is
    not a Russian name word of the dictionary, or the words agree on no gender, the name
    stays as written (in the nominative where that could be read): a foreign or
    double-barrelled name is never half inflected."""
    base = nominative(full_name)
    words = base.split()
    readings = _name_readings(words, "nomn") if case in CASES else None
    if readings is None:
        return base
    genders = set.intersection(*({p.tag.gender for p in named} for named in readings))
    if not genders:
        return base
    gender = max(sorted(genders), key=lambda g: sum(
        max(p.score for p in named if p.tag.gender == g) for named in readings))
    out = []
    for word, named in zip(words, readings, strict=True):
        best = max((p for p in named if p.tag.gender == gender), key=lambda p: p.score)
        form = best.inflect({CASES[case]})
        if form is None:
            return base
        out.append(_written_like(word, form.word))
    return " ".join(out)


def _written_like(word: str, form: str) -> str:
    if word.isupper():
        return form.upper()
    return form[:1].upper() + form[1:] if word[:1].isupper() else form


@lru_cache(maxsize=200_000)
def name_lemma(word: str) -> str:
    """The lemma of one word of a name (lower case, ё as е); a Latin word as it is."""
    original, word = word, _fold(word)
    if not _CYRILLIC.search(word):
        return word
    if "-" in word:  # a double surname: each part on its own
        return "-".join(name_lemma(part) for part in original.split("-") if part)
    # Read with its ё, if typed (the dictionary knows «Артёму» is of «Артём», where
    # «Артему» may also be of «Артема»); of readings equally likely, the masculine one.
    parses = _morph().parse(unicodedata.normalize("NFKC", original).casefold())
    named = [p for p in parses if any(tag in p.tag for tag in _NAME_TAGS)]
    best = max(named or parses, key=lambda p: (p.score, "masc" in p.tag), default=None)
    lemma = best.normal_form if best is not None else word
    return lemma.replace("ё", "е")


@lru_cache(maxsize=200_000)
def is_surname(word: str) -> bool:
    """Whether ``word`` may be a form of a surname of the -ов/-ев/-ин kind («Кузнецова»,
    «Иванов», «Зайцев», whose forms Snowball cuts apart: «кузнец», «кузнецов»); not
    «Иван», «отцов», «госпиталь». (A word that is also such a surname, «пальцев», is
    then read as the surname.)"""
    word = _fold(word)
    if not _CYRILLIC.search(word):
        return False
    return any("Surn" in p.tag and p.normal_form.replace("ё", "е").endswith(_SURNAME_ENDS)
               for p in _morph().parse(word))


_SURNAME_ENDS = ("ов", "ев", "ин", "ын")


@lru_cache(maxsize=200_000)
def may_be_name(word: str) -> bool:
    """Whether a typed word may be part of a name: the dictionary reads it as a surname,
    first name or patronymic, or does not know it (a rare surname, a misspelling). A
    common word («госпиталь», «выплата») is not: a query of such words alone searches
    the texts only. (Surnames that are only common words to the dictionary, «Волк»,
    are found with another part of the name, «Волк Иван».)"""
    word = _fold(word)
    if not _CYRILLIC.search(word):
        # A name in Latin letters (a transliterated or foreign name): the dictionary
        # knows no such names, so any word may be one.
        return word.replace("-", "").isalpha()
    morph = _morph()
    parts = [part for part in word.split("-") if part]
    return any(not morph.word_is_known(part) or any(
        tag in p.tag for p in morph.parse(part) for tag in _NAME_TAGS) for part in parts)


def name_words(full_name: str) -> list[str]:
    """The lemmas of the words of ``full_name``, in order, without repeats."""
    # Cut before ё is folded: name_lemma reads a word with its ё.
    text = unicodedata.normalize("NFKC", full_name or "").casefold()
    return list(dict.fromkeys(name_lemma(w) for w in _NAME_WORD.findall(text)))


_VOWELS = {"о": "а", "ы": "а", "я": "а", "е": "и", "э": "и", "ю": "у", "й": "и"}
_DEVOICE = {"б": "п", "з": "с", "д": "т", "в": "ф", "г": "к", "ж": "ш"}
_VOICELESS = frozenset("пстфкшчцхщ")


@lru_cache(maxsize=200_000)
def phonetic(word: str) -> str:
    """The Russian Metaphone code of ``word`` (Cyrillic letters only; "" if none)."""
    letters = [ch for ch in _fold(word) if "а" <= ch <= "я"]
    text = "".join(letters)
    for pair in ("йо", "ио", "йе", "ие"):
        text = text.replace(pair, "и")
    text = "".join(_VOWELS.get(ch, ch) for ch in text).replace("ь", "").replace("ъ", "")
    out = []
    for i, ch in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else None
        if ch in _DEVOICE and (following is None or following in _VOICELESS):
            ch = _DEVOICE[ch]
        out.append(ch)
    code = "".join(out).replace("тс", "ц").replace("дс", "ц")
    collapsed = []
    for ch in code:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    return "".join(collapsed)


# Names of at least this many letters are also found with one letter wrong, missing or
# extra (:func:`one_letter_variants`); shorter ones would meet too many other names.
TYPO_MIN = 5


def one_letter_variants(word: str) -> list[str]:
    """``word`` and each form of it with one letter left out, for a word of at least
    ``TYPO_MIN`` letters (else none). Two words one edit apart (a letter wrong, missing or
    extra) always share one of these: «кузнецов» and «кузнуцов» share «кузнцов»,
    «кузнецов» and «кузнецв» share «кузнецв»."""
    if len(word) < TYPO_MIN:
        return []
    return list(dict.fromkeys([word, *(word[:i] + word[i + 1:] for i in range(len(word)))]))


def phonetic_codes(word: str) -> set[str]:
    """The phonetic codes a typed word may stand for: of its lemma and of the word as
    typed (a misspelt word is often read as some other lemma)."""
    codes = {phonetic(name_lemma(word)), phonetic(word)}
    codes.discard("")
    return codes


# "в/ч", "вч", "в.ч.", "войсковая часть", "войсковой части" ... before the number; a
# letter suffix after it ("74814-А") is not part of the number.
_UNIT_NUMBER = re.compile(r"(?<!\d)(\d{3,6})(?!\d)")


def unit_key(unit: str) -> str:
    """The number of a military unit as digits (``"74814"``); for a unit written without
    a number (a name), its folded text; "" for nothing."""
    folded = " ".join(_fold(unit).split())
    numbers = _UNIT_NUMBER.findall(folded)
    if numbers:
        return numbers[0]
    return folded


def phone_e164(phone: str) -> str:
    """``phone`` in E.164 (``+79161234567``), read as Russian unless it says otherwise;
    "" for something that is not a possible phone number."""
    text = (phone or "").strip()
    if not text or not any(ch.isdigit() for ch in text):
        return ""
    try:
        number = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(email: str) -> str:
    """``email`` trimmed and lower-cased; "" unless it looks like an address."""
    text = (email or "").strip().lower()
    return text if "@" in text.strip("@") else ""


_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# The months as written in Russian (any case: «мая», «май») and English (whole or cut
# to three letters, «Sept» too): the pattern of a month word, and the number of each.
MONTH_WORD = (r"(?:январ[ьяе]|феврал[ьяе]|марта?|марте|апрел[ьяе]|ма[йяе]|июн[ьяе]"
              r"|июл[ьяе]|август[ае]?|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]"
              r"|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
              r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONTHS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр",
           "октябр", "ноябр", "декабр")
_MONTHS_EN = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
              "dec")
# «1 мая 1990», «1 May 1990», «May 1, 1990» (the word's case and a dot after it aside).
_WORDED = re.compile(rf"^(\d{{1,2}})\s+({MONTH_WORD})\.?,?\s+(\d{{4}})$", re.IGNORECASE)
_WORDED_EN = re.compile(rf"^({MONTH_WORD})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})$", re.IGNORECASE)


def month_number(word: str) -> int:
    """The number of a month word (:data:`MONTH_WORD`); 0 if it is none."""
    word = word.casefold()
    if re.fullmatch(MONTH_WORD, word) is None:
        return 0
    for number, (russian, english) in enumerate(zip(_MONTHS, _MONTHS_EN, strict=True), 1):
        if word.startswith(english) or (word.startswith(russian) and (
                russian != "ма" or word in ("май", "мая", "мае"))):
            return number
    return 0


def date_key(value) -> str:
    """A date (or ``dd.mm.yyyy``, ``yyyy-mm-dd``, a day, month word and year: «1 мая
    1990», «May 1, 1990») in ISO form; "" if it is not one."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = " ".join((value or "").split())
    if match := _DATE.match(text):
        day, month, year = match.groups()
    elif match := _ISO.match(text):
        year, month, day = match.groups()
    elif match := _WORDED.match(text):
        day, month, year = match.group(1), month_number(match.group(2)), match.group(3)
    elif match := _WORDED_EN.match(text):
        month, day, year = month_number(match.group(1)), match.group(2), match.group(3)
    else:
        return ""
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


_PARTS = (("Patr", "patronymic"), ("Name", "first_name"), ("Surn", "surname"))


@lru_cache(maxsize=200_000)
def name_part(lemma: str) -> str:
    """Which part of a name the word ``lemma`` (a :func:`name_lemma`) most likely is, as
    the dictionary reads it: "surname", "first_name" or "patronymic"; "" when it does not
    say (a Latin word, a word it reads as no name). «Петров» is a surname (its reading as
    the plural of «Пётр» is far less likely), «Андрей» a first name, «Петрович» a
    patronymic; an unknown word is read by its ending («Кузницов»: a surname)."""
    word = _fold(lemma).split("-")[0]
    if not _CYRILLIC.search(word):
        return ""
    best: dict[str, float] = {}
    for parse in _morph().parse(word):
        for tag, part in _PARTS:
            if tag in parse.tag:
                best[part] = max(best.get(part, 0.0), parse.score)
    return max(best, key=best.get) if best else ""
