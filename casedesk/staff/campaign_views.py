"""Campaigns: near-identical appeals grouped (cases.campaigns), listed and assigned together."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from casedesk import rulebook
from casedesk.audit.services import audit_record
from casedesk.cases import permissions, selectors
from casedesk.cases.campaigns import campaign_cases, campaign_get, campaign_list
from casedesk.cases.models import Appeal
from casedesk.cases.workflow import Outcome
from casedesk.core.errors import ApplicationError
from casedesk.letters.campaign_answers import campaign_answer_draft

from .views import PAGE_SIZE, _reader_required, _refuse


@login_required
def campaigns(request):
    refused = _reader_required(request)
    if refused:
        return refused
    page = Paginator(campaign_list(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "staff/campaigns.html", {"page": page, "nav": "campaigns"})


@login_required
def campaign(request, campaign_id: int):
    refused = _reader_required(request)
    if refused:
        return refused
    try:
        found = campaign_get(actor=request.user, campaign_id=campaign_id)
    except ApplicationError as error:
        return _refuse(error)
    cases = list(campaign_cases(campaign=found))
    can_assign = permissions.can(request.user, "assign")
    # The letter they share, as the earliest of them wrote it: whoever answers them all
    # reads it here (a read of that case, audited as its page is).
    letter = (Appeal.objects.filter(case__in=[c.pk for c in cases])
              .select_related("case").order_by("received_at", "pk").first())
    if letter is not None:
        audit_record(action="case.read", actor=request.user, object_type="case",
                     object_id=letter.case_id, data={"campaign": found.pk})
    return render(request, "staff/campaign.html", {
        "campaign": found, "cases": cases, "nav": "campaigns", "letter": letter,
        "book": rulebook.current(),
        "staff": list(selectors.assignable_staff(actor=request.user,
                                                 office_ids={found.office_id}))
        if can_assign else [],
        "can_answer": permissions.can(request.user, "answer_draft"),
        "outcomes": Outcome.choices,
    })


@login_required
@require_POST
def campaign_answer(request, campaign_id: int):
    """The same draft answer in every case of the campaign (letters.campaign_answers)."""
    refused = _reader_required(request)
    if refused:
        return refused
    try:
        found = campaign_get(actor=request.user, campaign_id=campaign_id)
        done = campaign_answer_draft(actor=request.user, campaign=found,
                                     text=request.POST.get("text", ""),
                                     outcome=request.POST.get("outcome", ""))
    except ApplicationError as error:
        if error.code == "not_found":
            return _refuse(error)
        messages.error(request, str(error))
    else:
        if done.saved:
            messages.success(request, ngettext(
                "The draft answer is saved in %(count)s case.",
                "The draft answer is saved in %(count)s cases.", len(done.saved)) % {
                "count": len(done.saved)})
        for number, why in done.skipped.items():
            messages.warning(request, _("%(number)s: not saved. %(why)s") % {
                "number": number, "why": why})
    return redirect("staff:campaign", campaign_id=campaign_id)
