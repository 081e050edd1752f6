"""The appeal text with its facts marked (casedesk.facts.selectors.case_facts)."""

from django import template

register = template.Library()


@register.filter
def fact_text(texts: dict, appeal_id: int):
    """The marked text of an appeal (already escaped and marked safe by the selector),
    or None when it has no facts."""
    return (texts or {}).get(appeal_id)
