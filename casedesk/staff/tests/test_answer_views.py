"""The answer panel of the case page and the list of answers to post, without a browser."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.letters.models import Answer, AnswerState


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def russian():
    """The pages in Russian (the URLs carry the language)."""
    with translation.override("ru"):
        yield


@pytest.fixture
def case(register, staff):
    case = register()
    return case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


def post(client, case, **data):
    return client.post(reverse("staff:answer", args=[case.number]), data)


def test_the_caseworker_drafts_from_a_paragraph_and_signs(client, case, staff):
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert 'name="action" value="insert"' in page and "Проверка записи о СОЧ" in page
    assert "Страховая выплата" not in page  # paragraphs of other categories are not offered
    response = post(client, case, action="insert", paragraph="awol_record_check",
                    text="Уважаемая Анна Петровна!", outcome="upheld")
    assert response.status_code == 302
    answer = Answer.objects.get(case=case)
    assert answer.text.startswith("Уважаемая Анна Петровна!\n\nПо вашему обращению")
    assert "части Иванова Петра Сергеевича." in answer.text  # the genitive it needs
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "По вашему обращению направлен запрос" in page
    assert 'value="sign"' in page and 'value="submit"' not in page  # no approval here
    response = post(client, case, action="sign", text=answer.text, outcome="upheld")
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.state == AnswerState.SIGNED
    assert Case.objects.get(pk=case.pk).state == "answered"
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert answer.outgoing_number in page
    # What is signed stays; a supplement can follow (folded away until opened).
    assert '<details class="supplement">' in page and "Подготовить дополнение" in page


def test_a_refused_action_keeps_what_was_typed(client, case, staff):
    client.force_login(staff[Role.CASEWORKER])
    response = post(client, case, action="sign", text="Текст без исхода", outcome="")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Текст без исхода" in content and "Выберите результат рассмотрения." in content


def test_buttons_follow_role_and_state(client, case, staff, office):
    office.answer_approval = True
    office.save()
    client.force_login(staff[Role.CASEWORKER])
    post(client, case, action="submit", text="Ответ.", outcome="explained")
    assert Answer.objects.get(case=case).state == AnswerState.SUBMITTED
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert 'value="approve"' not in page and 'value="sign"' not in page
    assert 'id="answer-text"' not in page  # awaiting approval: not editable
    client.force_login(staff[Role.SUPERVISOR])
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert 'value="approve"' in page and 'value="return"' in page
    post(client, case, action="return", comment="Добавьте ссылку на приказ.")
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert "Добавьте ссылку на приказ." in page and 'id="answer-text"' in page


def test_a_clerk_sees_no_answer_buttons(client, case, staff):
    client.force_login(staff[Role.INTAKE_CLERK])
    page = client.get(reverse("staff:case", args=[case.number])).content.decode()
    assert 'name="action"' not in page
    assert post(client, case, action="save", text="x", outcome="").status_code == 400


def test_the_posting_list_prints_addresses_and_is_audited(client, case, staff, register):
    emailed = register(channel="email")
    emailed = case_transition(actor=staff[Role.CASEWORKER], case=emailed,
                              transition="start_review")
    client.force_login(staff[Role.CASEWORKER])
    for each in (case, emailed):
        post(client, each, action="sign", text="Ответ.", outcome="explained")
    client.force_login(staff[Role.INTAKE_CLERK])
    page = client.get(reverse("staff:to_post")).content.decode()
    posted = Answer.objects.get(case=case)
    assert case.number in page and emailed.number not in page
    assert "Москва, ул. Примерная, 1" in page and posted.outgoing_number in page
    assert "staff/answers.css" in page
    assert AuditEntry.objects.filter(action="answer.post_list.read").count() == 1
    response = client.post(reverse("staff:mark_posted", args=[posted.pk]))
    assert response.status_code == 302
    page = client.get(reverse("staff:to_post")).content.decode()
    assert case.number not in page
    assert AuditEntry.objects.filter(action="answer.posted", object_id=posted.pk).exists()


def test_the_posting_list_is_for_office_staff(client, staff):
    client.force_login(staff[Role.ANALYST])
    assert client.get(reverse("staff:to_post")).status_code == 403
