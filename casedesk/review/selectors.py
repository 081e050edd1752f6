"""Reads for commission members: their commissions, waiting referrals, sessions."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from casedesk.cases import permissions
from casedesk.core.errors import ApplicationError

from .models import (
    AgendaItem,
    Commission,
    CommissionMember,
    Decision,
    Referral,
    Session,
    SessionMove,
    Vote,
)


def commissions_of(actor) -> QuerySet[Commission]:
    if not permissions.can(actor, "commission_sit"):
        return Commission.objects.none()
    return Commission.objects.filter(memberships__user=actor, is_active=True)


def is_chair(actor, commission: Commission) -> bool:
    return CommissionMember.objects.filter(commission=commission, user=actor,
                                           is_chair=True).exists()


def commissions_for_case(case) -> QuerySet[Commission]:
    return Commission.objects.filter(office_id=case.office_id, is_active=True)


def waiting_referrals(commission: Commission) -> QuerySet[Referral]:
    return commission.referrals.filter(status="pending").select_related("case")


def session_get(*, actor, session_id: int) -> Session:
    session = Session.objects.select_related("commission__office").filter(pk=session_id,
                                     commission__in=commissions_of(actor)).first()
    if session is None:
        raise ApplicationError("not_found", _not_found())
    return session


def agenda(session: Session) -> list[AgendaItem]:
    return list(session.items.select_related("referral__case").prefetch_related(
        Prefetch("votes", queryset=Vote.objects.select_related("member")),
        Prefetch("decisions", queryset=Decision.objects.select_related("signed_by")),
        "referral__documents"))


def session_moves(session: Session) -> list[SessionMove]:
    """The moves of a session, oldest first, with who moved it."""
    return list(session.moves.select_related("moved_by"))


def _not_found():
    from django.utils.translation import gettext_lazy as _

    return _("No such session.")
