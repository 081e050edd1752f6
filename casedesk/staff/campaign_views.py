"""Campaigns: near-identical appeals grouped (cases.campaigns), listed and assigned together."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from casedesk.cases import permissions, selectors
from casedesk.cases.campaigns import campaign_cases, campaign_get, campaign_list
from casedesk.core.errors import ApplicationError

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
    return render(request, "staff/campaign.html", {
        "campaign": found, "cases": cases, "nav": "campaigns",
        "staff": list(selectors.assignable_staff(actor=request.user,
                                                 office_ids={found.office_id}))
        if can_assign else [],
    })
