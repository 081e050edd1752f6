"""The decision letter is rendered before the transaction: no lock, least of all the audit
chain's, is held while WeasyPrint runs; the commission's actions are outermost actions."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.letters import services as letter_services
from casedesk.letters.tests.helpers import audit_chain_free_while_rendering
from casedesk.review.models import Decision
from casedesk.review.services import (
    decision_correct,
    decision_sign,
    referral_create,
    session_schedule,
    vote_cast,
)


def _in_review(register, staff):
    return case_transition(actor=staff[Role.CASEWORKER], case=register(),
                           transition="start_review")


def _refer(case, staff, commission):
    return referral_create(actor=staff[Role.CASEWORKER], case=case, commission=commission,
                           summary="Сын записан в СОЧ, находясь в госпитале.",
                           question="Рекомендовать исправить запись о СОЧ?")


@pytest.fixture
def item(register, staff, commission):
    referral = _refer(_in_review(register, staff), staff, commission)
    session = session_schedule(actor=commission.people[0], commission=commission,
                               starts_at=timezone.now())
    item = session.items.get(referral=referral)
    for person in commission.people:
        vote_cast(actor=person, item=item, choice="uphold", reason="Подтверждено")
    return item


def _sign(commission, item):
    return decision_sign(actor=commission.people[0], item=item, outcome="uphold",
                         reasoning="Запись о СОЧ подлежит исправлению")


def _watch_renders():
    """Patch the renderer to note, at each call, how many atomic blocks are open."""
    depths: list[int] = []
    real = letter_services._render

    def render(source, context):
        depths.append(len(connection.atomic_blocks))
        return real(source, context)

    return depths, mock.patch.object(letter_services, "_render", render)


def test_the_decision_letter_is_rendered_once_before_the_transaction(commission, item):
    outside = len(connection.atomic_blocks)  # the test's own blocks
    depths, patch = _watch_renders()
    with patch:
        _sign(commission, item)
    assert depths == [outside]  # once, and in no transaction of the action's
    letters = Case.objects.get(pk=item.referral.case_id).documents.filter(doc_type="letter")
    assert letters.count() == 2


def test_a_correction_letter_is_rendered_once_before_the_transaction(commission, item):
    decision = _sign(commission, item)
    outside = len(connection.atomic_blocks)
    depths, patch = _watch_renders()
    with patch:
        decision_correct(actor=commission.people[0], decision=decision, outcome="reject",
                         reasoning="Ошибка в решении")
    assert depths == [outside]


def test_the_audit_entries_are_written_last_and_in_order(commission, item):
    decision = _sign(commission, item)
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", flat=True)[:3])
    assert actions[::-1] == ["case.transition", "decision.signed", "letter.generated"]
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_a_refused_signature_renders_nothing(commission, item):
    depths, patch = _watch_renders()
    with patch, pytest.raises(Exception) as refused:
        decision_sign(actor=commission.people[1], item=item, outcome="uphold",
                      reasoning="Не председатель")
    assert refused.value.code == "forbidden"
    assert depths == []


def test_the_commissions_actions_refuse_to_run_inside_another_transaction(
        register, staff, commission, item):
    case = _in_review(register, staff)
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="durable"):
            _refer(case, staff, commission)
        with pytest.raises(RuntimeError, match="durable"):
            _sign(commission, item)
        with pytest.raises(RuntimeError, match="durable"):
            vote_cast(actor=commission.people[1], item=item, choice="reject", reason="Нет")
    assert not Decision.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_writer_audits_while_the_decision_letter_renders(commission, item):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time whatever the code does")
    free, seq = audit_chain_free_while_rendering(lambda: _sign(commission, item))
    assert free
    # The other writer's entry went into the chain before the decision's.
    signed = AuditEntry.objects.get(action="decision.signed")
    assert seq < signed.seq
