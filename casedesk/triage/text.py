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


def prepare(text: str) -> str:
    """``text`` without HTML, in lower case, ё written е."""
    return plain_text(text or "").lower().replace("ё", "е")


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
