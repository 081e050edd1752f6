"""The public pathways guide: one question a screen, then the lawful ways out that may apply.

The questions, their conditions and the outcomes with citations are the rulebook's
(``rulebook.get(version).guide``, the engine of ``casedesk.rulebook.guide``); these views
only ask and show. Plain forms posted to the server: no JavaScript needed. The answers
live in the session (``portal_guide``), never in a URL: they tell a lot about a person.
The version of the rulebook whose guide started is kept with them, so a new version
coming into force midway does not mix two guides' questions.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from casedesk import rulebook
from casedesk.rulebook import RulebookError

SESSION_GUIDE = "portal_guide"

# The result's sections, in the order the page shows them, with their headings.
SECTIONS = (
    ("grounds", _("Grounds that may apply")),
    ("documents", _("Documents to gather")),
    ("body", _("Who decides")),
    ("office", _("What this office can do")),
    ("refusal", _("What the law says about refusing or leaving")),
    ("alternatives", _("Lawful alternatives")),
)


def _language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "ru"


def _text(value: dict | None, language: str) -> str:
    value = value or {}
    return value.get(language) or value.get("ru") or ""


def guide_of(version: str | None = None):
    """The guide of ``version`` (of the rulebook in force when None); None when that
    version is not installed or has no guide."""
    try:
        book = rulebook.get(version) if version else rulebook.current()
    except RulebookError:
        return None
    return getattr(book, "guide", None)


def _state(request) -> tuple[dict, object]:
    """The session's guide state and its guide; a state of a version no longer installed
    starts afresh with the guide in force."""
    state = request.session.get(SESSION_GUIDE) or {}
    guide = guide_of(state.get("version")) if state.get("version") else None
    if guide is None:
        guide = guide_of()
        if guide is None:
            raise Http404("no guide")
        state = {"version": guide.version, "answers": {}}
    return state, guide


def _save(request, state: dict) -> None:
    request.session[SESSION_GUIDE] = state


def answer_rows(guide, answers: dict, language: str) -> list[dict]:
    """The questions answered, in order, with the answers as they read back."""
    return [{"key": q.key, "question": _text(q.text, language),
             "answer": q.label(answers[q.key], language)}
            for q in guide.asked(answers) if q.key in answers]


def result_sections(book, result, language: str) -> list[dict]:
    """The result's sections in the page's order, each outcome with its citation as the
    page's language shows it."""
    return [{"key": key, "heading": heading, "outcomes": [
        {"title": _text(o.title, language), "text": _text(o.text, language),
         "citation": book.citation(o.citation, language) if book else o.citation,
         "verify": o.verify} for o in result.sections.get(key) or []]}
        for key, heading in SECTIONS]


def _choices(question, language: str) -> list[tuple[str, str]]:
    if question.options:
        return [(o.value, _text(o.label, language)) for o in question.options]
    if question.kind == "yesno":
        return [("yes", str(_("Yes"))), ("no", str(_("No")))]
    return []


def _given(question, value) -> list[str]:
    """An answer as the form's values, to show it chosen when the question is shown again."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


@never_cache
def start(request):
    """What the guide is (information, not legal advice) and which rulebook it uses."""
    state, guide = _state(request)
    return render(request, "portal/guide_start.html", {
        "nav": "guide", "version": guide.version, "started": bool(state.get("answers"))})


@require_POST
def restart(request):
    """Begin, or start again: the answers given so far are forgotten."""
    guide = guide_of()
    if guide is None:
        raise Http404("no guide")
    _save(request, {"version": guide.version, "answers": {}})
    return redirect("portal:guide_next")


@never_cache
def next_question(request):
    state, guide = _state(request)
    question = guide.next_question(state.get("answers") or {})
    if question is None:
        return redirect("portal:guide_result")
    return redirect("portal:guide_question", key=question.key)


@never_cache
def question(request, key: str):
    """One question. It can be the next one or one answered before (the back link):
    answering it again keeps the later answers that still apply."""
    state, guide = _state(request)
    answers = dict(state.get("answers") or {})
    asked = [q.key for q in guide.asked(answers)]
    upcoming = guide.next_question(answers)
    if key not in asked and (upcoming is None or upcoming.key != key):
        return redirect("portal:guide_next")
    current = guide.questions[key]
    language = _language()
    error = ""
    values = _given(current, answers.get(key))
    if request.method == "POST":
        values = request.POST.getlist(key)
        try:
            value = guide.parse(current, values)
        except ValueError as exc:
            error = str(exc)
        else:
            answers[key] = value
            # Questions that no longer apply after a changed answer are dropped.
            still = {q.key for q in guide.asked(answers)}
            state["answers"] = {k: v for k, v in answers.items() if k in still or k == key}
            _save(request, state)
            return redirect("portal:guide_next")
    before = asked[:asked.index(key)] if key in asked else asked
    return render(request, "portal/guide_question.html", {
        "nav": "guide", "question": current, "text": _text(current.text, language),
        "help": _text(current.help, language), "choices": _choices(current, language),
        "values": values, "error": error, "back": before[-1] if before else "",
        "number": len(before) + 1, "version": guide.version,
    }, status=400 if error else 200)


@never_cache
def result(request):
    state, guide = _state(request)
    answers = state.get("answers") or {}
    upcoming = guide.next_question(answers)
    if upcoming is not None:
        return redirect("portal:guide_question", key=upcoming.key)
    language = _language()
    outcome = guide.result(answers)
    book = rulebook.get(outcome.version) if outcome.version in rulebook.versions() else None
    return render(request, "portal/guide_result.html", {
        "nav": "guide", "rows": answer_rows(guide, answers, language),
        "sections": result_sections(book, outcome, language),
        "disclaimer": _text(outcome.disclaimer, language), "version": outcome.version,
        "category": outcome.category or "",
    })


@require_POST
def file(request):
    """"File an appeal with these answers": the appeal form opens with the category
    pre-filled and the answers attached (``views.appeal`` reads them from the session)."""
    state, guide = _state(request)
    answers = state.get("answers") or {}
    if not answers or guide.next_question(answers) is not None:
        return redirect("portal:guide_next")
    state["attach"] = True
    state["category"] = guide.result(answers).category or ""
    _save(request, state)
    return redirect("portal:appeal")


@require_POST
def detach(request):
    """Send the appeal without the guide's answers."""
    state = request.session.get(SESSION_GUIDE)
    if state:
        state["attach"] = False
        _save(request, state)
    return redirect("portal:appeal")


def attached(request) -> dict | None:
    """The guide's answers the appeal form will attach: {"answers", "version",
    "category"}; None when the person did not ask for it (or the answers are not
    complete)."""
    state = request.session.get(SESSION_GUIDE) or {}
    if not state.get("attach") or not state.get("answers"):
        return None
    return {"answers": state["answers"], "version": state.get("version", ""),
            "category": state.get("category", "")}
