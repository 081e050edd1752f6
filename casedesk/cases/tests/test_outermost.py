"""Outermost actions open a durable transaction (nesting one fails loudly); their inner
variants join the caller's transaction and leave the audit entry for the caller to write
last."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.audit.services import audit_record_many
from casedesk.cases import documents, extensions
from casedesk.cases.models import Case, CaseNote
from casedesk.cases.services import (
    case_assign,
    case_reclassify,
    case_transition,
    case_transition_inner,
    cases_bulk_assign,
    deadline_extend,
    note_add,
)
from casedesk.testing import pdf_bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(register, staff):
    case = register()
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


ACTIONS = {
    "case_transition": lambda staff, case: case_transition(
        actor=staff[Role.CASEWORKER], case=case, transition="request_information",
        message="Пришлите выписку."),
    "case_reclassify": lambda staff, case: case_reclassify(
        actor=staff[Role.CASEWORKER], case=case, category="medical_discharge",
        reason="Ошибка"),
    "case_assign": lambda staff, case: case_assign(
        actor=staff[Role.SUPERVISOR], case=case, assignee=staff[Role.CASEWORKER]),
    "cases_bulk_assign": lambda staff, case: cases_bulk_assign(
        actor=staff[Role.SUPERVISOR], case_ids=[case.pk], assignee=staff[Role.CASEWORKER]),
    "note_add": lambda staff, case: note_add(
        actor=staff[Role.CASEWORKER], case=case, text="Позвонить в часть."),
    "deadline_extend": lambda staff, case: deadline_extend(
        actor=staff[Role.SUPERVISOR], case=case, days=10, reason="Запрос в часть"),
    "extension_request": lambda staff, case: extensions.extension_request(
        actor=staff[Role.CASEWORKER], case=case, days=10, reason="Запрос в часть"),
    "document_add": lambda staff, case: documents.document_add(
        actor=staff[Role.CASEWORKER], case=case, doc_type="other",
        upload=SimpleUploadedFile("a.pdf", pdf_bytes(), content_type="application/pdf")),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_an_outermost_action_refuses_to_run_inside_another_transaction(name, staff, case):
    entries = AuditEntry.objects.count()
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        ACTIONS[name](staff, case)
    assert AuditEntry.objects.count() == entries
    assert Case.objects.get(pk=case.pk).state == "in_review"
    assert not CaseNote.objects.filter(case=case).exists()


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_the_same_action_runs_on_its_own(name, staff, case):
    entries = AuditEntry.objects.count()
    ACTIONS[name](staff, case)
    assert AuditEntry.objects.count() > entries


def test_the_inner_variant_joins_the_callers_transaction_and_leaves_the_audit_to_it(
        staff, case):
    entries = AuditEntry.objects.count()
    audits: list[dict] = []
    with transaction.atomic():
        moved = case_transition_inner(actor=staff[Role.CASEWORKER], case=case,
                                      transition="request_information",
                                      message="Пришлите выписку.", audits=audits)
        assert moved.state == "awaiting_information"
        assert AuditEntry.objects.count() == entries  # not yet: the caller writes it last
        audit_record_many(audits)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id) == ("case.transition", str(case.pk))
    assert entry.data["transition"] == "request_information"
