"""Reading the timeline back (casedesk.cases.timeline): the latest question, the kind of
a letter, the stage as the applicant reads it."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases import timeline
from casedesk.cases.models import Document, DocumentType
from casedesk.cases.services import case_transition
from casedesk.core.states import CaseState


def test_the_latest_question_is_the_last_one_asked(register, staff):
    case = register()
    worker = staff[Role.CASEWORKER]
    assert timeline.question_event(case) is None
    assert timeline.latest_question(case) == ""
    for transition, extra in [("start_review", {}),
                              ("request_information", {"message": "First?"}),
                              ("information_received", {}),
                              ("request_information", {"message": "Second?"})]:
        case = case_transition(actor=worker, case=case, transition=transition, **extra)
    assert timeline.latest_question(case) == "Second?"
    # The same from the public events the status page has read already.
    events = list(case.events.filter(public=True).order_by("at", "id"))
    assert timeline.latest_question(case, events) == "Second?"
    assert timeline.question_event(case, events) == timeline.question_event(case)


@pytest.mark.parametrize("kind", ["acknowledgement", "information_request", "answer",
                                  "covering_letter"])
def test_a_letters_kind_is_read_back_from_its_name(kind):
    name = timeline.letter_file_name("MSK-2026-000123", kind, "ru", "pdf")
    assert timeline.letter_kind(Document(original_name=name,
                                         doc_type=DocumentType.LETTER)) == kind


@pytest.mark.parametrize("name, doc_type", [
    ("MSK-2026-000123-answer-ru.pdf", DocumentType.OTHER),  # not a letter
    ("", DocumentType.LETTER),  # erased
    ("scan.pdf", DocumentType.LETTER),  # a letter scanned by hand
])
def test_other_documents_have_no_letter_kind(name, doc_type):
    assert timeline.letter_kind(Document(original_name=name, doc_type=doc_type)) is None


def test_every_stage_has_plain_words():
    assert {timeline.public_stage(state) for state in CaseState.values}
