"""The campaigns list, a campaign's page, assigning its cases together, and the link from a
case page (staff.campaign_views)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases.campaigns import campaigns_group
from casedesk.cases.models import CampaignAppeal, Case
from casedesk.core.tests.test_similarity import LETTER

FAMILIES = [("Иванова Анна", "Иванова Петра"), ("Кузнецова Мария", "Кузнецова Андрея"),
            ("Смирнова Ольга", "Смирнова Дениса")]


@pytest.fixture
def campaign(register, office):
    cases = [register(text=LETTER.format(applicant=a, member=m)) for a, m in FAMILIES]
    register(text="Прошу разъяснить порядок получения единовременной выплаты семье "
                  "мобилизованного и перечень документов к заявлению.")
    campaigns_group(office=office)
    return CampaignAppeal.objects.get(case=cases[0]).campaign, cases


@pytest.mark.parametrize(("language", "heading"), [("en", "Campaign"), ("ru", "Кампания")])
def test_the_campaign_page_lists_its_cases_in_both_languages(client, staff, campaign,
                                                             language, heading):
    found, cases = campaign
    client.force_login(staff[Role.SUPERVISOR])
    with translation.override(language):
        link = reverse("staff:campaign", args=[found.pk])
        listing = client.get(reverse("staff:campaigns")).content.decode()
        page = client.get(link).content.decode()
    assert link in listing
    assert f"{heading} {found.pk}" in page
    for case in cases:
        assert case.number in page
    assert Case.objects.count() == 4 and page.count('name="cases"') == 3


def test_assign_all_goes_through_the_bulk_assignment(client, staff, campaign):
    found, cases = campaign
    worker = staff[Role.CASEWORKER]
    client.force_login(staff[Role.SUPERVISOR])
    page_url = reverse("staff:campaign", args=[found.pk])
    response = client.post(reverse("staff:bulk_assign"), {
        "cases": [c.pk for c in cases], "assignee": worker.pk, "next": page_url})
    assert response.status_code == 302 and response["Location"] == page_url
    assert {c.assignee_id for c in Case.objects.filter(pk__in=[c.pk for c in cases])} == {
        worker.pk}


def test_a_case_page_links_to_its_campaign_and_another_office_sees_none(
        client, staff, campaign, make_user, other_office):
    found, cases = campaign
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(reverse("staff:case", args=[cases[1].number])).content.decode()
    assert reverse("staff:campaign", args=[found.pk]) in page
    client.force_login(make_user(Role.SUPERVISOR, other_office))
    assert client.get(reverse("staff:campaign", args=[found.pk])).status_code == 404


def test_one_answer_for_the_campaign_is_a_draft_in_each_case(client, staff, campaign):
    from casedesk.letters.models import Answer

    found, cases = campaign
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(reverse("staff:campaign", args=[found.pk])).content.decode()
    assert reverse("staff:campaign_answer", args=[found.pk]) in page
    response = client.post(reverse("staff:campaign_answer", args=[found.pk]),
                           {"text": "Ответ всем.", "outcome": ""}, follow=True)
    assert response.status_code == 200
    assert {a.text for a in Answer.objects.filter(case__in=cases)} == {"Ответ всем."}
    assert Answer.objects.filter(case__in=cases).count() == 3


def test_the_campaign_page_costs_the_same_queries_for_more_cases(
        client, staff, campaign, register, office, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    found, _cases = campaign
    client.force_login(staff[Role.SUPERVISOR])
    url = reverse("staff:campaign", args=[found.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for applicant, member in [("Петрова Нина", "Петрова Олега"), ("Орлова Вера", "Орлова Ивана")]:
        register(text=LETTER.format(applicant=applicant, member=member))
    campaigns_group(office=office)
    with django_assert_max_num_queries(len(before.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('name="cases"') == 5


@pytest.mark.parametrize(("language", "heading"), [("en", "The letter they share"),
                                                   ("ru", "Общее письмо")])
def test_the_campaign_page_shows_the_letter_they_share_and_audits_the_read(
        client, staff, campaign, language, heading):
    """Whoever writes the one answer reads the letter on the campaign page: the earliest
    case's text as received, its request, and each case's category; reading it is a read
    of that case in the audit log."""
    from casedesk.audit.models import AuditEntry

    found, cases = campaign
    first = min(cases, key=lambda c: (c.received_at, c.pk))
    supervisor = staff[Role.SUPERVISOR]
    client.force_login(supervisor)
    with translation.override(language):
        response = client.get(reverse("staff:campaign", args=[found.pk]))
    page = response.content.decode()
    assert heading in page
    assert LETTER.format(applicant="Иванова Анна", member="Иванова Петра")[:60] in page
    assert first.number in page
    assert {"en": "Wrongly recorded as AWOL", "ru": "Ошибочная запись о СОЧ"}[language] in page
    entry = AuditEntry.objects.filter(action="case.read", object_id=str(first.pk)).last()
    assert entry is not None and entry.actor_id == supervisor.pk
    assert entry.data == {"campaign": found.pk}
