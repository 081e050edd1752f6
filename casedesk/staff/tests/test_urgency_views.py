"""Urgency on the staff pages (issue 19): the queue's marker (one query for the page)
and filter, the case page's banner with its reasons in words and "Not urgent" (audited),
the supervisor's count of the open urgent cases of their offices, and erasure leaving
the reasons unreadable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.people.lifecycle.erasure import REASONS, person_erase
from casedesk.urgency.models import UrgencyFlag
from casedesk.urgency.services import cases_evaluate

WORDS = {
    "en": ("Urgent", "Risk of suicide", "Wounded without treatment", "Not urgent",
           "not wanting to live"),
    "ru": ("Срочно", "Риск суицида", "Ранен, не получает помощи", "Не срочно",
           "нежелании жить"),
}


@pytest.fixture
def cases(register, office, other_office, make_user):
    """Here: an urgent case, a plain one; there: an urgent one. Flagged as the task does."""
    clerk_there = make_user(Role.INTAKE_CLERK, other_office, username="clerk-there")
    urgent = register(text="Сын ранен, его не лечат. Он пишет, что не хочет жить.")
    plain = register(text="Просим пересчитать выплаты за март.")
    there = register(text="Мужа взяли в плен.", actor=clerk_there, office=other_office)
    cases_evaluate(case_ids=[urgent.pk, plain.pk, there.pk])
    return urgent, plain, there


def _rows(content: str) -> list[str]:
    return content.split("<tr")[1:]


def test_the_queue_marks_urgent_rows_in_one_query(client, staff, cases):
    urgent, plain, _there = cases
    client.force_login(staff[Role.SUPERVISOR])

    with CaptureQueriesContext(connection) as queries:
        content = client.get("/en/staff/?queue=all").content.decode()

    assert len([q for q in queries if "urgency_urgencyflag" in q["sql"]]) == 1
    marked = {c.number for c in (urgent, plain) if any(
        c.number in row and "urgent-mark" in row for row in _rows(content))}
    assert marked == {urgent.number}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_urgent_filter_shows_only_urgent_cases_of_the_office(client, staff, cases,
                                                                 language):
    urgent, plain, there = cases
    client.force_login(staff[Role.SUPERVISOR])
    content = client.get(f"/{language}/staff/?queue=all&urgent=1").content.decode()
    assert urgent.number in content
    assert plain.number not in content and there.number not in content
    assert WORDS[language][0] in content


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_case_page_shows_the_reasons_in_words(client, staff, cases, language):
    urgent, plain, _there = cases
    title, suicide, wounded, button, reason = WORDS[language]
    client.force_login(staff[Role.CASEWORKER])

    content = client.get(f"/{language}/staff/cases/{urgent.number}/").content.decode()

    banner = content.split('id="urgency"')[1].split("</section>")[0]
    assert title in banner and suicide in banner and wounded in banner
    assert reason in banner and button in banner
    assert "wounded_untreated" not in banner  # words, not codes
    other = client.get(f"/{language}/staff/cases/{plain.number}/").content.decode()
    assert 'id="urgency"' not in other


def test_the_clerk_sees_the_banner_without_the_button(client, staff, cases):
    urgent, _plain, _there = cases
    client.force_login(staff[Role.INTAKE_CLERK])
    content = client.get(f"/en/staff/cases/{urgent.number}/").content.decode()
    assert 'id="urgency"' in content and "Not urgent" not in content
    response = client.post(f"/en/staff/cases/{urgent.number}/urgency/clear/")
    assert response.status_code == 400
    assert UrgencyFlag.objects.get(case=urgent).urgent


def test_not_urgent_clears_the_flag_and_is_audited(client, staff, cases):
    urgent, _plain, there = cases
    client.force_login(staff[Role.CASEWORKER])

    response = client.post(f"/en/staff/cases/{urgent.number}/urgency/clear/")

    assert response.status_code == 302
    flag = UrgencyFlag.objects.get(case=urgent)
    assert not flag.urgent and flag.cleared_by == staff[Role.CASEWORKER]
    assert AuditEntry.objects.filter(action="case.urgency_cleared",
                                     object_id=str(urgent.pk)).exists()
    content = client.get(f"/en/staff/cases/{urgent.number}/").content.decode()
    assert 'id="urgency"' not in content
    # Another office's case: not found.
    assert client.post(f"/en/staff/cases/{there.number}/urgency/clear/").status_code == 404
    assert UrgencyFlag.objects.get(case=there).urgent


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_supervisor_page_counts_the_open_urgent_cases_of_their_offices(
        client, staff, cases, make_user, office, other_office, language):
    client.force_login(staff[Role.SUPERVISOR])
    content = client.get(f"/{language}/staff/supervisor/").content.decode()
    card = content.split('id="urgent-count-title"')[1].split("</section>")[0]
    expected = {"en": "1 open case of your offices is marked urgent.",
                "ru": "1 открытое дело ваших офисов отмечено как срочное."}[language]
    assert expected in card
    assert "?queue=open&amp;urgent=1" in card
    both = make_user(Role.SUPERVISOR, office, other_office, username="both")
    client.force_login(both)
    content = client.get(f"/{language}/staff/supervisor/").content.decode()
    assert {"en": "2 open cases", "ru": "2 открытых дела"}[language] in content


def test_erasure_leaves_the_reasons_unreadable(client, staff, cases):
    urgent, _plain, _there = cases
    person_erase(actor=staff[Role.SUPERVISOR], person=urgent.service_member,
                 reason_code=next(iter(REASONS)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reasons, urgent FROM urgency_urgencyflag WHERE case_id = %s",
                       [urgent.pk])
        reasons, still = cursor.fetchone()
    assert reasons == "" and still
    assert UrgencyFlag.objects.get(case=urgent).codes == []
    client.force_login(staff[Role.CASEWORKER])
    content = client.get(f"/en/staff/cases/{urgent.number}/").content.decode()
    banner = content.split('id="urgency"')[1].split("</section>")[0]
    assert "Its reasons were erased" in banner and "Risk of suicide" not in banner
