"""Issue 15, finding 13: a NUL byte in a staff case URL was a 500 (PostgreSQL refuses NUL
in a query parameter); the bulk reassignment followed a ``next`` of ``//evil.example``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case

NUL_PAGES = [
    ("get", "/en/staff/cases/MSK-2026-%00/"),
    ("get", "/en/staff/cases/%00/"),
    ("get", "/ru/staff/cases/MSK-2026-000001%00/"),
    ("get", "/en/staff/cases/MSK-2026-%00/documents/1/"),
    ("post", "/en/staff/cases/MSK-2026-%00/access-code/"),
    ("post", "/en/staff/cases/MSK-2026-%00/notes/"),
    ("post", "/en/staff/cases/MSK-2026-%00/assign/"),
    ("post", "/en/staff/cases/MSK-2026-%00/move/close/"),
    ("post", "/en/staff/cases/MSK-2026-%00/letters/"),
    ("post", "/en/staff/cases/MSK-2026-%00/refer/"),
    ("post", "/en/staff/cases/MSK-2026-%00/extension/"),
    ("post", "/en/staff/cases/MSK-2026-%00/answer/"),
]


@pytest.mark.parametrize("method, url", NUL_PAGES)
def test_a_nul_in_a_case_number_is_a_404(client, staff, register, method, url):
    register()  # MSK-2026-000001 exists
    client.force_login(staff[Role.SUPERVISOR])
    client.raise_request_exception = False
    response = getattr(client, method)(url)
    assert response.status_code == 404, (url, response.status_code)


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/en/staff/", "https://evil.example",
    "https://evil.example/en/staff/", "/\\evil.example", "\\\\evil.example",
    "http:evil.example", "javascript:alert(1)", " //evil.example",
])
def test_bulk_reassign_never_sends_the_supervisor_elsewhere(client, staff, register,
                                                            target):
    case = register()
    client.force_login(staff[Role.SUPERVISOR])
    response = client.post(reverse("staff:bulk_assign"), {
        "cases": [case.pk], "assignee": staff[Role.CASEWORKER].pk, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queues")
    assert Case.objects.get(pk=case.pk).assignee == staff[Role.CASEWORKER]


def test_bulk_reassign_returns_to_the_filtered_queue(client, staff, register):
    case = register()
    client.force_login(staff[Role.SUPERVISOR])
    back = "/en/staff/?queue=all&page=2"
    response = client.post(reverse("staff:bulk_assign"), {
        "cases": [case.pk], "assignee": staff[Role.CASEWORKER].pk, "next": back})
    assert response["Location"] == back
