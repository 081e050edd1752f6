"""Facts from the text (issue 19, casedesk.facts): one click fills an empty field of the
service member from a fact found in an appeal (the section: staff/_facts.html)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.core.errors import ApplicationError
from casedesk.facts.models import Fact
from casedesk.facts.services import fact_apply as apply

from .views import _after, _case_for_action


@login_required
@require_POST
def fact_apply(request, number: str, fact_id: int):
    case = _case_for_action(request, number)  # a case of another office: 404
    fact = Fact.objects.filter(pk=fact_id, case=case).first()
    if fact is None:
        raise Http404
    try:
        apply(actor=request.user, fact=fact)
    except ApplicationError as error:
        return _after(request, case, error)
    messages.success(request, _("The service member's field is filled from the text."))
    return redirect(reverse("staff:case", args=[case.number]) + "#facts")
