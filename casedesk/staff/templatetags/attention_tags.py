from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def attention_count(context) -> int | None:
    """The header's count of unseen attention items: one COUNT on a partial index, once
    per page; None, without a query, for those who read no case files (no link then)."""
    from casedesk.cases.selectors import can_read_cases
    from casedesk.notifications.attention import attention_count as count

    user = context.get("user")
    if user is None or not user.is_authenticated or not can_read_cases(user):
        return None
    return count(user=user)


@register.filter
def attention_label(kind: str) -> str:
    from casedesk.notifications.models import AttentionKind

    try:
        return AttentionKind(kind).label
    except ValueError:
        return kind
