"""One answer for a campaign: the same draft in each of its cases (letters.campaign_answers)."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.cases.campaigns import campaigns_group
from casedesk.cases.models import CampaignAppeal
from casedesk.core.errors import ApplicationError
from casedesk.core.tests.test_similarity import LETTER
from casedesk.letters.answers import answer_draft_save, answer_submit
from casedesk.letters.campaign_answers import campaign_answer_draft
from casedesk.letters.models import Answer, AnswerState

FAMILIES = [("Иванова Анна", "Иванова Петра"), ("Кузнецова Мария", "Кузнецова Андрея"),
            ("Смирнова Ольга", "Смирнова Дениса")]
TEXT = "Ваше обращение рассмотрено. Сведения о местонахождении военнослужащего направлены."


@pytest.fixture
def campaign(register, office):
    cases = [register(text=LETTER.format(applicant=a, member=m)) for a, m in FAMILIES]
    campaigns_group(office=office)
    return CampaignAppeal.objects.get(case=cases[0]).campaign, cases


def test_each_case_gets_its_own_draft_with_the_same_text(staff, campaign):
    found, cases = campaign
    done = campaign_answer_draft(actor=staff[Role.CASEWORKER], campaign=found, text=TEXT)
    assert sorted(done.saved) == sorted(c.number for c in cases) and not done.skipped
    drafts = Answer.objects.filter(case__in=cases)
    assert drafts.count() == 3 and {a.case_id for a in drafts} == {c.pk for c in cases}
    assert {a.text for a in drafts} == {TEXT}
    assert {a.state for a in drafts} == {AnswerState.DRAFT}


def test_a_case_whose_draft_awaits_approval_is_left_and_named(staff, campaign):
    found, cases = campaign
    worker = staff[Role.CASEWORKER]
    answer_draft_save(actor=worker, case=cases[0], text="Свой ответ.", outcome="explained")
    answer_submit(actor=worker, case=cases[0])
    done = campaign_answer_draft(actor=worker, campaign=found, text=TEXT)
    assert list(done.skipped) == [cases[0].number] and len(done.saved) == 2
    assert Answer.objects.get(case=cases[0]).text == "Свой ответ."


def test_a_text_too_long_for_any_case_is_refused_once(staff, campaign):
    found, _cases = campaign
    with pytest.raises(ApplicationError):
        campaign_answer_draft(actor=staff[Role.CASEWORKER], campaign=found, text="x" * 10**6)
    assert not Answer.objects.exists()
