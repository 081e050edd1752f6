"""The incoming number (вх. №) in the letters' common context and the acknowledgement."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.documents import file_read
from casedesk.cases.services import case_transition
from casedesk.letters.services import letter_generate
from casedesk.testing import at

from .helpers import docx_text

WORDS = {"ru": "за вх. № {}", "en": "under incoming No. {}"}


def acknowledgement(staff, case, language, actor=None) -> str:
    _pdf, docx = letter_generate(actor=actor or staff[Role.INTAKE_CLERK], case=case,
                                 kind="acknowledgement", language=language)
    return docx_text(file_read(docx))


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_acknowledgement_gives_the_incoming_number(register, staff, other_office,
                                                       make_user, language):
    register(at=at("2026-03-02"))
    case = register(at=at("2026-03-03"))
    spb_clerk = make_user(Role.INTAKE_CLERK, other_office)
    spb = register(at=at("2026-03-03"), office=other_office, actor=spb_clerk)
    assert WORDS[language].format("MSK/2026/00002") in acknowledgement(staff, case, language)
    assert WORDS[language].format("SPB/2026/00001") in acknowledgement(staff, spb, language,
                                                                       spb_clerk)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_before_registration_the_letter_has_no_number(register, staff, language):
    case = register(channel="web", at=at("2026-03-02"))
    assert WORDS[language].format("")[:-3] not in acknowledgement(staff, case, language)
    case_transition(actor=staff[Role.INTAKE_CLERK], case=case, transition="register",
                    at=at("2026-03-03"))
    assert WORDS[language].format("MSK/2026/00001") in acknowledgement(staff, case, language)
