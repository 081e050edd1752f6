"""The count and pages a queue search shows: its matches, counted by case_search_count
(on the queue "all", from the search rows of the actor's offices)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.cases.selectors import OPEN
from casedesk.cases.services import case_transition
from casedesk.staff import views

WARD = "Сын лежит в госпитале."
PAY = "Мужу не выплатили денежное довольствие."


@pytest.fixture
def matches(register, staff, office, other_office, monkeypatch):
    """Five cases of the office matching "госпиталь" (two of them open in review), two
    not matching, one matching in an office the supervisor does not see; pages of two."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    cases = [register(text=WARD) for _ in range(5)]
    for case in cases[:2]:
        case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    register(text=PAY)
    register(text=PAY)
    elsewhere = register(text=WARD)
    Case.objects.filter(pk=elsewhere.pk).update(office=other_office)
    return cases


@pytest.mark.parametrize("page", [1, 3])
def test_the_queue_all_counts_the_matches(client, staff, matches, page):
    client.force_login(staff[Role.SUPERVISOR])
    url = reverse("staff:queues") + f"?queue=all&q=госпиталь&page={page}"
    response = client.get(url)
    assert response.status_code == 200
    shown = response.context["page"]
    assert shown.paginator.count == len(matches) == 5
    assert shown.paginator.num_pages == 3
    assert shown.number == page
    assert len(shown.object_list) == (2 if page == 1 else 1)
    assert {case.number for case, _days in response.context["rows"]} <= \
        {case.number for case in matches}


def test_a_narrowed_queue_counts_its_own_matches(client, staff, matches):
    client.force_login(staff[Role.SUPERVISOR])
    reviewed = Case.objects.get(pk=matches[0].pk).state
    response = client.get(reverse("staff:queues") + f"?queue=all&q=госпиталь&state={reviewed}")
    assert response.context["page"].paginator.count == 2
    response = client.get(reverse("staff:queues") + "?queue=all&q=госпиталь&state=closed")
    assert response.context["page"].paginator.count == 0
    response = client.get(reverse("staff:queues") + "?queue=open&q=госпиталь")
    assert response.context["page"].paginator.count == Case.objects.filter(
        pk__in=[c.pk for c in matches], state__in=OPEN).count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search rows are PostgreSQL's")
def test_the_queue_all_counts_from_the_search_rows(client, staff, matches):
    client.force_login(staff[Role.SUPERVISOR])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("staff:queues") + "?queue=all&q=госпиталь")
    assert response.context["page"].paginator.count == 5
    counts = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith("SELECT COUNT(*)") and "cases_casesearch" in q["sql"]]
    assert any('"cases_case"' not in sql for sql in counts), counts
