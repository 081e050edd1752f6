"""Load rulebook versions from their folders and refuse any that is wrong.

Every error names the file, the line and, where there is one, the rule, so that the
person who edited the file can find the mistake without reading Python.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, ValidationError

from . import guide as guide_engine
from .schema import (
    ANSWER_PLACEHOLDERS,
    CASE_ENDINGS,
    Act,
    Acts,
    AnswerParagraph,
    Answers,
    Calendar,
    Category,
    DeadlineRule,
    Deadlines,
    FilingLimit,
    Ground,
    Grounds,
    GuideFile,
    GuideQuestion,
    Manifest,
    Procedure,
    Retention,
    Review,
    RollForwardBasis,
    Urgency,
    UrgencyRule,
)

FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "manifest": ("rulebook.yaml", Manifest),
    "categories": ("categories.yaml", BaseModel),  # a list; checked item by item below
    "deadlines": ("deadlines.yaml", Deadlines),
    "grounds": ("grounds.yaml", Grounds),
}


_CYRILLIC = re.compile("[А-Яа-яЁё]")


class RulebookError(ImproperlyConfigured):
    """A rulebook file that cannot be used, with where the problem is."""

    def __init__(self, path: Path, message: str, line: int | None = None, rule: str | None = None):
        self.path, self.line, self.rule, self.problem = path, line, rule, message
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if rule:
            where += f", rule '{rule}'"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Rulebook:
    """One validated version of the rulebook."""

    path: Path
    manifest: Manifest
    categories: dict[str, Category]
    rules: dict[str, DeadlineRule]
    filing_limits: dict[str, FilingLimit]
    procedures: dict[str, Procedure]
    grounds: dict[str, Ground]
    calendar: Calendar
    review: Review
    due_soon_days: int
    retention: Retention
    extra: dict[str, Any] = field(default_factory=dict)
    acts: tuple[Act, ...] = ()  # longest title first
    terms: dict[str, str] = field(default_factory=dict)
    # answers.yaml: reusable paragraphs of answers, by code, in the file's order.
    answer_paragraphs: dict[str, AnswerParagraph] = field(default_factory=dict)
    # guide.yaml: the pathways guide of this version (None in a version without one).
    guide: guide_engine.Guide | None = None
    # deadlines.yaml: why the rules do or do not move a last day off a non-working day.
    roll_forward_basis: RollForwardBasis | None = None
    # urgency.yaml: what makes an appeal urgent (casedesk.urgency), in the file's order.
    urgency: dict[str, UrgencyRule] = field(default_factory=dict)

    def paragraphs_for(self, category: str) -> list[AnswerParagraph]:
        """The answer paragraphs offered for ``category`` (those for every category too)."""
        return [p for p in self.answer_paragraphs.values() if p.for_category(category)]

    @property
    def version(self) -> str:
        return self.manifest.version

    def procedure_rules(self, procedure: str) -> list[DeadlineRule]:
        return [self.rules[code] for code in self.procedures[procedure].deadlines]

    def deadline_citation(self, procedure: str, rule: str) -> str:
        """What a deadline of ``rule`` cites in a case of ``procedure``: the procedure's
        own citation for it where it has one, else the rule's."""
        known = self.procedures.get(procedure)
        if known is not None and rule in known.deadline_citations:
            return known.deadline_citations[rule]
        return self.rules[rule].citation

    def category_label(self, code: str, language: str | None) -> str:
        category = self.categories.get(code)
        return category.label.get(language) if category else code

    def classification_label(self, category: str, subcategory: str,
                             language: str | None) -> str:
        """"Category: sub-category" in ``language`` (codes where the rulebook has none)."""
        label = self.category_label(category, language)
        if not subcategory:
            return label
        known = self.categories.get(category)
        sub = next((s for s in known.subcategories if s.code == subcategory), None) \
            if known else None
        return f"{label}: {sub.label.get(language) if sub else subcategory}"
    def citation_gloss(self, citation: str) -> str:
        """The English gloss of a (Russian) citation from acts.yaml: the act's English
        name and the article, part, point in English; "" if no act matches."""
        act = next((a for a in self.acts if citation.startswith(a.title)), None)
        if act is None:
            return ""
        rest = citation[len(act.title):]
        if rest.lstrip().startswith("«") and "»" in rest:  # the act's Russian name
            rest = rest[rest.index("»") + 1:]
        for term in sorted(self.terms, key=len, reverse=True):
            rest = rest.replace(term, self.terms[term])
        if _CYRILLIC.search(rest) or not rest.strip(" ,"):
            return act.en
        return act.en + ", " + rest.strip(" ,")

    def citation(self, citation: str, language: str | None) -> str:
        """A citation as a page in ``language`` shows it: in Russian as written; in
        English the Russian text followed by its gloss, «…» (Federal Law No. …, art. 12)."""
        if not (language or "").startswith("en") or not citation:
            return citation
        gloss = self.citation_gloss(citation)
        if not gloss:
            return citation
        quoted = citation if "«" in citation else f"«{citation}»"
        return f"{quoted} ({gloss})"


# --- reading YAML with line numbers ------------------------------------------------------


def _read(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulebookError(path, "the file is missing") from None
    except UnicodeDecodeError as exc:
        raise RulebookError(path, f"the file is not UTF-8 text ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RulebookError(path, f"not valid YAML: {exc.problem}", line=line) from None
    return data, node


def _locate(node: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[int | None, str | None]:
    """The line of the deepest node on ``loc`` and the code of the rule it lies in."""
    line = node.start_mark.line + 1 if node is not None else None
    rule = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return line, rule
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line, rule
            node = node.value[part]
            line = node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value in ("code", "key") and isinstance(value, yaml.ScalarNode):
                        rule = value.value
        else:
            return line, rule
    return line, rule


def _validate(path: Path, model: type[BaseModel], data: Any, node: yaml.Node | None,
              loc: tuple[Any, ...] = ()) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        line, rule = _locate(node, loc + tuple(first["loc"]))
        field_path = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        message = first["msg"]
        if field_path:
            message = f"{field_path}: {message}"
        raise RulebookError(path, message, line=line, rule=rule) from None


def _unique(path: Path, node: yaml.Node | None, key: tuple[Any, ...], items: list[Any]) -> dict:
    seen: dict[str, Any] = {}
    for index, item in enumerate(items):
        if item.code in seen:
            line, _ = _locate(node, (*key, index))
            raise RulebookError(path, "this code is used twice", line=line, rule=item.code)
        seen[item.code] = item
    return seen


# --- a whole version ---------------------------------------------------------------------


def load_version(folder: Path) -> Rulebook:
    """Read and check one version folder; raise RulebookError on the first problem."""
    manifest_path = folder / "rulebook.yaml"
    data, node = _read(manifest_path)
    manifest = _validate(manifest_path, Manifest, data, node)
    if manifest.version != folder.name:
        raise RulebookError(
            manifest_path,
            f"version '{manifest.version}' does not match its folder '{folder.name}'",
            line=_locate(node, ("version",))[0],
        )

    cat_path = folder / "categories.yaml"
    data, node = _read(cat_path)
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise RulebookError(cat_path, "expected a list under 'categories'", line=1)
    categories = [
        _validate(cat_path, Category, item, node, ("categories", i))
        for i, item in enumerate(data["categories"])
    ]
    categories_by_code = _unique(cat_path, node, ("categories",), categories)
    if "other" not in categories_by_code:
        raise RulebookError(cat_path, "the taxonomy must have the category 'other'", line=1)

    dl_path = folder / "deadlines.yaml"
    data, node = _read(dl_path)
    deadlines = _validate(dl_path, Deadlines, data, node)
    rules = _unique(dl_path, node, ("rules",), deadlines.rules)
    limits = _unique(dl_path, node, ("filing_limits",), deadlines.filing_limits)
    procedures = _unique(dl_path, node, ("procedures",), deadlines.procedures)
    for index, procedure in enumerate(deadlines.procedures):
        for j, code in enumerate(procedure.deadlines):
            if code not in rules:
                line, _ = _locate(node, ("procedures", index, "deadlines", j))
                raise RulebookError(dl_path, f"no deadline rule '{code}'", line, procedure.code)
        for rule_code in procedure.deadline_citations:
            if rule_code not in procedure.deadlines:
                line, _ = _locate(node, ("procedures", index, "deadline_citations", rule_code))
                raise RulebookError(dl_path, f"deadline_citations names '{rule_code}', "
                                    "not a deadline of this procedure", line, procedure.code)
        if procedure.filing_limit and procedure.filing_limit not in limits:
            line, _ = _locate(node, ("procedures", index, "filing_limit"))
            raise RulebookError(
                dl_path, f"no filing limit '{procedure.filing_limit}'", line, procedure.code
            )

    gr_path = folder / "grounds.yaml"
    data, node = _read(gr_path)
    grounds = _validate(gr_path, Grounds, data, node)
    grounds_by_code = _unique(gr_path, node, ("left_unanswered",), grounds.left_unanswered)

    rv_path = folder / "review.yaml"
    data, node = _read(rv_path)
    review = _validate(rv_path, Review, data, node)

    retention = _load_retention(folder / "retention.yaml")
    acts = _load_acts(folder / "acts.yaml")
    answer_paragraphs = _load_answers(folder / "answers.yaml", set(categories_by_code))
    guide = _load_guide(folder / "guide.yaml", manifest.version, acts.acts,
                        set(categories_by_code))
    urgency = _load_urgency(folder / "urgency.yaml")

    return Rulebook(
        answer_paragraphs=answer_paragraphs,
        guide=guide,
        urgency=urgency,
        path=folder,
        review=review,
        retention=retention,
        manifest=manifest,
        categories=categories_by_code,
        rules=rules,
        filing_limits=limits,
        procedures=procedures,
        grounds=grounds_by_code,
        calendar=deadlines.calendar,
        due_soon_days=deadlines.due_soon_days,
        roll_forward_basis=deadlines.roll_forward_basis,
        acts=tuple(sorted(acts.acts, key=lambda a: len(a.title), reverse=True)),
        terms=dict(acts.terms),
    )


def _load_acts(path: Path) -> Acts:
    """acts.yaml (optional: a version without it shows citations without glosses)."""
    if not path.exists():
        return Acts()
    data, node = _read(path)
    acts = _validate(path, Acts, data, node)
    _unique(path, node, ("acts",), acts.acts)
    return acts


# Words that show a paragraph refers to a legal act (then it needs a citation).
LEGAL_REFERENCE = re.compile(r"(?i)(федеральн\w* закон|указ\w* президент|кодекс|постановлени|"
                             r"положени\w* о |\bст\. ?\d)")


def _load_answers(path: Path, categories: set[str]) -> dict[str, AnswerParagraph]:
    """answers.yaml (optional): paragraphs for known categories, each code once, with
    only the known placeholders in their texts."""
    if not path.exists():
        return {}
    data, node = _read(path)
    answers = _validate(path, Answers, data, node)
    by_code = _unique(path, node, ("paragraphs",), answers.paragraphs)
    for index, paragraph in enumerate(answers.paragraphs):
        if paragraph.citation is None and LEGAL_REFERENCE.search(paragraph.text.ru):
            line, _ = _locate(node, ("paragraphs", index))
            raise RulebookError(path, "the text refers to a law: give its citation", line,
                                paragraph.code)
        for j, code in enumerate(paragraph.categories):
            if code != "*" and code not in categories:
                line, _ = _locate(node, ("paragraphs", index, "categories", j))
                raise RulebookError(path, f"no category '{code}'", line, paragraph.code)
        for language in ("ru", "en"):
            text = getattr(paragraph.text, language)
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            except ValueError as exc:
                line, _ = _locate(node, ("paragraphs", index, "text", language))
                raise RulebookError(path, f"bad placeholder: {exc}", line,
                                    paragraph.code) from None
            unknown = sorted(names - ANSWER_PLACEHOLDERS)
            if unknown:
                line, _ = _locate(node, ("paragraphs", index, "text", language))
                token = "{" + unknown[0]
                lines = path.read_text(encoding="utf-8").splitlines()
                line = next((number for number, text in enumerate(lines, 1)
                             if number >= (line or 1) and token in text), line)
                raise RulebookError(path, f"unknown placeholder '{{{unknown[0]}}}'", line,
                                    paragraph.code)
    return by_code


# A reason that names a law (then the rule needs a citation or ``verify: true``).
_URGENCY_LEGAL = re.compile(r"(?i)(\bУК\b|\bст\. ?\d|стать\w* \d|кодекс|федеральн\w* закон)")


def _load_urgency(path: Path) -> dict[str, UrgencyRule]:
    """urgency.yaml (optional: a version without it flags nothing): each code once, a
    reason in both languages (the schema), and a citation or ``verify: true`` where the
    reason names a law."""
    if not path.exists():
        return {}
    data, node = _read(path)
    urgency = _validate(path, Urgency, data, node)
    by_code = _unique(path, node, ("rules",), urgency.rules)
    for index, rule in enumerate(urgency.rules):
        legal = _URGENCY_LEGAL.search(rule.reason.ru) or _URGENCY_LEGAL.search(rule.reason.en)
        if legal and rule.citation is None and not rule.verify:
            line, _ = _locate(node, ("rules", index))
            raise RulebookError(path, "the reason refers to a law: give its citation or "
                                "'verify: true'", line, rule.code)
    return by_code


def _load_guide(path: Path, version: str, acts: list[Act],
                categories: set[str]) -> guide_engine.Guide | None:
    """guide.yaml (optional): the pathways guide. Refused when a condition names an
    unknown answer, a question could never be asked or an outcome never shown (see
    ``guide.satisfiable``), a citation names an act not in acts.yaml, or a test case of
    the file names an unknown answer or outcome."""
    if not path.exists():
        return None
    data, node = _read(path)
    spec = _validate(path, GuideFile, data, node)

    def fail(message: str, loc: tuple, rule: str | None) -> None:
        raise RulebookError(path, message, line=_locate(node, loc)[0], rule=rule)

    questions: list[guide_engine.Question] = []
    kinds: dict[str, GuideQuestion] = {}
    for index, item in enumerate(spec.questions):
        if item.key in kinds:
            fail("this question key is used twice", ("questions", index), item.key)
        kinds[item.key] = item
    literals = _guide_literals(spec)
    for index, item in enumerate(spec.questions):
        condition = guide_engine.Condition.parse(item.ask_if) if item.ask_if else None
        if condition is not None:
            loc = ("questions", index, "ask_if")
            earlier = {q.key for q in questions}
            for name in sorted(condition.names):
                if name not in kinds:
                    fail(f"the condition names '{name}', which is no question", loc, item.key)
                if name not in earlier:
                    fail(f"the condition names '{name}', which is not asked before this "
                         "question", loc, item.key)
            _check_options(condition, kinds, lambda m, loc=loc, k=item.key: fail(m, loc, k))
            found = guide_engine.satisfiable(condition, questions, literals)
            if found is None:
                fail("the condition is too complex to check", loc, item.key)
            if not found:
                fail("this question can never be asked: its ask_if cannot hold for any "
                     "answers to the questions before it", loc, item.key)
        questions.append(guide_engine.Question(
            key=item.key, kind=item.kind, text=_texts(item.text),
            help=_texts(item.help) if item.help else {},
            options=guide_engine.YES_NO if item.kind == "yesno" else tuple(
                guide_engine.Option(o.value, _texts(o.label)) for o in item.options),
            ask_if=condition, minimum=item.min, maximum=item.max))

    acts_by_code = {a.code: a for a in acts}
    outcomes: list[guide_engine.Outcome] = []
    seen: set[str] = set()
    for index, item in enumerate(spec.outcomes):
        if item.key in seen:
            fail("this outcome key is used twice", ("outcomes", index), item.key)
        seen.add(item.key)
        if not acts:  # a version without acts.yaml: citations are shown as written
            pass
        elif item.act is not None:
            act = acts_by_code.get(item.act)
            if act is None:
                fail(f"no act '{item.act}' in acts.yaml", ("outcomes", index, "act"), item.key)
            if not item.citation.startswith(act.title):
                fail(f"the citation must begin with the title of '{item.act}': {act.title}",
                     ("outcomes", index, "citation"), item.key)
        elif not any(item.citation.startswith(a.title) for a in acts):
            fail("the citation names no act of acts.yaml (add the act there, or name it "
                 "with 'act')", ("outcomes", index, "citation"), item.key)
        if item.category is not None and item.category not in categories:
            fail(f"no category '{item.category}'", ("outcomes", index, "category"), item.key)
        condition = guide_engine.Condition.parse(item.when) if item.when else None
        if condition is not None:
            loc = ("outcomes", index, "when")
            for name in sorted(condition.names):
                if name not in kinds:
                    fail(f"the condition names '{name}', which is no question", loc, item.key)
            _check_options(condition, kinds, lambda m, loc=loc, k=item.key: fail(m, loc, k))
            found = guide_engine.satisfiable(condition, questions, literals)
            if found is None:
                fail("the condition is too complex to check", loc, item.key)
            if not found:
                fail("this outcome can never be shown: its condition cannot hold for any "
                     "answers", loc, item.key)
        outcomes.append(guide_engine.Outcome(
            key=item.key, section=item.section, title=_texts(item.title),
            text=_texts(item.text), citation=item.citation, verify=item.verify,
            when=condition, category=item.category))

    by_section = {o.key: o.section for o in outcomes}
    tests = []
    for index, case in enumerate(spec.tests):
        for key, value in case.answers.items():
            loc = ("tests", index, "answers", key)
            if key not in kinds:
                fail(f"no question '{key}'", loc, case.name)
            problem = _answer_problem(kinds[key], value)
            if problem:
                fail(f"{key}: {problem}", loc, case.name)
        for section, expected in case.expect.items():
            if section == "category":
                if expected not in categories:
                    fail(f"no category '{expected}'", ("tests", index, "expect", section),
                         case.name)
                continue
            for key in expected:
                if by_section.get(key) != section:
                    fail(f"no outcome '{key}' in the section {section}",
                         ("tests", index, "expect", section), case.name)
        tests.append(guide_engine.GuideTest(
            name=case.name, answers=dict(case.answers), expect=dict(case.expect),
            line=_locate(node, ("tests", index))[0]))
    return guide_engine.Guide(version=version, questions=questions, outcomes=outcomes,
                              disclaimer=_texts(spec.disclaimer), tests=tests)


def _texts(text: Any) -> dict[str, str]:
    return {"ru": text.ru, "en": text.en}


def _guide_literals(spec: GuideFile) -> dict[str, set]:
    """Per answer key, the literals the file's conditions compare it with."""
    found: dict[str, set] = {}
    for text in [q.ask_if for q in spec.questions] + [o.when for o in spec.outcomes]:
        if text:
            for key, _op, value in guide_engine.Condition.parse(text).comparisons():
                for item in value if isinstance(value, tuple) else (value,):
                    found.setdefault(key, set()).add(item)
    return found


def _check_options(condition: Any, kinds: dict[str, GuideQuestion], fail: Any) -> None:
    """A choice or multi answer is only compared with its own option values."""
    for key, _op, value in condition.comparisons():
        question = kinds.get(key)
        if question is None or question.kind not in ("choice", "multi"):
            continue
        options = {o.value for o in question.options}
        for item in value if isinstance(value, tuple) else (value,):
            if item is not None and item not in options:
                fail(f"'{key}' has no option '{item}'")


def _answer_problem(question: GuideQuestion, value: Any) -> str | None:
    options = {o.value for o in question.options}
    if question.kind == "choice":
        return None if isinstance(value, str) and value in options else "not one of its options"
    if question.kind == "multi":
        ok = isinstance(value, list) and all(v in options for v in value)
        return None if ok else "expected a list of its options"
    if question.kind == "yesno":
        return None if isinstance(value, bool) else "expected true or false"
    if question.kind == "number":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "expected a whole number"
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return "expected a date in quotes, 'YYYY-MM-DD'"
    return None


def _load_retention(path: Path) -> Retention:
    """retention.yaml: one rule for each way a case can end, each code once."""
    data, node = _read(path)
    retention = _validate(path, Retention, data, node)
    _unique(path, node, ("closed_cases",), retention.closed_cases)
    covered: dict[str, str] = {}
    for index, rule in enumerate(retention.closed_cases):
        for j, ending in enumerate(rule.ended_as):
            if ending in covered:
                line, _ = _locate(node, ("closed_cases", index, "ended_as", j))
                raise RulebookError(
                    path, f"cases that ended as '{ending}' already have the rule "
                    f"'{covered[ending]}'", line, rule.code)
            covered[ending] = rule.code
    missing = [ending for ending in CASE_ENDINGS if ending not in covered]
    if missing:
        raise RulebookError(
            path, f"no rule for cases that ended as {', '.join(missing)}",
            line=_locate(node, ("closed_cases",))[0])
    return retention


def load_all(directory: Path) -> dict[str, Rulebook]:
    """Every version under ``directory`` (one sub-folder each), checked."""
    if not directory.is_dir():
        raise RulebookError(directory, "the rulebook folder does not exist")
    books = {}
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "_")):
            continue
        book = load_version(folder)
        books[book.version] = book
    if not books:
        raise RulebookError(directory, "no rulebook version found")
    return books


def pick_current(books: dict[str, Rulebook], today: dt.date) -> Rulebook:
    """The version in force on ``today``: the latest whose effective date has come."""
    in_force = [b for b in books.values() if b.manifest.effective_from <= today]
    if not in_force:
        in_force = list(books.values())
    return max(in_force, key=lambda b: (b.manifest.effective_from, b.version))
