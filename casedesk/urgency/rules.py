"""The urgency rules of a rulebook version (urgency.yaml) applied to a text.

The text and each rule's phrases are cut into words and every word is compared by its
dictionary form (the likeliest pymorphy3 lemma, casedesk.core.names) and by its Snowball
stem (casedesk.core.tokens), so word forms meet: «возвращают на передовую» and «вернуть на
передовой». A phrase's words must come in order within one sentence, at most ``GAP``
other words apart (side by side when joined by "~"), with no negation between them. A
phrase with «не»/«нет»/«ни»/«никто» (in English "not", "no", "never", "nobody"…; "n't"
is read as "not") one or two words before it does not count («ничего не угрожает
жизни», "he is not detained"), unless the phrase itself begins with such a word («не
лечат», "not treated"). A Latin word has no dictionary form here: it is compared as
written and by its English Snowball stem ("detained" and "detain" meet), so one text may
mix the two languages. Pure functions: no database, nothing logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from casedesk import rulebook
from casedesk.core import names, tokens

GAP = 2  # other words allowed between two words of a phrase
NEGATIONS = frozenset({"не", "нет", "ни", "никто", "ничто", "никогда", "нисколько",
                       "not", "no", "never", "nobody", "nothing", "cannot", "neither",
                       "nor", "none"})
NEGATION_REACH = 2  # how many words before a phrase a negation cancels it
SHORT = 4  # words this short are compared as written or by lemma, never by stem

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Sentences end at ! ? ; a line break, or a full stop before a capital letter (so that
# «ст. 337» stays one sentence).
_SENTENCE = re.compile(r"[!?;\n]+|\.+\s+(?=[A-ZА-ЯЁ«\"])")
_NOT = re.compile(r"(?i)n[’']t\b")  # "isn't", "doesn't": "is not", "does not"


@dataclass(frozen=True)
class Word:
    text: str
    lemma: str
    stem: str


@lru_cache(maxsize=50_000)
def word(text: str) -> Word:
    text = names.fold(text)
    if text.isdigit() or not re.search(r"[а-я]", text):
        return Word(text, text, tokens._stem(text) if not text.isdigit() else text)
    parses = names._morph().parse(text)
    lemma = names.fold(parses[0].normal_form) if parses else text
    return Word(text, lemma, tokens._stem(text))


@dataclass(frozen=True)
class Term:
    """One word of a phrase: its forms, or a beginning (``слово*``)."""

    forms: frozenset[str]
    stem: str | None
    prefix: str | None = None

    @classmethod
    def parse(cls, raw: str) -> Term:
        if raw.endswith("*"):
            return cls(forms=frozenset(), stem=None, prefix=names.fold(raw[:-1]))
        w = word(raw)
        return cls(forms=frozenset({w.text, w.lemma}),
                   stem=w.stem if len(w.text) > SHORT else None)

    def matches(self, w: Word) -> bool:
        if self.prefix is not None:
            return w.text.startswith(self.prefix) or w.lemma.startswith(self.prefix)
        if w.text in self.forms or w.lemma in self.forms:
            return True
        return self.stem is not None and len(w.text) > SHORT and w.stem == self.stem


@dataclass(frozen=True)
class Phrase:
    terms: tuple[Term, ...]
    gaps: tuple[int, ...]  # the other words allowed before each term (the first: 0)
    negated: bool  # begins with a negation: matched as written, never cancelled

    @classmethod
    def parse(cls, raw: str) -> Phrase:
        """Words apart by spaces may stand up to GAP words apart; joined by "~"
        («отправлять~обратно») they must stand side by side."""
        terms, gaps = [], []
        for group in raw.split():
            for index, part in enumerate(group.split("~")):
                terms.append(Term.parse(part))
                gaps.append(0 if index or not gaps else GAP)
        return cls(terms=tuple(terms), gaps=tuple(gaps),
                   negated=names.fold(raw.split()[0].split("~")[0]) in NEGATIONS)

    def found_in(self, sentence: list[Word]) -> bool:
        first = self.terms[0]
        for start, w in enumerate(sentence):
            if not first.matches(w):
                continue
            if not self.negated and any(
                    x.text in NEGATIONS
                    for x in sentence[max(0, start - NEGATION_REACH):start]):
                continue
            if self._rest(sentence, start + 1, 1):
                return True
        return False

    def _rest(self, sentence: list[Word], at: int, index: int) -> bool:
        if index == len(self.terms):
            return True
        term = self.terms[index]
        for position in range(at, min(len(sentence), at + self.gaps[index] + 1)):
            if term.matches(sentence[position]) \
                    and self._rest(sentence, position + 1, index + 1):
                return True
            if not self.negated and sentence[position].text in NEGATIONS:
                return False  # «его не задержали»
        return False


@dataclass(frozen=True)
class Rule:
    code: str
    phrases: tuple[Phrase, ...]
    requires: tuple[Phrase, ...]

    def found_in(self, sentences: list[list[Word]]) -> bool:
        if not any(p.found_in(s) for p in self.phrases for s in sentences):
            return False
        return not self.requires or any(p.found_in(s) for p in self.requires
                                        for s in sentences)


@lru_cache(maxsize=8)
def compiled(version: str) -> tuple[Rule, ...]:
    """The urgency rules of rulebook ``version``, ready to match (once per version)."""
    book = rulebook.get(version)
    return tuple(
        Rule(code=rule.code, phrases=tuple(Phrase.parse(p) for p in rule.patterns),
             requires=tuple(Phrase.parse(p) for p in rule.requires))
        for rule in book.urgency.values())


def sentences(text: str) -> list[list[Word]]:
    plain = _NOT.sub(" not", tokens.plain_text(text or ""))
    out = []
    for part in _SENTENCE.split(plain):
        found = [word(w) for w in _WORD.findall(part)]
        if found:
            out.append(found)
    return out


def match(text: str, version: str) -> list[str]:
    """The codes of the rules of ``version`` that ``text`` (HTML or plain) meets, in the
    rulebook's order."""
    read = sentences(text)
    if not read:
        return []
    return [rule.code for rule in compiled(version) if rule.found_in(read)]
