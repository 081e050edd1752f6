"""A tiny pathways guide for the page tests, built to the contract of
``casedesk.rulebook.guide`` (docs: /work/wt/GUIDE_CONTRACT.md, ``Guide``): the pages are
tested against it, not against the legal content, which the engine's own tests check.

Five questions, one of each kind: status (choice), age (number, asked of the mobilized),
kept past the term (yesno, asked of conscripts), family (multi), called up on (date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import translation

SECTIONS = ("grounds", "documents", "body", "office", "refusal", "alternatives")


def _lang() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "ru"


@dataclass(frozen=True)
class Option:
    value: str
    label: dict


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    text: dict
    help: dict = field(default_factory=dict)
    options: tuple = ()
    ask_if: object = None  # the fake's own condition: answers -> bool

    def label(self, value, language: str) -> str:
        if self.kind == "yesno":
            return {"ru": {True: "да", False: "нет"}, "en": {True: "yes", False: "no"}}[
                language][bool(value)]
        labels = {o.value: o.label[language] for o in self.options}
        if self.kind == "multi":
            return ", ".join(labels[v] for v in value) or "—"
        if self.kind == "choice":
            return labels[value]
        return str(value)


@dataclass(frozen=True)
class Outcome:
    key: str
    section: str
    title: dict
    text: dict
    citation: str
    verify: bool = False


@dataclass(frozen=True)
class GuideResult:
    version: str
    sections: dict
    category: str | None
    disclaimer: dict


ERRORS = {
    "choose": {"ru": "Выберите один ответ.", "en": "Choose one answer."},
    "number": {"ru": "Напишите число лет, например 35.", "en": "Write a number of years, e.g. 35."},
    "date": {"ru": "Укажите дату.", "en": "Give a date."},
}

QUESTIONS = (
    Question("status", "choice", {"ru": "Как он служит?", "en": "How does he serve?"},
             {"ru": "Выберите одно.", "en": "Choose one."},
             (Option("mobilized", {"ru": "Мобилизован", "en": "Mobilized"}),
              Option("contract", {"ru": "По контракту", "en": "Under contract"}),
              Option("conscript", {"ru": "По призыву", "en": "Conscript"}))),
    Question("age", "number", {"ru": "Сколько ему полных лет?", "en": "How old is he?"},
             ask_if=lambda a: a.get("status") == "mobilized"),
    Question("kept", "yesno", {"ru": "Срок службы по призыву истёк?",
                               "en": "Has his conscription term ended?"},
             ask_if=lambda a: a.get("status") == "conscript"),
    Question("family", "multi", {"ru": "Семья", "en": "Family"}, {},
             (Option("children3", {"ru": "Трое детей и больше", "en": "Three or more children"}),
              Option("carer", {"ru": "Ухаживает за родственником",
                               "en": "Cares for a relative"}))),
    Question("called", "date", {"ru": "Когда призван?", "en": "When was he called up?"}),
)

OUTCOMES = (
    Outcome("age_limit", "grounds", {"ru": "Предельный возраст", "en": "Age limit"},
            {"ru": "Увольнение по возрасту.", "en": "Discharge on age."},
            "Федеральный закон от 28.03.1998 № 53-ФЗ, ст. 51, п. 1", verify=True),
    Outcome("term_over", "grounds", {"ru": "Истёк срок службы", "en": "Term of service over"},
            {"ru": "Увольнение по истечении срока.", "en": "Discharge at the end of the term."},
            "Федеральный закон от 28.03.1998 № 53-ФЗ, ст. 51, п. 2"),
    Outcome("passport", "documents", {"ru": "Военный билет", "en": "Military ID"},
            {"ru": "Копия.", "en": "A copy."}, "Федеральный закон от 28.03.1998 № 53-ФЗ"),
    Outcome("commander", "body", {"ru": "Командир части", "en": "The unit's commander"},
            {"ru": "", "en": ""}, "Федеральный закон от 28.03.1998 № 53-ФЗ, ст. 51"),
    Outcome("letter", "office", {"ru": "Запрос командиру", "en": "A letter to the commander"},
            {"ru": "", "en": ""}, "Федеральный конституционный закон от 26.02.1997 № 1-ФКЗ"),
    Outcome("awol", "refusal", {"ru": "Самовольное оставление части",
                                "en": "Leaving the unit without leave"},
            {"ru": "Уголовная ответственность.", "en": "A criminal offence."},
            "Уголовный кодекс Российской Федерации, ст. 337"),
    Outcome("report", "alternatives", {"ru": "Рапорт командиру", "en": "A report to the commander"},
            {"ru": "", "en": ""}, "Федеральный закон от 28.03.1998 № 53-ФЗ"),
)


class FakeGuide:
    def __init__(self, version: str):
        self.version = version
        self.questions = {q.key: q for q in QUESTIONS}

    def _applies(self, question, answers) -> bool:
        return question.ask_if is None or question.ask_if(answers)

    def next_question(self, answers):
        return next((q for q in self.questions.values()
                     if self._applies(q, answers) and q.key not in answers), None)

    def asked(self, answers):
        return [q for q in self.questions.values()
                if q.key in answers and self._applies(q, answers)]

    def parse(self, question, raw):
        raw = [r.strip() for r in raw if r.strip()]
        if question.kind == "multi":
            allowed = {o.value for o in question.options}
            if any(r not in allowed for r in raw):
                raise ValueError(ERRORS["choose"][_lang()])
            return raw
        if len(raw) != 1:
            raise ValueError(ERRORS["number" if question.kind == "number" else "date"
                                    if question.kind == "date" else "choose"][_lang()])
        value = raw[0]
        if question.kind == "yesno":
            if value not in ("yes", "no"):
                raise ValueError(ERRORS["choose"][_lang()])
            return value == "yes"
        if question.kind == "choice":
            if value not in {o.value for o in question.options}:
                raise ValueError(ERRORS["choose"][_lang()])
            return value
        if question.kind == "number":
            if not value.isdigit() or not 14 <= int(value) <= 100:
                raise ValueError(ERRORS["number"][_lang()])
            return int(value)
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(ERRORS["date"][_lang()]) from None

    def result(self, answers):
        keys = {"passport", "commander", "letter", "awol", "report"}
        if answers.get("status") == "mobilized" and answers.get("age", 0) >= 50:
            keys.add("age_limit")
        if answers.get("kept"):
            keys.add("term_over")
        sections = {s: [o for o in OUTCOMES if o.section == s and o.key in keys]
                    for s in SECTIONS}
        category = "demobilization_term" if {"age_limit", "term_over"} & keys else None
        return GuideResult(self.version, sections, category,
                           {"ru": "Это справка, а не юридическая консультация.",
                            "en": "This is information, not legal advice."})


def install(monkeypatch) -> FakeGuide:
    """Give every installed rulebook version the fake guide (each its own version)."""
    from casedesk import rulebook

    fakes = {}
    for version, book in rulebook.versions().items():
        fakes[version] = FakeGuide(version)
        # A frozen dataclass: its attribute dict takes the guide whether or not the
        # engine has made ``guide`` a field of it yet.
        monkeypatch.setitem(book.__dict__, "guide", fakes[version])
    return fakes[rulebook.current().version]
