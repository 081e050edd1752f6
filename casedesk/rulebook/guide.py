"""The pathways guide: questions, conditions and outcomes read from ``guide.yaml``.

The legal logic is data (rulebook/<version>/guide.yaml, see docs/rulebook.md, "The
pathways guide"); this module only asks the questions in order, evaluates the conditions
and lists the outcomes that hold. Conditions are written in a small expression language
parsed here by a whitelist grammar, never by Python ``eval``/``ast``:

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := atom [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") atom]
    atom    := NUMBER | STRING | true | false | null | NAME | "[" literal, ... "]" | "(" expr ")"

A NAME is an answer key (lower-case letters, digits, underscore, starting with a letter);
there are no attributes, no calls, no indexing, nothing else. An unanswered question reads
as ``null``; an order comparison with ``null`` is false.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

KINDS = ("choice", "multi", "yesno", "number", "date")
SECTIONS = ("grounds", "documents", "body", "office", "refusal", "alternatives")


# --- the expression language -------------------------------------------------------------


class ConditionError(ValueError):
    """A condition that cannot be read; ``column`` is where in the text (0-based)."""

    def __init__(self, message: str, column: int = 0):
        self.column = column
        super().__init__(message)


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?![A-Za-z_]))
  | (?P<string>'[^'\\]*'|"[^"\\]*")
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[a-z][a-z0-9_]*(?![A-Za-z0-9_]))
""", re.VERBOSE)
KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


def _tokens(text: str) -> list[tuple[str, Any, int]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ConditionError(f"cannot read the condition at {text[pos:pos + 12]!r}", pos)
        kind = match.lastgroup
        value = match.group()
        if kind == "number":
            out.append(("lit", int(value), pos))
        elif kind == "string":
            out.append(("lit", value[1:-1], pos))
        elif kind == "op":
            out.append(("op", value, pos))
        elif kind == "name":
            if value in ("true", "false", "null"):
                out.append(("lit", {"true": True, "false": False, "null": None}[value], pos))
            elif value in KEYWORDS:
                out.append(("op", value, pos))
            else:
                out.append(("name", value, pos))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.items = _tokens(text)
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        if self.i >= len(self.items):
            return False
        kind, got, _ = self.items[self.i]
        return value is None or (kind == "op" and got == value)

    def take(self, value: str) -> None:
        if not self.peek(value):
            raise ConditionError(f"expected '{value}'", self._column())
        self.i += 1

    def _column(self) -> int:
        return self.items[self.i][2] if self.i < len(self.items) else len(self.text)

    def parse(self) -> tuple:
        if not self.items:
            raise ConditionError("the condition is empty")
        node = self.or_()
        if self.i < len(self.items):
            raise ConditionError(
                f"unexpected {self.items[self.i][1]!r}", self._column())
        return node

    def or_(self) -> tuple:
        node = self.and_()
        while self.peek("or"):
            self.i += 1
            node = ("or", node, self.and_())
        return node

    def and_(self) -> tuple:
        node = self.not_()
        while self.peek("and"):
            self.i += 1
            node = ("and", node, self.not_())
        return node

    def not_(self) -> tuple:
        if self.peek("not"):
            self.i += 1
            return ("not", self.not_())
        return self.compare()

    def compare(self) -> tuple:
        left = self.atom()
        for op in ("==", "!=", "<=", ">=", "<", ">", "in"):
            if self.peek(op):
                self.i += 1
                return ("cmp", op, left, self.atom())
        if self.peek("not") and self.i + 1 < len(self.items) \
                and self.items[self.i + 1][:2] == ("op", "in"):
            self.i += 2
            return ("cmp", "not in", left, self.atom())
        return left

    def atom(self) -> tuple:
        if self.i >= len(self.items):
            raise ConditionError("the condition ends too early", len(self.text))
        kind, value, column = self.items[self.i]
        if kind == "lit":
            self.i += 1
            return ("lit", value)
        if kind == "name":
            self.i += 1
            if self.peek("(") or self.peek("["):
                raise ConditionError("calls and indexing are not part of the language", column)
            return ("name", value)
        if value == "(":
            self.i += 1
            node = self.or_()
            self.take(")")
            return node
        if value == "[":
            self.i += 1
            values = []
            while not self.peek("]"):
                if self.i >= len(self.items) or self.items[self.i][0] != "lit":
                    raise ConditionError("a list holds literals only", self._column())
                values.append(self.items[self.i][1])
                self.i += 1
                if not self.peek("]"):
                    self.take(",")
            self.i += 1
            return ("lit", tuple(values))
        raise ConditionError(f"unexpected {value!r}", column)


@dataclass(frozen=True)
class Condition:
    """A parsed condition: ``holds(answers)`` and the answer keys it reads (``names``)."""

    text: str
    tree: tuple = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> Condition:
        return cls(text=text, tree=_Parser(text).parse())

    @property
    def names(self) -> frozenset[str]:
        found: set[str] = set()

        def walk(node: tuple) -> None:
            if node[0] == "name":
                found.add(node[1])
            elif node[0] in ("and", "or"):
                walk(node[1]), walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            elif node[0] == "cmp":
                walk(node[2]), walk(node[3])

        walk(self.tree)
        return frozenset(found)

    def comparisons(self) -> list[tuple[str, str, Any]]:
        """(answer key, operator, literal) for every comparison of a key with a literal."""
        out = []

        def walk(node: tuple) -> None:
            if node[0] in ("and", "or"):
                walk(node[1]), walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            elif node[0] == "cmp":
                _, op, left, right = node
                if left[0] == "name" and right[0] == "lit":
                    out.append((left[1], op, right[1]))
                elif right[0] == "name" and left[0] == "lit":
                    out.append((right[1], op, left[1]))

        walk(self.tree)
        return out

    def holds(self, answers: dict) -> bool:
        return bool(_eval(self.tree, answers))


def _eval(node: tuple, answers: dict) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "name":
        value = answers.get(node[1])
        return tuple(value) if isinstance(value, list) else value
    if kind == "and":
        return bool(_eval(node[1], answers)) and bool(_eval(node[2], answers))
    if kind == "or":
        return bool(_eval(node[1], answers)) or bool(_eval(node[2], answers))
    if kind == "not":
        return not _eval(node[1], answers)
    _, op, left_node, right_node = node
    left, right = _eval(left_node, answers), _eval(right_node, answers)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op in ("in", "not in"):
        inside = isinstance(right, tuple) and left in right
        return inside if op == "in" else (right is not None and left is not None
                                          and not inside)
    if left is None or right is None or isinstance(left, bool) or isinstance(right, bool) \
            or type(left) is not type(right) or isinstance(left, tuple):
        return False
    return {"<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


# --- the guide ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: dict[str, str]


# A yes/no question's options: posted as "yes"/"no", stored as true/false.
YES_NO = (Option("yes", {"ru": "Да", "en": "Yes"}), Option("no", {"ru": "Нет", "en": "No"}))


def _pick(texts: dict[str, str], language: str | None) -> str:
    return texts.get("en" if (language or "").startswith("en") else "ru", "")


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    text: dict[str, str]
    help: dict[str, str]
    options: tuple[Option, ...]
    ask_if: Condition | None = None
    minimum: int | None = None
    maximum: int | None = None

    def label(self, value: Any, language: str) -> str:
        """How an answer reads back on the summary and on the case page."""
        if value is None:
            return "—"
        if self.kind == "yesno":
            return _pick(YES_NO[0 if value else 1].label, language)
        if self.kind in ("choice", "multi"):
            labels = {o.value: _pick(o.label, language) for o in self.options}
            values = value if isinstance(value, list) else [value]
            return "; ".join(labels.get(v, v) for v in values) or "—"
        if self.kind == "date":
            try:
                day = dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                return str(value)
            return day.strftime("%d.%m.%Y") if not language.startswith("en") \
                else day.isoformat()
        return str(value)



@dataclass(frozen=True)
class Outcome:
    key: str
    section: str
    title: dict[str, str]
    text: dict[str, str]
    citation: str
    verify: bool
    when: Condition | None = None
    category: str | None = None


@dataclass(frozen=True)
class GuideResult:
    version: str
    sections: dict[str, list[Outcome]]
    category: str | None
    disclaimer: dict[str, str]


@dataclass(frozen=True)
class GuideTest:
    name: str
    answers: dict
    expect: dict[str, Any]
    line: int | None = None


class Guide:
    """One version's guide: ask the questions in order, then list what holds."""

    def __init__(self, *, version: str, questions: list[Question] | dict[str, Question],
                 outcomes: list[Outcome], disclaimer: dict[str, str],
                 tests: list[GuideTest] | None = None):
        self.version = version
        if isinstance(questions, dict):
            questions = list(questions.values())
        self.questions = {q.key: q for q in questions}
        self.outcomes = tuple(outcomes)
        self._disclaimer = disclaimer
        self.tests = tuple(tests or ())

    # The answers that count: a question answered earlier but no longer asked (the
    # person went back and changed an answer it depended on) is left out.
    def effective(self, answers: dict) -> dict:
        kept: dict = {}
        for question in self.questions.values():
            if question.key in answers and (
                    question.ask_if is None or question.ask_if.holds(kept)):
                kept[question.key] = answers[question.key]
        return kept

    def next_question(self, answers: dict) -> Question | None:
        kept = self.effective(answers)
        for question in self.questions.values():
            if question.key in kept:
                continue
            if question.ask_if is None or question.ask_if.holds(kept):
                return question
        return None

    def asked(self, answers: dict) -> list[Question]:
        kept = self.effective(answers)
        return [q for q in self.questions.values() if q.key in kept]

    def parse(self, question: Question, raw: list[str]) -> object:
        values = [v.strip() for v in raw if v is not None and v.strip()]
        if question.kind == "multi":
            known = [o.value for o in question.options]
            if any(v not in known for v in values):
                raise ValueError(_("Choose from the options shown."))
            return [v for v in known if v in values]
        if len(values) != 1:
            raise ValueError(_("Please answer the question."))
        value = values[0]
        if question.kind == "choice":
            if value not in {o.value for o in question.options}:
                raise ValueError(_("Choose from the options shown."))
            return value
        if question.kind == "yesno":
            if value not in ("yes", "no"):
                raise ValueError(_("Choose from the options shown."))
            return value == "yes"
        if question.kind == "number":
            if not re.fullmatch(r"\d{1,4}", value):
                raise ValueError(_("Enter a whole number."))
            number = int(value)
            if (question.minimum is not None and number < question.minimum) or (
                    question.maximum is not None and number > question.maximum):
                raise ValueError(_("This number is out of range."))
            return number
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
            match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value)
            if match:
                try:
                    day = dt.date(int(match[3]), int(match[2]), int(match[1]))
                except ValueError:
                    day = None
        if day is None:
            raise ValueError(_("Enter a date as DD.MM.YYYY."))
        return day.isoformat()

    def result(self, answers: dict) -> GuideResult:
        kept = self.effective(answers)
        sections: dict[str, list[Outcome]] = {s: [] for s in SECTIONS}
        category = None
        for outcome in self.outcomes:
            if outcome.when is None or outcome.when.holds(kept):
                sections[outcome.section].append(outcome)
                if category is None and outcome.category:
                    category = outcome.category
        disclaimer = {lang: text.replace("{version}", self.version)
                      for lang, text in self._disclaimer.items()}
        return GuideResult(version=self.version, sections=sections, category=category,
                           disclaimer=disclaimer)

    def run_test(self, test: GuideTest) -> list[str]:
        """What a rulebook test case expected and did not get ([] when it passes)."""
        result = self.result(test.answers)
        problems = []
        for key, expected in test.expect.items():
            if key == "category":
                if result.category != expected:
                    problems.append(f"category: expected {expected!r}, got {result.category!r}")
                continue
            got = [o.key for o in result.sections.get(key, [])]
            if key == "grounds":
                if sorted(got) != sorted(expected):
                    problems.append(f"grounds: expected {sorted(expected)}, got {sorted(got)}")
            else:  # other sections: the expected outcomes are among those shown
                missing = [k for k in expected if k not in got]
                if missing:
                    problems.append(f"{key}: missing {missing} (shown: {got})")
        return problems


# --- reachability (used by the loader) ---------------------------------------------------


def domain(question: Question, literals: dict[str, set]) -> list[Any]:
    """The values worth trying for ``question`` when checking that a condition can hold:
    every option (every subset of a multi up to 8 options, else the empty set, each single
    option and all), both yes/no, each literal a condition compares the answer with, and
    one on either side of it."""
    if question.kind == "choice":
        return [o.value for o in question.options]
    if question.kind == "yesno":
        return [True, False]
    if question.kind == "multi":
        values = [o.value for o in question.options]
        if len(values) <= 8:
            return [list(c) for r in range(len(values) + 1)
                    for c in itertools.combinations(values, r)]
        return [[]] + [[v] for v in values] + [values]
    seen = literals.get(question.key, set())
    if question.kind == "number":
        numbers = {n + d for n in seen if isinstance(n, int) and not isinstance(n, bool)
                   for d in (-1, 0, 1)} | {0, 1}
        return sorted(numbers)
    days = set()
    for text in seen:
        try:
            day = dt.date.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        days |= {day + dt.timedelta(days=d) for d in (-1, 0, 1)}
    return sorted(d.isoformat() for d in days | {dt.date(2000, 1, 1)})


def satisfiable(condition: Condition, questions: list[Question],
                literals: dict[str, set], budget: int = 200_000) -> bool | None:
    """Can ``condition`` hold for some way a person could answer ``questions`` (those
    before it, in order)? A search over the questions the condition depends on, directly
    or through their own ``ask_if``: each is answered with a value of its domain when its
    ``ask_if`` holds for the answers before it, and left unanswered otherwise (exactly as
    the guide asks). None when the search is too large to finish (``budget`` steps)."""
    by_key = {q.key: q for q in questions}
    needed: set[str] = set()
    todo = list(condition.names)
    while todo:
        key = todo.pop()
        if key in needed or key not in by_key:
            continue
        needed.add(key)
        if by_key[key].ask_if is not None:
            todo.extend(by_key[key].ask_if.names)
    order = [q for q in questions if q.key in needed]
    steps = 0

    def search(index: int, answers: dict) -> bool | None:
        nonlocal steps
        steps += 1
        if steps > budget:
            return None
        if index == len(order):
            return condition.holds(answers)
        question = order[index]
        if question.ask_if is not None and not question.ask_if.holds(answers):
            return search(index + 1, answers)
        for value in domain(question, literals):
            found = search(index + 1, {**answers, question.key: value})
            if found is None or found:
                return found
        return False

    return search(0, {})
