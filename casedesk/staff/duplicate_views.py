"""Duplicates (issue 18): a flagged candidate dismissed as "not the same person" from the
case page (the flags: intake.services.duplicates_flag; the section: staff/_duplicates.html)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.core.errors import ApplicationError
from casedesk.intake.models import DuplicateFlag
from casedesk.intake.services import duplicate_dismiss as dismiss

from .views import _after, _case_for_action


@login_required
@require_POST
def duplicate_dismiss(request, number: str, flag_id: int):
    case = _case_for_action(request, number)  # a case of another office: 404
    flag = DuplicateFlag.objects.filter(pk=flag_id, case=case).first()
    if flag is None:
        raise Http404
    try:
        dismiss(actor=request.user, flag=flag)
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("Marked as not the same person."))
    return redirect(reverse("staff:case", args=[case.number]) + "#duplicates")
