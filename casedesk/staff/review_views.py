"""Staff pages of the commission: referral form, agenda, votes, signing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk import rulebook
from casedesk.core.errors import ApplicationError
from casedesk.review import selectors, services
from casedesk.review.models import AgendaItem, Decision, DecisionOutcome, VoteChoice

from .views import _case_for_action


@login_required
@require_POST
def refer(request, number: str):
    case = _case_for_action(request, number)
    commission = selectors.commissions_for_case(case).filter(
        pk=request.POST.get("commission") or 0).first()
    try:
        if commission is None:
            raise ApplicationError("bad_commission", _("Choose a commission."))
        services.referral_create(
            actor=request.user, case=case, commission=commission,
            summary=request.POST.get("summary", ""), question=request.POST.get("question", ""),
            document_ids=[int(x) for x in request.POST.getlist("documents") if x.isdigit()])
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The case is referred to the commission."))
    return redirect("staff:case", number=case.number)


@login_required
def commission_home(request):
    commissions = list(selectors.commissions_of(request.user))
    if not commissions:
        return HttpResponseForbidden(_("You are not a member of a commission."))
    rows = [{"commission": c, "chair": selectors.is_chair(request.user, c),
             "waiting": list(selectors.waiting_referrals(c)),
             "sessions": list(c.sessions.all()[:20])} for c in commissions]
    return render(request, "staff/commission.html", {"rows": rows, "nav": "commission",
                                                     "now": timezone.localtime()})


@login_required
@require_POST
def session_create(request, commission_id: int):
    commission = selectors.commissions_of(request.user).filter(pk=commission_id).first()
    if commission is None:
        raise Http404
    starts = parse_datetime(request.POST.get("starts_at") or "")
    try:
        if starts is None:
            raise ApplicationError("bad_date", _("Give the date and time of the session."))
        if timezone.is_naive(starts):
            starts = timezone.make_aware(starts)
        # Only the cases the chair ticked; none ticked is refused by the service.
        ids = [int(x) for x in request.POST.getlist("referrals") if x.isdigit()]
        session = services.session_schedule(actor=request.user, commission=commission,
                                            starts_at=starts, place=request.POST.get("place", ""),
                                            referral_ids=ids)
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("staff:commission")
    return redirect("staff:session", session_id=session.pk)


@login_required
def session_detail(request, session_id: int):
    try:
        session = selectors.session_get(actor=request.user, session_id=session_id)
    except ApplicationError as error:
        raise Http404(str(error)) from None
    items = selectors.agenda(session)
    for item in items:
        item.my_vote = next((v for v in item.votes.all() if v.member_id == request.user.pk),
                            None)
        item.decision_list = list(item.decisions.all())
        _met, item.tally = services.quorum(item, rulebook.get(
            item.referral.case.rulebook_version))
        item.cast = sum(item.tally["votes"].values())
    chair = selectors.is_chair(request.user, session.commission)
    signed = any(item.decision_list for item in items)
    return render(request, "staff/session.html", {
        "session": session, "items": items, "nav": "commission",
        "chair": chair,
        "open": services.session_is_open(session),
        "opens_on": services.session_opens_on(session),
        "moves": selectors.session_moves(session),
        "may_move": chair and not signed,
        "vote_choices": VoteChoice.choices,
        "outcomes": DecisionOutcome.choices,
        "final_outcomes": [c for c in DecisionOutcome.choices
                           if c[0] != DecisionOutcome.REQUEST_INFORMATION],
    })


@login_required
@require_POST
def session_move(request, session_id: int):
    """The chair moves the session to another date or time, with a reason."""
    try:
        session = selectors.session_get(actor=request.user, session_id=session_id)
    except ApplicationError as error:
        raise Http404(str(error)) from None
    starts = parse_datetime(request.POST.get("starts_at") or "")
    try:
        if starts is None:
            raise ApplicationError("bad_date", _("Give the date and time of the session."))
        if timezone.is_naive(starts):
            starts = timezone.make_aware(starts)
        services.session_reschedule(actor=request.user, session=session, starts_at=starts,
                                    reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The session is moved; the applicants see the new date."))
    return redirect("staff:session", session_id=session.pk)


def _item(request, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.select_related("session").filter(
        pk=item_id, session__commission__in=selectors.commissions_of(request.user)).first()
    if item is None:
        raise Http404
    return item


@login_required
@require_POST
def vote(request, item_id: int):
    item = _item(request, item_id)
    try:
        services.vote_cast(actor=request.user, item=item, choice=request.POST.get("choice", ""),
                           reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your vote is recorded."))
    return redirect("staff:session", session_id=item.session_id)


@login_required
@require_POST
def sign(request, item_id: int):
    item = _item(request, item_id)
    try:
        services.decision_sign(actor=request.user, item=item,
                               outcome=request.POST.get("outcome", ""),
                               reasoning=request.POST.get("reasoning", ""))
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The decision is signed; the letter is in the case file."))
    return redirect("staff:session", session_id=item.session_id)


@login_required
@require_POST
def correct(request, decision_id: int):
    decision = Decision.objects.select_related("item").filter(
        pk=decision_id,
        item__session__commission__in=selectors.commissions_of(request.user)).first()
    if decision is None:
        raise Http404
    try:
        services.decision_correct(actor=request.user, decision=decision,
                                  outcome=request.POST.get("outcome", ""),
                                  reasoning=request.POST.get("reasoning", ""))
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The correction is signed."))
    return redirect("staff:session", session_id=decision.item.session_id)
