"""The answer panel of the case page (``staff/_answer.html``)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def answer_panel(context):
    """What the panel shows to the signed-in user for the page's case (a form sent back
    with an error keeps what was typed: ``answer_typed``)."""
    from casedesk.staff.answer_views import answer_panel as panel

    return panel(user=context["request"].user, case=context["case"],
                 typed=context.get("answer_typed"))
