"""Letters are rendered with no lock held where the letter can be known beforehand, and
never under the audit chain's lock; what was rendered is checked under lock and rendered
again if it went stale. The letter actions are outermost actions."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, transaction

from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.documents import file_read
from casedesk.cases.services import case_transition
from casedesk.letters import answers, notices
from casedesk.letters import services as letter_services
from casedesk.letters.answers import answer_draft_save, answer_sign
from casedesk.letters.models import Answer
from casedesk.letters.services import letter_generate
from casedesk.testing import at

from .helpers import audit_chain_free_while_rendering, docx_text

SIGNED = at("2027-02-03")
TEXT = "Запись о самовольном оставлении части исправлена."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASEDESK_PUBLIC_URL = "http://letters.test/"


@pytest.fixture
def office(db):
    return Office.objects.create(code="MSK", name_ru="Аппарат Уполномоченного по Москве",
                                 name_en="Moscow Office")


@pytest.fixture
def case(register, staff):
    case = register(at=at("2027-01-11"))
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


def _draft(case, staff):
    return answer_draft_save(actor=staff[Role.CASEWORKER], case=case, text=TEXT,
                             outcome="upheld")


def _watch_renders():
    """Patch the renderer to note, at each call, how many atomic blocks are open and the
    outgoing number it prints."""
    calls: list[tuple[int, str]] = []
    real = letter_services._render

    def render(source, context):
        calls.append((len(connection.atomic_blocks), context["outgoing_number"]))
        return real(source, context)

    return calls, mock.patch.object(letter_services, "_render", render)


def test_the_answer_letter_is_rendered_once_before_the_transaction(case, staff):
    _draft(case, staff)
    outside = len(connection.atomic_blocks)  # the test's own blocks
    calls, patch = _watch_renders()
    with patch:
        signed = answer_sign(actor=staff[Role.CASEWORKER], case=case, at=SIGNED)
    assert calls == [(outside, "MSK/2027/00001")]
    assert signed.outgoing_number == "MSK/2027/00001"


def test_a_letter_whose_number_was_taken_meanwhile_is_rendered_again(case, staff):
    _draft(case, staff)
    outside = len(connection.atomic_blocks)
    calls, patch = _watch_renders()
    # As if another letter of the office had drawn the number between the render and
    # the transaction: the number rendered is not the one drawn.
    with patch, mock.patch.object(answers, "register_number_peek",
                                  return_value="MSK/2027/00099"):
        signed = answer_sign(actor=staff[Role.CASEWORKER], case=case, at=SIGNED)
    assert calls[0] == (outside, "MSK/2027/00099")
    assert len(calls) == 2 and calls[1][0] > outside  # again, under the case's lock
    assert calls[1][1] == signed.outgoing_number == "MSK/2027/00001"
    text = docx_text(file_read(signed.letter_docx))
    assert "MSK/2027/00001" in text and "00099" not in text
    # Only the letter filed is in the case file.
    assert case.documents.filter(doc_type="letter").count() == 2


def test_a_failed_signature_leaves_no_letter_files(case, staff, settings):
    _draft(case, staff)
    with mock.patch.object(answers.events, "answer_signed", side_effect=RuntimeError("x")), \
            pytest.raises(RuntimeError):
        answer_sign(actor=staff[Role.CASEWORKER], case=case)
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert stored == []
    assert Answer.objects.get(case=case).state != "signed"


def test_the_audit_entries_of_a_signature_are_written_last_and_in_order(case, staff):
    _draft(case, staff)
    answer_sign(actor=staff[Role.CASEWORKER], case=case)
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", flat=True)[:3])
    assert actions[::-1] == ["letter.generated", "case.transition", "answer.signed"]


def test_the_letter_actions_refuse_to_run_inside_another_transaction(case, staff):
    _draft(case, staff)
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="durable"):
            answer_sign(actor=staff[Role.CASEWORKER], case=case)
        with pytest.raises(RuntimeError, match="durable"):
            _draft(case, staff)
        with pytest.raises(RuntimeError, match="durable"):
            notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                              forward_body="military_prosecutor", forwarded_to="Прокуратура")
        with pytest.raises(RuntimeError, match="durable"):
            notices.deadline_extend_notify(actor=staff[Role.SUPERVISOR], case=case, days=10,
                                           reason="Запрос в часть")
    assert not case.documents.exists()


def test_letter_generate_is_a_building_block_that_joins_the_callers_transaction(
        case, staff):
    with transaction.atomic():
        made = letter_generate(actor=staff[Role.CASEWORKER], case=case,
                               kind="information_request", context={"message": "Пришлите"})
    assert len(made) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_writer_audits_while_the_answer_letter_renders(case, staff):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time whatever the code does")
    _draft(case, staff)
    free, seq = audit_chain_free_while_rendering(
        lambda: answer_sign(actor=staff[Role.CASEWORKER], case=case))
    assert free
    assert seq < AuditEntry.objects.get(action="answer.signed").seq


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_writer_audits_while_the_letters_of_a_move_render(case, staff):
    """The letters of a forwarding state the move's result, so they are rendered after
    the move, under the case's lock: but not under the audit chain's."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time whatever the code does")
    free, seq = audit_chain_free_while_rendering(
        lambda: notices.case_move(actor=staff[Role.CASEWORKER], case=case,
                                  transition="forward", forward_body="military_prosecutor",
                                  forwarded_to="Военная прокуратура"))
    assert free
    assert seq < AuditEntry.objects.get(action="case.transition",
                                        data__transition="forward").seq
