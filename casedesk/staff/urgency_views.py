"""Urgency (issue 19): "Not urgent" on the case page (the flags: casedesk.urgency; the
banner: staff/_urgency.html)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.core.errors import ApplicationError
from casedesk.urgency.services import urgency_clear

from .views import _after, _case_for_action


@login_required
@require_POST
def urgency_clear_view(request, number: str):
    case = _case_for_action(request, number)  # a case of another office: 404
    try:
        urgency_clear(actor=request.user, case=case)
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("Marked as not urgent."))
    return redirect("staff:case", number=case.number)
