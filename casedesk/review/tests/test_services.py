"""The commission: referral, agenda order, votes with reasons, quorum, signing, corrections."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.core.errors import ApplicationError
from casedesk.review.models import Decision, ReferralStatus
from casedesk.review.services import (
    decision_correct,
    decision_sign,
    referral_create,
    session_schedule,
    vote_cast,
)


@pytest.fixture
def commission(make_commission):
    return make_commission(5)


def in_review(register, staff, **kwargs):
    case = register(**kwargs)
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


def refer(case, staff, commission):
    return referral_create(actor=staff[Role.CASEWORKER], case=case, commission=commission,
                           summary="Сын записан в СОЧ, находясь в госпитале.",
                           question="Рекомендовать исправить запись о СОЧ?")


@pytest.fixture
def item(register, staff, commission):
    referral = refer(in_review(register, staff), staff, commission)
    # Today: members vote and the chair signs only from the session's day on
    # (test_sessions.py covers the days before it).
    session = session_schedule(actor=commission.people[0], commission=commission,
                               starts_at=timezone.now())
    return session.items.get(referral=referral)


def test_referral_moves_the_case_and_records_the_question(register, staff, commission):
    case = in_review(register, staff)
    referral = refer(case, staff, commission)
    assert Case.objects.get(pk=case.pk).state == "referred_to_commission"
    assert referral.status == ReferralStatus.PENDING and "СОЧ" in referral.question


def test_agenda_puts_the_oldest_deadline_first(register, staff, commission):
    late = refer(in_review(register, staff, at=timezone.now() - dt.timedelta(days=20)),
                 staff, commission)
    soon = refer(in_review(register, staff, at=timezone.now() - dt.timedelta(days=2)),
                 staff, commission)
    session = session_schedule(actor=commission.people[0], commission=commission,
                               starts_at=timezone.now() + dt.timedelta(days=1))
    assert [i.referral_id for i in session.items.all()] == [late.pk, soon.pk]
    event = late.case.events.filter(kind="commission_scheduled").get()
    assert event.public and event.data["session"] == session.pk


def test_only_the_chair_schedules_and_signs(register, staff, commission, item):
    member = commission.people[1]
    with pytest.raises(ApplicationError) as refused:
        session_schedule(actor=member, commission=commission, starts_at=timezone.now())
    assert refused.value.code == "forbidden"
    for person in commission.people[:3]:
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено выпиской")
    with pytest.raises(ApplicationError) as refused:
        decision_sign(actor=member, item=item, outcome="uphold", reasoning="x")
    assert refused.value.code == "forbidden"


def test_quorum_not_met_is_refused(commission, item):
    chair = commission.people[0]
    vote_cast(actor=chair, item=item, choice="uphold", reason="Выписка из госпиталя")
    vote_cast(actor=commission.people[1], item=item, choice="reject", reason="Нет приказа")
    with pytest.raises(ApplicationError) as refused:
        decision_sign(actor=chair, item=item, outcome="uphold", reasoning="Доводы подтверждены")
    assert refused.value.code == "no_quorum"
    assert "3" in str(refused.value)
    assert not Decision.objects.exists()
    assert item.referral.case.state == "referred_to_commission"


def test_recusal_neither_votes_nor_counts_towards_the_quorum(commission, item):
    chair, *others = commission.people
    vote_cast(actor=others[0], item=item, choice="recuse", reason="Знаком с семьёй")
    vote_cast(actor=others[1], item=item, choice="recuse", reason="Родственник")
    for person in (chair, others[2]):
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено")
    # 5 members, 2 recused: 3 eligible; 2 votes are fewer than the minimum of 3.
    with pytest.raises(ApplicationError):
        decision_sign(actor=chair, item=item, outcome="uphold", reasoning="Подтверждено")
    vote_cast(actor=others[3], item=item, choice="partly_uphold", reason="Частично")
    decision = decision_sign(actor=chair, item=item, outcome="uphold",
                             reasoning="Доводы подтверждены документами")
    assert decision.tally == {"votes": {"uphold": 2, "partly_uphold": 1}, "recused": 2,
                              "members": 5, "needed": 3}


def test_signing_moves_the_case_and_votes_after_signing_are_refused(commission, item):
    chair, *others = commission.people
    for person in (chair, *others[:2]):
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено")
    decision_sign(actor=chair, item=item, outcome="uphold",
                  reasoning="Запись о СОЧ подлежит исправлению")
    case = Case.objects.get(pk=item.referral.case_id)
    assert case.state == "commission_decided"
    assert case.events.filter(kind="commission_decision", public=True).exists()
    with pytest.raises(ApplicationError) as refused:
        vote_cast(actor=others[3], item=item, choice="reject", reason="Поздно")
    assert refused.value.code == "already_signed"
    with pytest.raises(ApplicationError) as refused:
        decision_sign(actor=chair, item=item, outcome="reject", reasoning="Передумали")
    assert refused.value.code == "already_signed"


def test_request_for_information_returns_the_case_to_review(commission, item):
    chair, *others = commission.people
    for person in (chair, *others[:2]):
        vote_cast(actor=person, item=item, choice="request_information",
                  reason="Нужна справка ВВК")
    decision_sign(actor=chair, item=item, outcome="request_information",
                  reasoning="Запросить заключение ВВК")
    assert Case.objects.get(pk=item.referral.case_id).state == "in_review"
    item.referral.refresh_from_db()
    assert item.referral.status == ReferralStatus.RETURNED


def test_a_signed_decision_is_immutable_and_a_correction_is_linked(commission, item):
    chair, *others = commission.people
    for person in (chair, *others[:2]):
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено")
    first = decision_sign(actor=chair, item=item, outcome="uphold", reasoning="Первое")
    first.reasoning = "rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        first.save()
    correction = decision_correct(actor=chair, decision=first, outcome="partly_uphold",
                                  reasoning="Уточнено: частично")
    assert correction.corrects == first
    assert Decision.objects.get(pk=first.pk).reasoning == "Первое"
    with pytest.raises(ApplicationError) as refused:
        decision_correct(actor=chair, decision=first, outcome="reject", reasoning="Ещё")
    assert refused.value.code == "already_corrected"


@pytest.mark.parametrize(("choice", "reason", "code"), [
    ("uphold", "  ", "missing_reason"), ("maybe", "x", "unknown_vote")])
def test_a_vote_needs_a_choice_and_a_reason(commission, item, choice, reason, code):
    with pytest.raises(ApplicationError) as refused:
        vote_cast(actor=commission.people[1], item=item, choice=choice, reason=reason)
    assert refused.value.code == code


def test_outsiders_cannot_vote(commission, item, staff):
    for person in (staff[Role.CASEWORKER], staff[Role.COMMISSION_MEMBER]):
        with pytest.raises(ApplicationError) as refused:
            vote_cast(actor=person, item=item, choice="uphold", reason="x")
        assert refused.value.code == "forbidden"


def test_referral_session_votes_and_decisions_are_audited_without_their_texts(commission,
                                                                              item):
    """Every change a commission makes is in the audit log, with codes and ids only."""
    chair, *others = commission.people
    referral = item.referral
    assert AuditEntry.objects.filter(action="referral.created", object_id=str(referral.pk),
                                     data__case=referral.case_id).count() == 1
    assert AuditEntry.objects.filter(action="session.scheduled",
                                     object_id=str(item.session_id)).count() == 1
    for person in (chair, *others[:2]):
        vote_cast(actor=person, item=item, choice="uphold", reason="Секретный довод")
    votes = AuditEntry.objects.filter(action="vote.cast")
    assert sorted(votes.values_list("actor_id", flat=True)) == sorted(
        p.pk for p in (chair, *others[:2]))
    assert {v.data["kind"] for v in votes} == {"uphold"}
    first = decision_sign(actor=chair, item=item, outcome="uphold", reasoning="Тайное")
    correction = decision_correct(actor=chair, decision=first, outcome="partly_uphold",
                                  reasoning="Уточнено")
    signed = AuditEntry.objects.filter(action="decision.signed").order_by("seq")
    assert [(e.object_id, e.data["outcome"], e.data["previous"]) for e in signed] == [
        (str(first.pk), "uphold", None), (str(correction.pk), "partly_uphold", first.pk)]
    everything = json.dumps(list(AuditEntry.objects.values("data", "object_id")),
                            ensure_ascii=False)
    for text in ("Секретный", "Тайное", "Уточнено", "СОЧ", "госпитал"):
        assert text not in everything
