"""The answer on the merits on the staff case page, and the list of answers to post.

The case page shows the panel (``staff/_answer.html``, filled by ``answer_panel``) and
posts its one form here: the button pressed (``action``) says what to do. Everything
works without JavaScript: inserting a paragraph saves the draft with the paragraph
appended and shows the page again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.audit.services import audit_record
from casedesk.cases import permissions, selectors
from casedesk.cases.models import Case
from casedesk.cases.workflow import TRANSITIONS, Outcome
from casedesk.core.errors import ApplicationError
from casedesk.letters import answers
from casedesk.letters import selectors as letter_selectors
from casedesk.letters.models import AnswerState

from . import views

ACTIONS = ("save", "insert", "submit", "approve", "return", "sign")


def answer_panel(*, user, case: Case, typed: dict | None = None) -> dict:
    """What the answer panel of the case page shows to ``user``, and which buttons."""
    current = letter_selectors.answer_current(case)
    signed = letter_selectors.answers_signed(case)
    writer = permissions.can(user, "answer_draft")
    approver = permissions.can(user, "answer_approve")
    state = current.state if current else None
    approval = case.office.answer_approval
    editable = (writer and case.state in answers.DRAFTING_STATES
                and state in (None, *answers.EDITABLE))
    answerable = (case.state in TRANSITIONS["answer"].sources
                  or (signed and case.state in answers.SUPPLEMENT_STATES))
    own = current is not None and user.pk in (current.author_id, current.edited_by_id)
    typed = typed or {}
    language = (get_language() or "ru")[:2]
    return {
        "current": current,
        "signed": signed,
        "supplement": bool(signed),
        "text": typed.get("text", current.text if current else ""),
        "outcome": typed.get("outcome", current.outcome if current else ""),
        "attached": set(typed.get("attachments", [d.pk for d in current.attachments.all()]
                                  if current else [])),
        "outcomes": Outcome.choices,
        "paragraphs": answers.paragraphs_for(case, language) if editable else [],
        "documents": [d for d in case.documents.all() if not d.generated],
        "approval": approval,
        "can_edit": editable,
        "can_submit": editable and approval and current is not None,
        "can_approve": approver and state == AnswerState.SUBMITTED and not own,
        "can_return": approver and state in (AnswerState.SUBMITTED, AnswerState.APPROVED),
        # Without approval, "Sign and send" saves what was typed and signs it at once.
        "can_sign": writer and bool(answerable) and (
            state == AnswerState.APPROVED if approval
            else editable or state == AnswerState.APPROVED),
        "own": own,
    }


def _typed(request) -> dict:
    ids = []
    for value in request.POST.getlist("attachments"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return {"text": request.POST.get("text", ""), "outcome": request.POST.get("outcome", ""),
            "attachments": ids}


@login_required
@require_POST
def answer_act(request, number: str):
    case = views._case_for_action(request, number)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseForbidden(_("Unknown action."))
    typed = _typed(request)
    user = request.user
    current = letter_selectors.answer_current(case)
    editable = current is None or current.state in answers.EDITABLE
    done = None
    try:
        if action == "insert":
            language = request.LANGUAGE_CODE
            typed["text"] = answers.paragraph_insert(
                case=case, text=typed["text"], code=request.POST.get("paragraph", ""),
                language=language)
        if action in ("save", "insert", "submit") or (action == "sign" and editable):
            answers.answer_draft_save(actor=user, case=case, text=typed["text"],
                                      outcome=typed["outcome"],
                                      attachment_ids=typed["attachments"])
            done = _("The draft is saved.")
        if action == "submit":
            answers.answer_submit(actor=user, case=case)
            done = _("The answer is submitted for approval.")
        elif action == "approve":
            answers.answer_approve(actor=user, case=case)
            done = _("The answer is approved: it can be signed.")
        elif action == "return":
            answers.answer_return(actor=user, case=case,
                                  comment=request.POST.get("comment", ""))
            done = _("The answer is returned with your comment.")
        elif action == "sign":
            answer = answers.answer_sign(actor=user, case=case)
            done = _("The answer No. %(number)s is signed and sent.") % {
                "number": answer.outgoing_number}
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404(str(error)) from None
        file = selectors.case_file(actor=user, number=case.number)
        context = views._case_context(request, file, action_error=str(error))
        context["answer_typed"] = typed
        return render(request, "staff/case.html", context, status=400)
    if done:
        messages.success(request, done)
    return redirect(reverse("staff:case", args=[case.number]) + "#answer")


# --- posting ------------------------------------------------------------------------------------

@login_required
def to_post(request):
    """Answers to appeals that came by post, not posted yet: a list to print, with the
    addresses (personal data: the read is audited)."""
    user = request.user
    if not permissions.can(user, "answer_post"):
        return HttpResponseForbidden(_("Your role has no access to this list."))
    rows = letter_selectors.answers_to_post(office_ids=permissions.office_ids(user))
    items = []
    for answer in rows:
        link = answer.case.applicant_links.select_related("person").order_by("pk").first()
        items.append({"answer": answer, "case": answer.case,
                      "name": link.person.full_name if link else "",
                      "address": link.person.postal_address if link else ""})
    audit_record(action="answer.post_list.read", actor=user, object_type="answer",
                 object_id="", data={"count": len(items),
                                     "case": [row["case"].pk for row in items][:100]})
    return render(request, "staff/to_post.html", {"nav": "to_post", "items": items})


@login_required
@require_POST
def mark_posted(request, answer_id: int):
    try:
        answer = answers.answer_mark_posted(actor=request.user, answer_id=answer_id)
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404(str(error)) from None
        return HttpResponseForbidden(str(error))
    messages.success(request, _("Marked as posted: No. %(number)s.") % {
        "number": answer.outgoing_number})
    return redirect("staff:to_post")

