"""How an appeal's text is read by the classifier: HTML stripped, lower case, ё as е, and
the lemma of every word (pymorphy3, the analyser casedesk.core.names already loads)."""

from __future__ import annotations

import re
from functools import lru_cache

from casedesk.core.names import _morph
from casedesk.core.tokens import plain_text

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_CYRILLIC = re.compile(r"[а-я]")
# Parts of speech that carry no topic: prepositions, conjunctions, particles, pronouns,
# interjections.
_FUNCTIONAL = {"PREP", "CONJ", "PRCL", "NPRO", "INTJ"}
_EN_STOP_WORDS = """
a an the and or but of to in on at by for with from as is are was were be been has have had
he she it they we i you my his her our their this that these those not no so if then than
who which what when where why how all any some"""
_EN_STOP = frozenset(_EN_STOP_WORDS.split())
# Russian words too common to say anything about a category (lemmas).
_RU_STOP_WORDS = """
быть мочь который это весь свой такой также иметь стать год уже еще очень просить"""
_RU_STOP = frozenset(_RU_STOP_WORDS.split())


# Latin and Cyrillic letters that look alike (in lower case): a word written in both
# scripts is one typed with the wrong keyboard or copied from a scan. It is read in the
# script of its other letters (those that look like no letter of the other script); when
# it has none, or some of both, in the script most of its letters are in.
_LATIN_LOOKS = "aceopxykmthb"
_CYRILLIC_LOOKS = "асеорхукмтнв"
_TO_CYRILLIC = str.maketrans(_LATIN_LOOKS, _CYRILLIC_LOOKS)
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKS, _LATIN_LOOKS)
_LATIN = re.compile(r"[a-z]")
_ONLY_LATIN = re.compile(f"[^\\W\\d_{_LATIN_LOOKS}а-я]")
_ONLY_CYRILLIC = re.compile(f"[^\\W\\d_{_CYRILLIC_LOOKS}a-z]")
_MIXED = re.compile(r"[^\W\d_]*(?:[a-z][^\W\d_]*[а-я]|[а-я][^\W\d_]*[a-z])[^\W\d_]*")


def _one_script(match: re.Match) -> str:
    word = match.group()
    latin, cyrillic = bool(_ONLY_LATIN.search(word)), bool(_ONLY_CYRILLIC.search(word))
    if latin == cyrillic:
        count = len(_LATIN.findall(word))
        cyrillic = len(word) - count >= count
    return word.translate(_TO_CYRILLIC if cyrillic else _TO_LATIN)


def prepare(text: str) -> str:
    """``text`` without HTML, in lower case, ё written е, a word mixing Latin and Cyrillic
    look-alike letters in one script."""
    text = plain_text(text or "").lower().replace("ё", "е")
    if _LATIN.search(text) and _CYRILLIC.search(text):
        text = _MIXED.sub(_one_script, text)
    return text


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of a (prepared) word; "" for a word that carries no topic."""
    if len(word) < 2:
        return ""
    if _CYRILLIC.search(word):
        parse = _morph().parse(word)[0]
        found = parse.normal_form.replace("ё", "е")
        return "" if parse.tag.POS in _FUNCTIONAL or found in _RU_STOP else found
    if word in _EN_STOP:
        return ""
    # English: a crude stem (plural and past forms) is enough for the features.
    for suffix in ("ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# What a word of a suggestion's reasons must not be, besides the words ``lemma`` drops:
# numerals («двух»), comparatives («больше») and possessive pronouns («мой»), which the
# word features keep (they help the scores) but which tell a clerk nothing.
_NOT_A_REASON = {"NUMR", "COMP"}


@lru_cache(maxsize=50_000)
def reason_word(word: str) -> bool:
    """Whether a word of the text may be shown as a reason for a suggestion: a word that
    carries a topic («рапорт», «увольнении»), not «об», «мой», «года» or «двух»."""
    if not lemma(word):
        return False
    if not _CYRILLIC.search(word):
        return True
    tag = _morph().parse(word)[0].tag
    return tag.POS not in _NOT_A_REASON and "Apro" not in tag


def lemmas(prepared: str) -> list[tuple[str, str]]:
    """(lemma, word as written) of each topical word of a prepared text, in order."""
    out = []
    for word in _WORD.findall(prepared):
        found = lemma(word)
        if found:
            out.append((found, word))
    return out


def lemma_text(prepared: str) -> str:
    return " ".join(found for found, _word in lemmas(prepared))
