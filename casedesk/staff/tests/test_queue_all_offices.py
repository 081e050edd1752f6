"""The queue "All cases" of a supervisor of several offices: every page holds the same
cases in the same order as one sorted list of all the offices' cases would
(selectors.OfficesInOrder reads each office's part of the queue in order and merges)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases import selectors
from casedesk.cases.models import Case
from casedesk.staff import views

PAGE = 3


@pytest.fixture
def offices(office, other_office):
    return [office, other_office,
            Office.objects.create(code="KZN", name_ru="Казань", name_en="Kazan")]


@pytest.fixture
def spread(register, offices, monkeypatch):
    """Fourteen cases over three offices, with due dates that tie across offices, some
    with none (closed cases have no running deadline), and receipts out of id order."""
    monkeypatch.setattr(views, "PAGE_SIZE", PAGE)
    base = dt.date(2027, 1, 10)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    cases = [register() for _ in range(14)]
    for i, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(
            office=offices[i % 3],
            next_due_on=None if i % 5 == 4 else base + dt.timedelta(days=(i * 7) % 4),
            received_at=start - dt.timedelta(hours=(i * 5) % 6))
    return cases


def _expected(actor) -> list[str]:
    ordered = selectors.case_queue(actor=actor, spec=selectors.QueueFilter(queue="all"))
    return list(ordered.values_list("number", flat=True))


def test_every_page_of_several_offices_is_in_the_queue_order(client, make_user, offices,
                                                               spread):
    supervisor = make_user(Role.SUPERVISOR, *offices, username="chief")
    client.force_login(supervisor)
    expected = _expected(supervisor)
    assert len(expected) == 14
    shown = []
    for page in range(1, 6):
        response = client.get(reverse("staff:queues") + f"?queue=all&page={page}")
        assert response.status_code == 200
        paginator = response.context["page"].paginator
        assert paginator.count == 14 and paginator.num_pages == 5
        if connection.vendor == "postgresql":
            assert isinstance(paginator.object_list, selectors.OfficesInOrder)
        numbers = [case.number for case, _days in response.context["rows"]]
        assert numbers == expected[(page - 1) * PAGE:page * PAGE], page
        shown += numbers
    assert shown == expected


def test_one_office_and_a_filtered_queue_keep_their_order(client, make_user, offices, spread,
                                                          staff):
    client.force_login(staff[Role.SUPERVISOR])  # of the first office only
    response = client.get(reverse("staff:queues") + "?queue=all")
    first = _expected(staff[Role.SUPERVISOR])
    assert set(first) == set(Case.objects.filter(office=offices[0])
                             .values_list("number", flat=True))
    assert [case.number for case, _days in response.context["rows"]] == first[:PAGE]
    assert response.context["page"].paginator.count == 5

    supervisor = make_user(Role.SUPERVISOR, *offices, username="chief")
    client.force_login(supervisor)
    response = client.get(reverse("staff:queues") + "?queue=all&state=registered&page=2")
    paginator = response.context["page"].paginator
    assert not isinstance(paginator.object_list, selectors.OfficesInOrder)
    registered = [n for n in _expected(supervisor)
                  if Case.objects.get(number=n).state == "registered"]
    assert paginator.count == len(registered)
    assert [case.number for case, _days in response.context["rows"]] == \
        registered[PAGE:2 * PAGE]


def test_the_merge_reads_each_office_in_order(make_user, offices, spread):
    """Any slice, not only whole pages (the paginator's last page is cut to the count)."""
    supervisor = make_user(Role.SUPERVISOR, *offices, username="chief")
    cases = selectors.case_queue(actor=supervisor, spec=selectors.QueueFilter(queue="all"))
    merged = selectors.OfficesInOrder(cases, [o.pk for o in offices])
    expected = _expected(supervisor)
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot slice the parts of a union")
    for start, stop in [(0, 1), (0, 14), (2, 9), (13, 14), (12, 30)]:
        assert [c.number for c in merged[start:stop]] == expected[start:stop]
