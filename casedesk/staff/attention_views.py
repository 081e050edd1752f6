"""What needs my attention: the page that lists a person's unseen items, their daily
digest switch, and the queue rows' names and markers (``queue_rows``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casedesk.audit.services import audit_record
from casedesk.cases import selectors
from casedesk.core.errors import ApplicationError
from casedesk.notifications import attention


class DigestForm(forms.Form):
    daily_digest = forms.BooleanField(
        label=gettext_lazy("Email me a daily digest of what needs my attention"),
        required=False)


@login_required
def attention_page(request):
    user = request.user
    if not selectors.can_read_cases(user):
        return HttpResponseForbidden(_("Your role has no access to case files."))
    if request.method == "POST":
        form = DigestForm(request.POST)
        if form.is_valid():
            try:
                attention.digest_preference_set(actor=user,
                                                enabled=form.cleaned_data["daily_digest"])
            except ApplicationError as error:
                return HttpResponseForbidden(str(error))
            messages.success(request, _("The daily digest is on.") if user.daily_digest
                             else _("The daily digest is off."))
            return redirect("staff:attention")
    form = DigestForm(initial={"daily_digest": user.daily_digest})
    return render(request, "staff/attention.html", {
        "nav": "attention",
        "items": attention.attention_list(user=user),
        "form": form,
        "has_email": bool(user.email),
    })


def queue_rows(request, cases: list, *, queue: str) -> dict:
    """What the queue's rows show besides the case: the names (decrypted for those who may
    read case files; the read audited once for the page, with the case ids) and the
    markers of unseen attention items."""
    user = request.user
    names = selectors.case_names(actor=user, cases=cases)
    if names:
        audit_record(action="case.names_read", actor=user, object_type="queue",
                     object_id=queue, data={"case": sorted(names)})
    return {"names": names,
            "attention": attention.attention_for_cases(user=user,
                                                       case_ids=[c.pk for c in cases])}
