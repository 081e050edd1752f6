"""Facts in the text of an appeal (issue 19): who, where, which unit, rank, dates, money,
fitness category and the laws cited, as character spans of the text.

Two kinds of finders, offline and on a CPU:

- **Rules** (regular expressions written for the letters offices receive): military
  units («в/ч 12345», «войсковой части 12345», «ВЧ 12345», «части 12345», «64-я отдельная
  мотострелковая бригада»), ranks in any grammatical case, dates in numbers and periods
  («с 12 марта по 5 апреля 2024 года»), sums («3 млн рублей», «195 000 руб.»), fitness
  categories («категория годности «В»») and cited laws («ст. 51 Федерального закона
  № 53-ФЗ»).
- **natasha** (slovnet's NER and the yargy grammars of its dates and money extractors; the
  models ship inside the installed wheels, nothing is downloaded): people (PER), places
  (LOC), organisations (ORG), and the dates and sums the rules missed. Loaded once per
  process, on first use (about a second and ~200 MB; bench/facts.py measures it).

Offsets are into the text as given: HTML tags are blanked to spaces of the same length
before anything looks at it, so a span never starts inside a tag and offsets stay true.
Spans never overlap: a rule's span beats natasha's, and of two of one kind the longer wins.
``normal`` is what a field or a scorer wants: the unit number, the ISO date (``--MM-DD``
when the text gives no year; a period as ``start/end``), the amount in roubles, the
fitness letter, the law as «53-ФЗ ст. 51», a rank in the nominative.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

TYPES = ("PER", "LOC", "ORG", "UNIT", "RANK", "DATE", "MONEY", "FITNESS", "LAW")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str
    text: str
    normal: str

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- text preparation

_TAG = re.compile(r"<[^<>]{0,1000}>|&(?:[a-zA-Z]{2,8}|#\d{2,6});")


def _blank_markup(text: str) -> str:
    """Tags and entities as spaces of their own length (offsets unchanged)."""
    if "<" not in text and "&" not in text:
        return text
    return _TAG.sub(lambda m: " " * len(m.group()), text)


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


# ---------------------------------------------------------------- units

_NUMBER = r"(\d{3,6})(?:\s?-\s?([А-ЯЁA-Z]))?(?![\d/])"
_UNIT_PATTERNS = [
    # в/ч 12345, в\ч 12345, в/ч. № 12345, в.ч. 12345
    r"(?<![\w/\\])в\s?[/\\.]\s?ч\.?\s*(?:№\s*)?" + _NUMBER,
    # ВЧ 12345, вч12345, ВЧ-12345
    r"(?<![\w/\\])вч\.?\s*[-№]?\s*" + _NUMBER,
    # войсковая часть 12345 in any case form («войсковой части», «войсковую часть»)
    r"(?<!\w)войсков(?:ая|ой|ую|ою|ые|ых|ым|ыми)\s+част(?:ь|и|ью|ей|ям|ях|ями)\s*(?:№\s*)?"
    + _NUMBER,
    # «части 12345», «часть № 12345» (a four- to six-digit number: not «части 2»)
    r"(?<!\w)част(?:ь|и|ью|ей)\s+(?:№\s*)?(\d{4,6})(?:\s?-\s?([А-ЯЁA-Z]))?(?![\d/])",
]
_UNIT = re.compile("|".join(f"(?:{p})" for p in _UNIT_PATTERNS), re.IGNORECASE)

_ORDINAL = r"(\d{1,4})(\s?-?\s?(?:я|й|ая|ой|ый|ий|го|ого|ому|ом|ую|ей|м)(?!\w))?"
_FORMATION_WORDS = (
    r"отдельн|гвардейск|мотострелков|танков|десантно-штурмов|воздушно-десантн|"
    r"артиллерийск|штурмов|инженерн\w*-?\w*|ракетн|общевойсков|разведывательн|"
    r"механизированн|зенитн\w*-?\w*|морск|пехотн|горн|стрелков|комендантск|"
    r"специальн|сапёрн|саперн|понтонн|медицинск|ремонтн|связи|материально-техническ"
)
_FORMATION_NOUNS = r"бригад|полк|батальон|дивизи|арми|корпус|дивизион|отряд"
_FORMATION = re.compile(
    r"(?<![\w-])" + _ORDINAL + r"\s+((?:(?:" + _FORMATION_WORDS + r")\w*\s+){0,4}"
    r"(?:" + _FORMATION_NOUNS + r")\w*)(?:\s+(?:специального\s+назначения|морской\s+пехоты|"
    r"материально-технического\s+обеспечения|связи|обеспечения))?",
    re.IGNORECASE)
_FEMININE_NOUNS = ("бригад", "дивизи", "арми")
_FORMATION_LEMMAS = {"полк", "бригада", "батальон", "дивизия", "армия", "корпус", "дивизион",
                     "отряд"}


def _units(text: str) -> list[Span]:
    spans = []
    for match in _UNIT.finditer(text):
        groups = match.groups()
        number, letter = next(
            ((groups[i], groups[i + 1]) for i in range(0, len(groups), 2) if groups[i]),
            ("", None))
        normal = number + (f"-{letter.upper()}" if letter else "")
        spans.append(Span(match.start(), match.end(), "UNIT", match.group(), normal))
    for match in _FORMATION.finditer(text):
        words = match.group(3).split()
        # «5 батальонов» alone is a count: an ordinal ending or a descriptive word.
        if len(words) < 2 and not match.group(2):
            continue
        spans.append(Span(match.start(), match.end(), "UNIT", match.group(),
                          _formation_normal(match.group(1), match.group(0))))
    return spans


def _formation_normal(number: str, phrase: str) -> str:
    """«64-й отдельной мотострелковой бригады» -> «64-я отдельная мотострелковая
    бригада»: the words in the nominative singular, the ordinal ending by the noun."""
    morph = _pymorphy()
    rest = phrase.split(None, 1)[1] if " " in phrase else ""
    words = rest.split()
    noun_index = next((i for i, w in enumerate(words)
                       if re.match(_FORMATION_NOUNS, w, re.I)), len(words) - 1)
    out = []
    gender = "masc"
    for i, word in enumerate(words):
        low = word.lower()
        if i > noun_index:  # «специального назначения» and the like stay as written
            out.append(low)
            continue
        parses = morph.parse(low)
        best = parses[0] if parses else None
        if i == noun_index and best is not None:
            noun = next((p for p in parses if p.normal_form in _FORMATION_LEMMAS),
                        next((p for p in parses if "NOUN" in p.tag), best))
            gender = "femn" if low.startswith(_FEMININE_NOUNS) else (noun.tag.gender or "masc")
            form = noun.inflect({"nomn", "sing"})
            out.append(form.word if form else low)
        else:
            out.append(low)
    # adjectives agree with the noun
    for i in range(min(noun_index, len(out))):
        parses = morph.parse(out[i])
        adj = next((p for p in parses if "ADJF" in p.tag), None)
        if adj is not None:
            form = adj.inflect({"nomn", "sing", gender})
            if form:
                out[i] = form.word
    ending = "я" if gender == "femn" else "й"
    return _clean(f"{number}-{ending} " + " ".join(out))


# ---------------------------------------------------------------- ranks

_ADJ = r"(?:ий|ый|ой|его|ого|ему|ому|им|ым|ем|ом|ие|ые|их|ых|ими|ыми)"
_NOUN = r"(?:а|у|ом|е|ы|ов|ам|ами|ах)?"
_RANKS = [
    ("генерал армии", r"генерал" + _NOUN + r"\s+армии"),
    ("генерал-полковник", r"генерал" + _NOUN + r"-полковник" + _NOUN),
    ("генерал-лейтенант", r"генерал" + _NOUN + r"-лейтенант" + _NOUN),
    ("генерал-майор", r"генерал" + _NOUN + r"-майор" + _NOUN),
    ("капитан-лейтенант", r"капитан" + _NOUN + r"-лейтенант" + _NOUN),
    ("младший сержант", r"младш" + _ADJ + r"\s+сержант" + _NOUN),
    ("старший сержант", r"старш" + _ADJ + r"\s+сержант" + _NOUN),
    ("старший прапорщик", r"старш" + _ADJ + r"\s+прапорщик" + _NOUN),
    ("младший лейтенант", r"младш" + _ADJ + r"\s+лейтенант" + _NOUN),
    ("старший лейтенант", r"старш" + _ADJ + r"\s+лейтенант" + _NOUN),
    ("старший матрос", r"старш" + _ADJ + r"\s+матрос" + _NOUN),
    ("старший мичман", r"старш" + _ADJ + r"\s+мичман" + _NOUN),
    ("рядовой", r"рядов" + _ADJ),
    ("ефрейтор", r"ефрейтор" + _NOUN),
    ("сержант", r"сержант" + _NOUN),
    ("старшина", r"старшин(?:а|ы|е|у|ой|ам|ами|ах)?"),
    ("прапорщик", r"прапорщик" + _NOUN),
    ("лейтенант", r"лейтенант" + _NOUN),
    ("капитан", r"капитан" + _NOUN),
    ("майор", r"майор" + _NOUN),
    ("подполковник", r"подполковник" + _NOUN),
    ("полковник", r"полковник" + _NOUN),
    ("матрос", r"матрос" + _NOUN),
    ("мичман", r"мичман" + _NOUN),
    ("маршал", r"маршал" + _NOUN),
]
_RANK = re.compile(
    "|".join(f"(?P<r{i}>(?<![\\w-]){pattern}(?![\\w-]))" for i, (_l, pattern) in
             enumerate(_RANKS)), re.IGNORECASE)


def _ranks(text: str) -> list[Span]:
    spans = []
    for match in _RANK.finditer(text):
        index = int(match.lastgroup[1:])
        spans.append(Span(match.start(), match.end(), "RANK", match.group(),
                          _RANKS[index][0]))
    return spans


# ---------------------------------------------------------------- fitness

_LETTER = r"[«\"„'“(]?\s*([АБВГДабвгдABДabд])(?:\s?-\s?[1-4])?\s*[»\"“'”)]?"
_FITNESS = re.compile(
    r"(?<!\w)(?:категори[яиюей]\w*\s+(?:годности\s+)?(?:к\s+военной\s+службе\s+)?"
    + _LETTER + r"(?![\w])"
    r"|ограниченно\s+год(?:ен|на|ны|н\w+)(?:\s+к\s+военной\s+службе)?\s*\(\s*[«\"]?([ВвB])[»\"]?\s*\))",
    re.IGNORECASE)
_LATIN_TO_CYRILLIC = str.maketrans("ABab", "АВАВ")


def _fitness(text: str) -> list[Span]:
    spans = []
    for match in _FITNESS.finditer(text):
        letter = (match.group(1) or match.group(2)).translate(_LATIN_TO_CYRILLIC).upper()
        spans.append(Span(match.start(), match.end(), "FITNESS", match.group(), letter))
    return spans


# ---------------------------------------------------------------- dates

_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7,
    "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
_MONTH = r"(январ[ья]|феврал[ья]|марта?|апрел[ья]|ма[йя]|июн[ья]|июл[ья]|августа?|" \
         r"сентябр[ья]|октябр[ья]|ноябр[ья]|декабр[ья])"
_YEAR_TAIL = r"(?:\s*(?:г\.|года|год|г(?!\w)))?"
_NUMERIC_DATE = r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?!\d)"
_WORD_DATE = r"(\d{1,2})\s+" + _MONTH + r"(?:\s+(\d{4}))?"
_PERIOD = re.compile(
    r"(?<!\w)с\s+(?:" + _NUMERIC_DATE + "|" + _WORD_DATE + ")" + _YEAR_TAIL
    + r"\s+(?:по|до)\s+(?:" + _NUMERIC_DATE + "|" + _WORD_DATE + ")" + _YEAR_TAIL,
    re.IGNORECASE)
_DATE = re.compile(r"(?<![\d.])(?:" + _NUMERIC_DATE + "|" + _WORD_DATE + ")" + _YEAR_TAIL,
                   re.IGNORECASE)


def _month(word: str) -> int:
    word = word.lower()
    if word.startswith("ма") and not word.startswith("март"):
        return 5
    return next(n for stem, n in _MONTHS.items() if stem != "ма" and word.startswith(stem))


def _year(value: str | None) -> int | None:
    if not value:
        return None
    year = int(value)
    return year + (2000 if year < 50 else 1900) if year < 100 else year


def _iso(day: int, month: int, year: int | None) -> str | None:
    try:
        dt.date(year or 2000, month, day)  # 2000: a leap year, 29 February is valid
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _date_groups(groups: tuple) -> tuple[int, int, int | None] | None:
    """(day, month, year) of a match of _NUMERIC_DATE | _WORD_DATE (6 groups)."""
    if groups[0]:
        return int(groups[0]), int(groups[1]), _year(groups[2])
    if groups[3]:
        return int(groups[3]), _month(groups[4]), _year(groups[5])
    return None


def _dates(text: str) -> list[Span]:
    spans = []
    for match in _PERIOD.finditer(text):
        first, second = _date_groups(match.groups()[:6]), _date_groups(match.groups()[6:])
        if not first or not second:
            continue
        year = second[2]
        start_year = first[2] or (year if year is None or (first[1], first[0]) <= (
            second[1], second[0]) else year - 1)
        start, end = _iso(first[0], first[1], start_year), _iso(*second)
        if start and end:
            spans.append(Span(match.start(), match.end(), "DATE", match.group(),
                              f"{start}/{end}"))
    for match in _DATE.finditer(text):
        parts = _date_groups(match.groups())
        normal = _iso(*parts) if parts else None
        if normal:
            spans.append(Span(match.start(), match.end(), "DATE", match.group(), normal))
    return spans


# ---------------------------------------------------------------- money

_MONEY = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*"
    r"(млрд\.?|миллиард\w*|млн\.?|миллион\w*|тыс\.?|тысяч\w*)?\s*"
    r"(руб(?:лей|ля|ль|\.)?|₽|р\.)(?!\w)", re.IGNORECASE)
_MULTIPLIERS = {"млрд": 10**9, "миллиард": 10**9, "млн": 10**6, "миллион": 10**6,
                "тыс": 10**3, "тысяч": 10**3}


def _amount(value: Decimal) -> str:
    value = value.quantize(Decimal("0.01"))
    return str(int(value)) if value == value.to_integral_value() else f"{value:f}"


def _money(text: str) -> list[Span]:
    spans = []
    for match in _MONEY.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        try:
            amount = Decimal(digits + (f".{match.group(2)}" if match.group(2) else ""))
        except InvalidOperation:
            continue
        scale = (match.group(3) or "").lower().rstrip(".")
        multiplier = next((m for stem, m in _MULTIPLIERS.items() if scale.startswith(stem)), 1)
        spans.append(Span(match.start(), match.end(), "MONEY", match.group(),
                          _amount(amount * multiplier)))
    return spans


# ---------------------------------------------------------------- laws

_DATED = r"(?:\s+от\s+\d{1,2}[.\s]\S+[.\s]\d{4}(?:\s*г(?:ода|\.)?)?)?"
_ACT = (r"(?:Федеральн\w+\s+закон\w*" + _DATED + r"\s*№\s*(?P<fz1>\d+-ФЗ)"
        r"|(?:закон\w*\s+)?№?\s*(?P<fz2>\d+-ФЗ)"
        r"|(?P<code>УК\s+РФ|ТК\s+РФ|ГК\s+РФ|КоАП\s+РФ|ГПК\s+РФ|УПК\s+РФ|"
        r"Уголовного\s+кодекса(?:\s+РФ|\s+Российской\s+Федерации)?))")
_ARTICLE = (r"(?:ст\.|статья|статьи|статье|статьёй|статьей|статью)\s*(?P<art>\d+(?:\.\d+)?)"
            r"(?:\s*,?\s*(?:ч\.|част\w*)\s*(?P<part>\d+))?"
            r"(?:\s*,?\s*(?:п\.|пункт\w*)\s*(?P<item>\d+(?:\.\d+)?))?")
_LAW = re.compile(
    r"(?<!\w)(?:" + _ARTICLE + r"(?:\s+" + _ACT + r")?"
    r"|Федеральн\w+\s+закон\w*" + _DATED + r"\s*№\s*(?P<fz3>\d+-ФЗ)(?:\s+«[^»]{1,200}»)?"
    r"|(?<![\w-])(?P<fz4>\d+-ФЗ)"
    r"|Постановлени\w+\s+Правительства(?:\s+РФ|\s+Российской\s+Федерации)?" + _DATED
    + r"\s*№\s*(?P<pp>\d+)"
    r"|Указ\w*\s+Президента(?:\s+РФ|\s+Российской\s+Федерации)?" + _DATED
    + r"\s*№\s*(?P<ukaz>\d+)"
    r"|(?P<vvk>Положени\w+\s+о\s+военно-врачебной\s+экспертизе))",
    re.IGNORECASE)
_CODES = {"ук": "УК РФ", "тк": "ТК РФ", "гк": "ГК РФ", "коап": "КоАП РФ", "гпк": "ГПК РФ",
          "упк": "УПК РФ", "уголовного": "УК РФ"}


def _laws(text: str) -> list[Span]:
    spans = []
    for match in _LAW.finditer(text):
        g = match.groupdict()
        act = g["fz1"] or g["fz2"] or g["fz3"] or g["fz4"]
        act = act.upper().replace("ФЗ", "ФЗ") if act else None
        if g["code"]:
            act = _CODES[g["code"].split()[0].lower()]
        if g["art"]:
            article = f"ст. {g['art']}"
            if g["part"]:
                article += f" ч. {g['part']}"
            if g["item"]:
                article += f" п. {g['item']}"
            if not act:  # an article of nothing named: not a citation we can use
                continue
            normal = f"{act} {article}"
        elif act:
            normal = act
        elif g["pp"]:
            normal = f"Постановление Правительства РФ № {g['pp']}"
        elif g["ukaz"]:
            normal = f"Указ Президента РФ № {g['ukaz']}"
        else:
            normal = "Положение о военно-врачебной экспертизе"
        spans.append(Span(match.start(), match.end(), "LAW", match.group(), normal))
    return spans


# ---------------------------------------------------------------- natasha

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _pymorphy():
    """pymorphy3 (its dictionary ships in pymorphy3-dicts-ru) for inflecting the words of
    a named formation; core.names loads its own for names."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=1)
def _morph():
    """natasha's MorphVocab (pymorphy2 and its dictionary, both installed wheels). The
    dictionary's path is given: pymorphy2 would look it up through pkg_resources."""
    import pymorphy2_dicts_ru
    from natasha import MorphVocab
    from natasha.morph.vocab import MorphForm
    from pymorphy2 import MorphAnalyzer

    class _Vocab(MorphVocab):
        def __init__(self):
            MorphAnalyzer.__init__(self, path=pymorphy2_dicts_ru.get_path(),
                                   result_type=MorphForm)

    return _Vocab()


@lru_cache(maxsize=1)
def models():
    """The natasha models, loaded on first use (once per process)."""
    with _lock:
        from natasha import (
            DatesExtractor,
            MoneyExtractor,
            NewsEmbedding,
            NewsNERTagger,
            Segmenter,
        )

        morph = _morph()
        return {"segmenter": Segmenter(), "ner": NewsNERTagger(NewsEmbedding()),
                "dates": DatesExtractor(morph), "money": MoneyExtractor(morph)}


_NER_TYPES = {"PER": "PER", "LOC": "LOC", "ORG": "ORG"}
# Abbreviations of a service member's status that the news-trained model takes for an
# organisation: «записали в СОЧ» (самовольное оставление части), «СЗЧ» (самовольно
# оставивший часть). The record error at the heart of many appeals, not a body to write
# to: never offered as one.
_NOT_ORGANISATIONS = frozenset({"СОЧ", "СЗЧ"})


def _natasha(text: str) -> list[Span]:
    from natasha import Doc

    m = models()
    doc = Doc(text)
    doc.segment(m["segmenter"])
    doc.tag_ner(m["ner"])
    spans: list[Span] = []
    for span in doc.spans:
        kind = _NER_TYPES.get(span.type)
        if kind is None or (kind == "ORG" and span.text.upper() in _NOT_ORGANISATIONS):
            continue
        previous = spans[-1] if spans else None
        # One name split in two spans («Иванов» «Павел Сергеевич»): one person.
        if (kind == "PER" and previous is not None and previous.type == "PER"
                and not text[previous.end:span.start].strip()):
            spans[-1] = Span(previous.start, span.stop, "PER", text[previous.start:span.stop],
                             _clean(text[previous.start:span.stop]))
            continue
        spans.append(Span(span.start, span.stop, kind, span.text, _clean(span.text)))
    for match in m["dates"](text):
        fact = match.fact
        if fact.month and fact.day:
            normal = _iso(fact.day, fact.month, fact.year)
            if normal:
                spans.append(Span(match.start, match.stop, "DATE",
                                  text[match.start:match.stop], normal))
    for match in m["money"](text):
        fact = match.fact
        if fact.currency == "RUB" and fact.amount is not None:
            spans.append(Span(match.start, match.stop, "MONEY", text[match.start:match.stop],
                              _amount(Decimal(str(fact.amount)))))
    return spans


# ---------------------------------------------------------------- together

_RULES = (_units, _ranks, _fitness, _dates, _money, _laws)


def _select(candidates: list[tuple[int, Span]]) -> list[Span]:
    """Non-overlapping spans: the rules' first (tier 0), then the longer."""
    chosen: list[Span] = []
    taken: list[tuple[int, int]] = []
    for _tier, span in sorted(candidates, key=lambda c: (c[0], -(c[1].end - c[1].start),
                                                          c[1].start)):
        if span.end <= span.start:
            continue
        if any(span.start < end and start < span.end for start, end in taken):
            continue
        chosen.append(span)
        taken.append((span.start, span.end))
    return sorted(chosen, key=lambda s: (s.start, s.end))


def _trim(span: Span, text: str) -> Span:
    """No leading or trailing spaces in a span."""
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if (start, end) == (span.start, span.end):
        return span
    return Span(start, end, span.type, text[start:end], span.normal)


def extract(text: str, *, ner: bool = True) -> list[Span]:
    """The facts of ``text`` as non-overlapping spans in text order (offsets into
    ``text`` itself). ``ner=False``: the rules alone (no model is loaded)."""
    if not text or not text.strip():
        return []
    plain = _blank_markup(text)
    candidates = [(0, span) for rule in _RULES for span in rule(plain)]
    if ner:
        candidates += [(1, span) for span in _natasha(plain)]
    spans = [_trim(span, plain) for span in _select(candidates)]
    # The text of a span is the original's (markup inside a span stays as written).
    return [Span(s.start, s.end, s.type, text[s.start:s.end], s.normal) for s in spans]
