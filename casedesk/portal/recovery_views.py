"""A lost access code: the applicant gives the case number and the email address given in
the appeal; if they match, a new code is emailed there and the old one stops working.

The page says the same whether or not they matched (or the case exists), and tells those
who gave no email how to ask by post. Requests are limited per client and per case number
(every request counts: each match sends an email)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from casedesk.intake import public

from . import forms
from .offices import office_cards
from .views import _limited, _too_many

SESSION_DONE = "portal_recover_done"
CASE_GROUP = "portal-recover-case"


@never_cache
def recover(request):
    form = forms.RecoverForm(request.POST or None)
    if request.method == "POST":
        if _limited(request, "portal-recover", settings.CASEDESK_RATE_RECOVER):
            return _too_many(request)
        if form.is_valid():
            number = public.case_number_normalise(form.cleaned_data["case_number"])
            per_case = lambda group, req: number  # noqa: E731 - django-ratelimit key callable
            if is_ratelimited(request, group=CASE_GROUP, key=per_case,
                              rate=settings.CASEDESK_RATE_RECOVER_CASE, method="POST",
                              increment=True):
                return _too_many(request)
            public.access_code_recover(case_number=number, email=form.cleaned_data["email"])
            request.session[SESSION_DONE] = True
            return redirect("portal:recover")
    done = request.session.pop(SESSION_DONE, False)
    return render(request, "portal/recover.html", {
        "form": form, "done": done, "offices": office_cards(), "nav": "status",
    }, status=400 if form.errors else 200)
