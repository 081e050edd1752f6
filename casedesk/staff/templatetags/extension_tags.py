"""The extension panel of the case page and the pending requests of the supervisor's page."""

from __future__ import annotations

from django import template
from django.utils import timezone

from casedesk import rulebook
from casedesk.cases import permissions
from casedesk.cases.extensions import extension_requests_pending
from casedesk.cases.models import ExtensionRequest, ExtensionStatus

from .. import forms

register = template.Library()


@register.inclusion_tag("staff/_extension.html", takes_context=True)
def extension_panel(context, case):
    """For a caseworker: the request form (while the answer deadline runs and may still be
    extended); for a supervisor: the pending requests with approve and refuse."""
    user = context["request"].user
    today = timezone.localdate()
    book = rulebook.get(case.rulebook_version)
    running = [d for d in case.deadlines.all() if d.closed_on is None
               and d.rule in book.rules and book.rules[d.rule].max_extension_days > 0]
    pending = list(ExtensionRequest.objects.filter(case=case, status=ExtensionStatus.PENDING)
                   .select_related("requested_by"))
    return {
        "case": case,
        "csrf_token": context.get("csrf_token"),
        "pending": [(r, forms.RefuseExtensionForm(prefix=f"refuse-{r.pk}")) for r in pending],
        # A supervisor extends the deadline itself instead of asking.
        "can_request": permissions.can(user, "extension_request")
        and not permissions.can(user, "deadline_extend")
        and any(d.due_on >= today for d in running) and not pending,
        "passed": [d for d in running if d.due_on < today],
        "is_supervisor": permissions.can(user, "extension_decide"),
        "form": forms.ExtendForm(prefix="request"),
    }


@register.inclusion_tag("staff/_extension_list.html", takes_context=True)
def pending_extensions(context):
    return {"requests": list(extension_requests_pending(actor=context["request"].user)[:50])}
