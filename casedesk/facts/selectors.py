"""The facts of a case as the case page shows them: each appeal's text with its facts
marked, built from escaped pieces (never the raw text marked safe)."""

from __future__ import annotations

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from casedesk.cases.models import Case

from .models import Fact, FactType
from .services import offers

# The kinds in the legend's order, with their CSS class and explanation (the title).
KINDS = [
    (FactType.UNIT, "fact-unit", pgettext_lazy("fact kind", "military unit")),
    (FactType.RANK, "fact-rank", pgettext_lazy("fact kind", "rank")),
    (FactType.DATE, "fact-date", pgettext_lazy("fact kind", "date or period")),
    (FactType.PER, "fact-per", pgettext_lazy("fact kind", "person")),
    (FactType.LOC, "fact-loc", pgettext_lazy("fact kind", "place")),
    (FactType.ORG, "fact-org", pgettext_lazy("fact kind", "organisation")),
    (FactType.MONEY, "fact-money", pgettext_lazy("fact kind", "sum of money")),
    (FactType.FITNESS, "fact-fitness", pgettext_lazy("fact kind", "fitness category")),
    (FactType.LAW, "fact-law", pgettext_lazy("fact kind", "law cited")),
]
_CLASS = {kind: (css, title) for kind, css, title in KINDS}


def highlighted(text: str, facts: list[Fact]) -> SafeString:
    """``text`` escaped, with each fact wrapped in ``<mark class="fact fact-…"
    title="…">``, line breaks kept. Facts whose offsets do not fit the text (or overlap
    the previous one) are left out: the text is always shown whole."""
    pieces, at = [], 0
    for fact in sorted(facts, key=lambda f: (f.start, f.end)):
        if fact.start < at or fact.end > len(text) or fact.end <= fact.start:
            continue
        css, title = _CLASS.get(fact.type, ("fact-other", fact.type))
        pieces.append(_lines(text[at:fact.start]))
        title_text = f"{title}: {fact.normal}" if fact.normal else str(title)
        pieces.append(format_html('<mark class="fact {}" title="{}">{}</mark>', css,
                                  title_text, _lines(text[fact.start:fact.end])))
        at = fact.end
    pieces.append(_lines(text[at:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


def _lines(value: str) -> SafeString:
    return linebreaksbr(value, autoescape=True)  # escaped, then <br> for each line break


def case_facts(*, case: Case, appeals: list) -> dict:
    """For the case page: ``texts`` {appeal id: highlighted text}, the ``kinds`` present
    (the legend) and the ``offers`` to fill empty fields of the service member. The
    caller has checked that the actor may read the case."""
    facts = list(Fact.objects.filter(case=case).select_related("case__service_member")
                 .order_by("appeal_id", "start"))
    by_appeal: dict[int, list[Fact]] = {}
    for fact in facts:
        by_appeal.setdefault(fact.appeal_id, []).append(fact)
    texts = {}
    for appeal in appeals:
        mine = by_appeal.get(appeal.pk)
        if mine and appeal.text:
            texts[appeal.pk] = highlighted(appeal.text, mine)
    present = {fact.type for fact in facts}
    return {
        "texts": texts,
        "kinds": [(css, title) for kind, css, title in KINDS if kind in present],
        "offers": offers(case, facts, appeals) if facts else [],
        "count": len(facts),
    }


__all__ = ["case_facts", "highlighted"]
