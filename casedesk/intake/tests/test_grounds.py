"""The grounds of 59-FZ art. 11 added in issue 16, walked from intake through the real
appeal whose answer would disclose a secret, a repeated appeal the head closes, and an
anonymous report of an offence, which is forwarded to the state body rather than left
unanswered. The letters are read back in Russian and in English."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.documents import file_read
from casedesk.cases.models import Case, Document
from casedesk.core.errors import ApplicationError
from casedesk.core.states import CaseState
from casedesk.intake.services import PersonData
from casedesk.letters import notices
from casedesk.letters.models import LetterKind
from casedesk.letters.services import letter_generate
from casedesk.letters.tests.helpers import docx_text, flat
from casedesk.testing import at

RECEIVED = "2027-01-11"
POLICE = "Военный следственный отдел по гарнизону, г. Тестовск"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CASEDESK_PUBLIC_URL = "http://letters.test/"


def letter_text(case, kind: str, language: str) -> str:
    name = f"{case.number}-{kind}-{language}.docx"
    docx = next(d for d in Document.objects.filter(case=case) if d.original_name == name)
    return flat(docx_text(file_read(docx)))


def leave(case, actor, ground: str):
    return notices.case_move(actor=actor, case=case, transition="leave_unanswered",
                             ground=ground, at=at("2027-01-13"))


@pytest.mark.parametrize(("language", "expected"), [
    ("ru", ["не может быть дан без разглашения сведений, составляющих государственную или "
            "иную охраняемую федеральным законом тайну", "ст. 11, ч. 6"]),
    ("en", ["cannot be given without disclosing information that is a state secret",
            "ст. 11, ч. 6"]),
])
def test_a_secret_ground_tells_the_applicant_why_there_is_no_answer(register, staff,
                                                                    language, expected):
    case = register(language=language, at=at(RECEIVED))
    moved = leave(case, staff[Role.CASEWORKER], "state_or_other_secret")
    assert moved.state == CaseState.LEFT_UNANSWERED
    text = letter_text(case, "unanswered_notice", language)
    for words in expected:
        assert words in text
    assert all(d.public for d in Document.objects.filter(case=case, doc_type="letter"))


@pytest.mark.parametrize(("language", "expected"), [
    ("ru", "Руководитель принял решение о безосновательности очередного обращения"),
    ("en", "The head of the office has decided that this appeal is unfounded"),
])
def test_a_repeated_appeal_is_closed_by_the_heads_decision(register, staff, language,
                                                           expected):
    case = register(language=language, at=at(RECEIVED))
    with pytest.raises(ApplicationError) as refused:
        leave(case, staff[Role.CASEWORKER], "repeated_no_new_arguments")
    assert refused.value.code == "ground_head_decides"
    assert not Document.objects.filter(case=case, doc_type="letter").exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.REGISTERED
    leave(case, staff[Role.SUPERVISOR], "repeated_no_new_arguments")
    text = letter_text(case, "unanswered_notice", language)
    assert expected in text and "ст. 11, ч. 5" in text


def test_an_anonymous_report_of_an_offence_is_forwarded_not_left_unanswered(register,
                                                                             staff):
    case = register(at=at(RECEIVED), applicant=PersonData(full_name="Неизвестный"))
    with pytest.raises(ApplicationError) as refused:
        leave(case, staff[Role.CASEWORKER], "anonymous_offence_report")
    assert refused.value.code == "ground_forwards"
    with pytest.raises(ApplicationError) as refused:  # a forward ground only forwards
        notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                          forward_body="military_investigations", forwarded_to=POLICE,
                          ground="unreadable")
    assert refused.value.code == "ground_not_forward"

    moved = notices.case_move(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                              forward_body="military_investigations", forwarded_to=POLICE,
                              ground="anonymous_offence_report", at=at("2027-01-13"))
    assert moved.state == CaseState.FORWARDED
    assert moved.unanswered_ground == "anonymous_offence_report"
    event = moved.events.get(kind="state_changed", data__transition="forward")
    assert event.data["ground"] == "anonymous_offence_report"
    assert event.data["citation"].endswith("ст. 11, ч. 1")
    letters = Document.objects.filter(case=case, doc_type="letter")
    # Nobody to notify: the covering letter to the body only, kept from the public page.
    assert sorted(d.original_name for d in letters) == [
        f"{case.number}-covering_letter-ru.docx", f"{case.number}-covering_letter-ru.pdf"]
    assert not any(d.public for d in letters)
    text = letter_text(case, "covering_letter", "ru")
    assert "сведения о подготавливаемом, совершаемом или совершённом противоправном деянии" \
        in text
    assert "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 11, ч. 1" in text
    assert "уведомить его о направлении обращения невозможно" in text
    assert "Заявитель уведомлён" not in text and "ст. 8, ч. 3" not in text

    # The same letter in English (an office that writes to an international body).
    letter_generate(actor=staff[Role.CASEWORKER], case=case, kind=LetterKind.COVERING_LETTER,
                    language="en", public=False, at=at("2027-01-13"))
    text = letter_text(case, "covering_letter", "en")
    assert "reports an offence being prepared, being committed or committed" in text
    assert "the applicant cannot be told that it was forwarded" in text
    assert "has been told" not in text and "ст. 11, ч. 1" in text
