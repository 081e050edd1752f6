"""The person page (issue 18): one service member or applicant across the user's offices,
and merging a second record of the same man into it (never automatic: a caseworker finds
the other record by the number of one of its cases and confirms)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casedesk import rulebook
from casedesk.audit.services import audit_record
from casedesk.cases import permissions, selectors
from casedesk.cases.models import Case
from casedesk.cases.people import TIMELINE_LIMIT, person_file, person_get
from casedesk.core import names
from casedesk.core.errors import ApplicationError
from casedesk.people.lifecycle.merge import (
    case_member_link,
    merge_check,
    merge_preview,
    person_merge,
)

from .views import _refuse


def _person_or_refusal(request, pk: int):
    """(person, None) or (None, the response: a refusal or the way to the kept record)."""
    try:
        person = person_get(actor=request.user, person_id=pk)
    except ApplicationError as error:
        return None, _refuse(error)
    if person.merged_into_id is not None:
        return None, redirect("staff:person", pk=person.merged_into_id)
    return person, None


@login_required
def person(request, pk: int):
    found, response = _person_or_refusal(request, pk)
    if response is not None:
        return response
    return render(request, "staff/person.html", _context(request, found))


def _context(request, found, **extra):
    file = person_file(actor=request.user, person=found)
    audit_record(action="person.viewed", actor=request.user, object_type="person",
                 object_id=found.pk, data={"count": len(file.cases)})
    book = rulebook.current()
    language = request.LANGUAGE_CODE
    return {
        "nav": "queues", "file": file, "person": found,
        # The heading names him in the nominative; the name as written stays beside it.
        "heading": "" if found.erased_at else names.nominative(found.full_name),
        "timeline_limit": TIMELINE_LIMIT,
        # Someone who only wrote (a mother, a lawyer): the page lists the cases they
        # wrote in, without the service member's sections (his cases, units, timeline,
        # who wrote about him, merging), which read "about him" of a woman.
        "is_member": bool(file.cases) or Case.objects.filter(service_member_id=found.pk)
        .exists(),
        "can_merge": permissions.can(request.user, "person_merge"),
        "book": book,
        "grounds": {g.code: g.label.get(language) for g in book.grounds.values()},
        "staff_names": selectors.staff_names(file.events),
        **extra,
    }


@login_required
def person_merge_view(request, pk: int):
    """GET ?case=<number>: the confirmation step; POST with ``confirm``: the merge."""
    keep, response = _person_or_refusal(request, pk)
    if response is not None:
        return response
    number = (request.POST.get("case") if request.method == "POST"
              else request.GET.get("case", "")).strip()
    try:
        if not permissions.can(request.user, "person_merge"):
            raise ApplicationError(
                "forbidden", _("Only a caseworker or a supervisor can merge person records."))
        if not number:
            raise ApplicationError("missing_case", _("Give the number of a case."))
        try:
            case = selectors.case_get(actor=request.user, number=number)
        except ApplicationError:
            raise ApplicationError(
                "not_found", _("No case %(number)s among the cases you can see.") % {
                    "number": number}) from None
        other = case.service_member
        if other.pk == keep.pk:
            raise ApplicationError(
                "same_person", _("Case %(number)s is already about this person.") % {
                    "number": number})
        merge_check(actor=request.user, keep=keep, other=other)
        if request.method == "POST":
            if not request.POST.get("confirm"):
                raise ApplicationError(
                    "unconfirmed", _("Tick the box to confirm that both records are the "
                                     "same man."))
            if request.POST.get("only"):
                # Only this case is about him; the other record keeps its other cases.
                case_member_link(actor=request.user, case=case, person=keep)
                messages.success(request, _("Case %(number)s is now about this person.") % {
                    "number": case.number})
                return redirect("staff:person", pk=keep.pk)
            done = person_merge(actor=request.user, keep=keep, other=other)
            messages.success(request, ngettext(
                "The records are merged: %(count)s case moved to this person.",
                "The records are merged: %(count)s cases moved to this person.",
                done.cases) % {"count": done.cases})
            return redirect("staff:person", pk=keep.pk)
    except ApplicationError as error:
        if error.code == "forbidden":
            return _refuse(error)
        return render(request, "staff/person.html",
                      _context(request, keep, merge_error=str(error), merge_number=number),
                      status=400 if request.method == "POST" else 200)
    preview = merge_preview(other=other)
    audit_record(action="person.viewed", actor=request.user, object_type="person",
                 object_id=other.pk, data={"count": preview.cases, "case": case.pk})
    return render(request, "staff/person_merge.html", {
        "nav": "queues", "keep": keep, "other": other, "case": case, "preview": preview,
        "keep_preview": merge_preview(other=keep)})
