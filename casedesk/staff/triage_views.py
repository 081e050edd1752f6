"""Category suggestions (issue 19) on the case page: accept one (the section:
triage/_suggestions.html; the suggestions: casedesk.triage)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.core.errors import ApplicationError
from casedesk.triage import services as triage

from .views import _after, _case_for_action


@login_required
@require_POST
def suggestion_accept(request, number: str, rank: int):
    case = _case_for_action(request, number)  # a case of another office: 404
    try:
        triage.suggestion_accept(actor=request.user, case=case, rank=rank)
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The suggested category is accepted."))
    return redirect(reverse("staff:case", args=[case.number]) + "#suggestions")
