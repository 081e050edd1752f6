"""Extensions of deadlines: a caseworker requests, a supervisor approves or refuses.

Thin views (STYLE.md): parse the form, call one service, go back to the case page. The
panel on the case page and the list on the supervisor's page are the inclusion tags of
``templatetags/extension_tags.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.cases import extensions
from casedesk.cases.models import ExtensionRequest
from casedesk.core.errors import ApplicationError
from casedesk.letters import notices

from . import forms
from .views import _after, _case_for_action, _format_date


def _request_of(request, number: str, request_id: int) -> tuple:
    case = _case_for_action(request, number)
    found = ExtensionRequest.objects.filter(pk=request_id, case=case).first()
    if found is None:
        raise Http404
    return case, found


@login_required
@require_POST
def extension_request(request, number: str):
    case = _case_for_action(request, number)
    form = forms.ExtendForm(request.POST, prefix="request")
    if not form.is_valid():
        return _after(request, case, ApplicationError("invalid", _("Check the form.")))
    try:
        extensions.extension_request(actor=request.user, case=case,
                                     days=form.cleaned_data["days"],
                                     reason=form.cleaned_data["reason"])
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The extension is requested; a supervisor decides."))
    return redirect("staff:case", number=case.number)


@login_required
@require_POST
def extension_approve(request, number: str, request_id: int):
    case, found = _request_of(request, number, request_id)
    try:
        _approved, deadline = notices.extension_approve_notify(actor=request.user,
                                                               request=found)
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The deadline now ends on %(date)s; the applicant's notice "
                                "is in the case file.") % {"date": _format_date(deadline.due_on)})
    return redirect("staff:case", number=case.number)


@login_required
@require_POST
def extension_refuse(request, number: str, request_id: int):
    case, found = _request_of(request, number, request_id)
    form = forms.RefuseExtensionForm(request.POST, prefix=f"refuse-{found.pk}")
    if not form.is_valid():
        return _after(request, case, ApplicationError("missing_reason",
                                                      _("Give the reason for the refusal.")))
    try:
        extensions.extension_refuse(actor=request.user, request=found,
                                    reason=form.cleaned_data["refusal"])
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The extension request is refused."))
    return redirect("staff:case", number=case.number)
