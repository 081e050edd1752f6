"""The shape of a rulebook version, checked with pydantic when the files are loaded.

A rulebook version is a folder of YAML files (see docs/rulebook.md). These models describe
what each file must hold; ``loader`` turns validation errors into messages that name the
file, the line and the rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from casedesk.core.states import CaseState

Code = str  # a snake_case identifier
STATES = frozenset(s.value for s in CaseState)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in both languages of the interface."""

    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str | None) -> str:
        return self.en if (language or "").startswith("en") else self.ru


class Manifest(Strict):
    version: str = Field(pattern=r"^\d{4}\.\d+$")
    effective_from: dt.date
    title: Text
    notes: Text | None = None


class Category(Strict):
    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    description: Text
    guide: Text | None = None
    basis: list[str] = []
    # What the law says that matters for every case of the category (limits, terms), for
    # staff and the guide; each act it names is in ``basis``. ``verify``: not yet checked
    # against the primary text (docs/rulebook.md lists what remains).
    notes: Text | None = None
    verify: bool = False
    subcategories: list[Subcategory] = []


class Subcategory(Strict):
    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text


class Period(Strict):
    days: int = Field(default=0, ge=0, le=3660)
    months: int = Field(default=0, ge=0, le=120)
    years: int = Field(default=0, ge=0, le=10)

    @model_validator(mode="after")
    def _not_empty(self) -> Period:
        if not (self.days or self.months or self.years):
            raise ValueError("a period needs days, months or years greater than zero")
        return self


class DeadlineRule(Strict):
    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    period: Period
    counting: Literal["calendar", "working"] = "calendar"
    starts_on: list[Literal["received", "registered", "reopened"]] = Field(min_length=1)
    active_in: list[str] = Field(min_length=1)
    met_by: list[str] = []  # leaving for one of these states fulfils the duty; empty = any
    # Whether a due date on a non-working day moves to the next working day. Off unless a
    # law says so for this duty (docs/rulebook.md, "roll_forward"): the move comes from
    # Civil Code art. 193 and the procedural codes, which do not govern an office's own
    # terms under 59-FZ or 1-FKZ. A rule that rolls forward names that law.
    roll_forward: bool = False
    roll_forward_citation: str | None = Field(default=None, min_length=3)
    pausable: bool = False
    max_extension_days: int = Field(default=0, ge=0, le=365)
    citation: str = Field(min_length=3)
    # What the law says, in a sentence, for letters that cite the rule (the covering
    # letter of a forwarded appeal quotes the rule "forwarding").
    summary: Text | None = None
    verify: bool = False

    @field_validator("active_in", "met_by")
    @classmethod
    def _known_states(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - STATES)
        if unknown:
            raise ValueError(f"unknown case state(s): {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _working_days_only_in_days(self) -> DeadlineRule:
        if self.counting == "working" and (self.period.months or self.period.years):
            raise ValueError("working-day counting takes a period in days only")
        if self.pausable and "awaiting_information" not in self.active_in:
            raise ValueError("a pausable rule must be active in awaiting_information")
        if set(self.met_by) & set(self.active_in):
            raise ValueError("met_by names states outside active_in (where the rule ends)")
        if self.roll_forward and not self.roll_forward_citation:
            raise ValueError(
                "roll_forward: true needs roll_forward_citation, the law that moves this "
                "duty's last day off a non-working day"
            )
        if self.roll_forward_citation and not self.roll_forward:
            raise ValueError("roll_forward_citation is given but roll_forward is false")
        return self


class FilingLimit(Strict):
    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    period: Period
    citation: str = Field(min_length=3)
    verify: bool = False


class Calendar(Strict):
    country: str = Field(pattern=r"^[A-Z]{2}$")
    subdivision: str | None = None
    weekend: list[int] = Field(default=[5, 6])
    extra_non_working_days: list[dt.date] = []
    extra_working_days: list[dt.date] = []
    citation: str = Field(min_length=3)

    @field_validator("weekend")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d not in range(7) for d in value):
            raise ValueError("weekend days are numbers 0 (Monday) to 6 (Sunday)")
        if len(set(value)) > 6:
            raise ValueError("a week needs at least one working day")
        return value


# Who the office is decides which law governs its procedure (docs/rulebook.md,
# "Procedures"): a federal commissioner (1-FKZ), a regional commissioner (48-FZ and the
# region's own law, named per office), a public body (59-FZ), or an NGO, which no law on
# appeals binds: its deadlines are its own policy and are shown as such.
PROCEDURE_KINDS = ("federal_commissioner", "regional_commissioner", "public_body", "ngo")


class ProcedureCitations(Strict):
    """What the letters of a procedure cite for a step; empty: the procedure's law sets
    nothing for it (an NGO's letters then say it follows the organisation's own rules)."""

    forwarding: str = ""
    extension: str = ""
    # Leaving an appeal without an answer: empty for a public body (the ground's own
    # 59-FZ art. 11 citation applies); a commissioner cites its own law instead.
    unanswered: str = ""


class Procedure(Strict):
    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    kind: Literal[PROCEDURE_KINDS]  # type: ignore[valid-type]
    deadlines: list[Code] = Field(min_length=1)
    filing_limit: Code | None = None
    # The basis letters and pages cite. An NGO has no law to cite: its citation names
    # its own rules, and its deadlines are labelled "by the organisation's own rules".
    citation: str = Field(min_length=3)
    # A citation shown instead of a deadline rule's own for this procedure (a rule
    # written for 59-FZ may run under a commissioner's law with another basis).
    deadline_citations: dict[Code, str] = {}
    letters: ProcedureCitations = ProcedureCitations()
    verify: bool = False

    @property
    def own_policy(self) -> bool:
        """The deadlines are the organisation's own rules, not the law's."""
        return self.kind == "ngo"

    @property
    def regional_law(self) -> bool:
        """The office names the regional law that completes the basis (48-FZ)."""
        return self.kind == "regional_commissioner"


class RollForwardBasis(Strict):
    """Why the rules of this version do, or do not, move a last day off a non-working day:
    the rulebook's reasoning, for the lawyer who reviews it (docs/rulebook.md)."""

    reasoning: Text
    citation: str = Field(min_length=3)
    verify: bool = False


class Deadlines(Strict):
    calendar: Calendar
    due_soon_days: int = Field(ge=0, le=60)
    roll_forward_basis: RollForwardBasis | None = None
    rules: list[DeadlineRule] = Field(min_length=1)
    filing_limits: list[FilingLimit] = []
    procedures: list[Procedure] = Field(min_length=1)


class Remedy(Strict):
    """A remedy the decision letter points to: what the applicant can do against the act
    of the body or commander (never against the office's own decision, unless the
    procedure's law allows it: ``kinds``)."""

    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: Text
    citation: str = Field(min_length=3)
    kinds: list[Literal[PROCEDURE_KINDS]] = list(PROCEDURE_KINDS)  # type: ignore[valid-type]
    verify: bool = False


class Review(Strict):
    """How the commission decides: who must have voted before the chair may sign."""

    quorum_min_votes: int = Field(ge=1, le=50)
    quorum_fraction: float = Field(gt=0, le=1)
    citation: str = Field(min_length=3)
    remedies: list[Remedy] = []

    def remedies_for(self, kind: str) -> list[Remedy]:
        return [r for r in self.remedies if kind in r.kinds]


# How a closed case ended, read from the case (see casedesk.people.lifecycle.retention):
# the rulebook may keep the files of each kind for a different time.
CASE_ENDINGS = ("answered", "forwarded", "left_unanswered", "withdrawn")


class RetentionRule(Strict):
    """How many years the file of a closed case is kept, by how the case ended."""

    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    ended_as: list[Literal["answered", "forwarded", "left_unanswered", "withdrawn"]] = Field(
        min_length=1)
    years: int = Field(ge=1, le=75)
    citation: str = Field(min_length=3)
    verify: bool = False


class Retention(Strict):
    """Retention of closed cases (retention.yaml). ``counted_from``: ``next_january`` counts
    the years from 1 January of the year after the case was closed (as archive periods are
    counted), ``closed`` from the day it was closed. Every ending must have one rule."""

    counted_from: Literal["next_january", "closed"]
    closed_cases: list[RetentionRule] = Field(min_length=1)

    def rule_for(self, ending: str) -> RetentionRule:
        for rule in self.closed_cases:
            if ending in rule.ended_as:
                return rule
        raise KeyError(ending)

    def kept_until(self, rule: RetentionRule, closed_on: dt.date) -> dt.date:
        """The first day on which a case closed on ``closed_on`` is past retention."""
        if self.counted_from == "next_january":
            return dt.date(closed_on.year + 1 + rule.years, 1, 1)
        return _add_years(closed_on, rule.years)

    def closed_before(self, rule: RetentionRule, today: dt.date) -> dt.date:
        """Cases closed before this day are past retention on ``today`` (and only those:
        ``kept_until`` never decreases with the closing day)."""
        if self.counted_from == "next_january":
            return dt.date(today.year - rule.years, 1, 1)
        day = _add_years(today, -rule.years)
        while self.kept_until(rule, day) <= today:
            day += dt.timedelta(days=1)
        while self.kept_until(rule, day - dt.timedelta(days=1)) > today:
            day -= dt.timedelta(days=1)
        return day


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


class Ground(Strict):
    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    notify_applicant: bool
    notice_days: int | None = Field(default=None, ge=1, le=60)
    # What the notice to the applicant says (the letter ``unanswered_notice``); required
    # when ``notify_applicant`` is true.
    notice: Text | None = None
    # 59-FZ art. 11 part 1: an anonymous appeal that reports an offence is not left
    # unanswered but forwarded to the competent state body (the move "forward" with this
    # ground); ``summary`` is what the covering letter to the body says the law requires.
    forward: bool = False
    summary: Text | None = None
    # 59-FZ art. 11 part 5: the head of the office decides (only a supervisor may apply it).
    head_decides: bool = False
    citation: str = Field(min_length=3)
    verify: bool = False

    @model_validator(mode="after")
    def _notice_when_owed(self) -> Ground:
        if self.notify_applicant and self.notice is None:
            raise ValueError("a ground that owes the applicant a notice needs its text (notice)")
        if not self.notify_applicant and self.notice_days is not None:
            raise ValueError("notice_days is for grounds that owe the applicant a notice")
        if self.forward and (self.summary is None or self.notify_applicant):
            raise ValueError("a forward ground needs its summary and owes no notice")
        if self.summary is not None and not self.forward:
            raise ValueError("summary is for grounds on which the appeal is forwarded")
        return self


class Grounds(Strict):
    left_unanswered: list[Ground] = Field(min_length=1)


class Act(Strict):
    """A legal act as citations name it, with its English gloss (acts.yaml)."""

    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=3)  # how citations of the act begin, in Russian
    en: str = Field(min_length=3)


class Acts(Strict):
    acts: list[Act] = []
    terms: dict[str, str] = {}  # parts of a citation ("ст.", "ч.") in English


# The placeholders an answer paragraph may use (filled by casedesk.letters.answers).
ANSWER_PLACEHOLDERS = frozenset(
    {"applicant_name", "member_name", "member_name_genitive", "member_name_dative",
     "member_name_accusative", "case_number", "received_on", "office"})


class AnswerParagraph(Strict):
    """A reusable paragraph of an answer on the merits (answers.yaml)."""

    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    categories: list[str] = Field(min_length=1)  # category codes, or "*" for every one
    title: Text
    text: Text
    citation: str | None = Field(default=None, min_length=3)
    verify: bool = False

    def for_category(self, category: str) -> bool:
        return "*" in self.categories or category in self.categories


class Answers(Strict):
    paragraphs: list[AnswerParagraph] = []


Category.model_rebuild()


# --- urgency.yaml: what makes an appeal urgent (casedesk.urgency) ------------------------


class UrgencyRule(Strict):
    """One reason an appeal is urgent: the phrases that show it (any one is enough; each
    a few Russian or English words in any form, matched by lemma and stem, words may stand up to
    two apart; ``word*`` matches words that begin so), and the words one of which must
    also be in the appeal (``requires``: "не лечат" is urgent only for a wounded man)."""

    code: Code = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    reason: Text  # why staff should act at once; shown on the case page
    patterns: list[str] = Field(min_length=1)
    requires: list[str] = []
    citation: str | None = Field(default=None, min_length=3)
    verify: bool = False

    @field_validator("patterns", "requires")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for phrase in value:
            words = phrase.split()
            if not words:
                raise ValueError("an empty phrase")
            if len(words) > 6:
                raise ValueError(f"'{phrase}': at most six words")
            parts = [part for word in words for part in word.split("~")]
            if any(part.strip("*") == "" or "*" in part[:-1] for part in parts):
                raise ValueError(f"'{phrase}': '*' goes only at the end of a word, '~' "
                                 "only between two words")
        return value


class Urgency(Strict):
    rules: list[UrgencyRule] = Field(min_length=1)



# --- guide.yaml: the pathways guide (casedesk.rulebook.guide) ----------------------------

GUIDE_KEY = r"^[a-z][a-z0-9_]*$"


class GuideOption(Strict):
    value: str = Field(pattern=GUIDE_KEY)
    label: Text


def _condition(value: str | None) -> str | None:
    """A condition must parse (the words it names are checked by the loader)."""
    if value is not None:
        from .guide import Condition, ConditionError

        try:
            Condition.parse(value)
        except ConditionError as exc:
            raise ValueError(f"the condition cannot be read: {exc}") from None
    return value


class GuideQuestion(Strict):
    key: str = Field(pattern=GUIDE_KEY)
    kind: Literal["choice", "multi", "yesno", "number", "date"]
    text: Text
    help: Text | None = None
    options: list[GuideOption] = []
    ask_if: str | None = None
    min: int | None = None
    max: int | None = None

    _check_condition = field_validator("ask_if")(classmethod(lambda cls, v: _condition(v)))

    @model_validator(mode="after")
    def _options_for_choices(self) -> GuideQuestion:
        if self.kind in ("choice", "multi") and len(self.options) < 2:
            raise ValueError(f"a {self.kind} question needs at least two options")
        if self.kind not in ("choice", "multi") and self.options:
            raise ValueError(f"a {self.kind} question takes no options")
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError("an option value is used twice")
        if (self.min is not None or self.max is not None) and self.kind != "number":
            raise ValueError("min and max are for number questions")
        return self


class GuideOutcome(Strict):
    key: str = Field(pattern=GUIDE_KEY)
    section: Literal["grounds", "documents", "body", "office", "refusal", "alternatives"]
    title: Text
    text: Text
    when: str | None = None
    # Where the law says so: required, begins with the title of the act named by `act`
    # (a code in acts.yaml).
    citation: str = Field(min_length=3)
    act: Code | None = None
    verify: bool = False
    category: Code | None = None  # the appeal category to suggest

    _check_condition = field_validator("when")(classmethod(lambda cls, v: _condition(v)))


class GuideTestCase(Strict):
    name: str = Field(min_length=3)
    answers: dict[str, str | int | bool | list[str]]
    expect: dict[str, str | list[str]] = Field(min_length=1)

    @field_validator("expect")
    @classmethod
    def _known_expectations(cls, value: dict) -> dict:
        allowed = {"category", "grounds", "documents", "body", "office", "refusal",
                   "alternatives"}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown expectation(s): {', '.join(unknown)}")
        if "category" in value and not isinstance(value["category"], str):
            raise ValueError("category: expected one code")
        return value


class GuideFile(Strict):
    disclaimer: Text
    questions: list[GuideQuestion] = Field(min_length=1)
    outcomes: list[GuideOutcome] = Field(min_length=1)
    tests: list[GuideTestCase] = []
