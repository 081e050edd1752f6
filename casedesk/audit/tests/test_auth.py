import json

import pytest
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain

pytestmark = pytest.mark.django_db


def dump() -> str:
    return json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)


def test_login_and_logout_are_recorded_without_the_username(client, staff):
    worker = staff[Role.CASEWORKER]
    assert client.login(username="caseworker", password="x" * 16)
    client.logout()
    entries = list(AuditEntry.objects.values_list("action", "actor_id", "actor_kind",
                                                  "object_type", "object_id"))
    assert entries == [("login", worker.pk, "staff", "user", str(worker.pk)),
                       ("logout", worker.pk, "staff", "user", str(worker.pk))]
    assert "caseworker" not in dump()
    assert verify_chain()[0]


def test_a_failed_login_through_the_login_page_records_only_the_address(client, staff):
    response = client.post(reverse("staff:login"),
                           {"username": "caseworker", "password": "wrong-password-1"})
    assert response.status_code == 200  # the form again
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.actor_kind, entry.ip, entry.data) == (
        "login_failed", None, "anonymous", "127.0.0.1", {})
    assert "caseworker" not in dump()
    assert "wrong-password" not in dump()


def test_a_failed_login_for_an_unknown_user_leaves_no_trace_of_the_name(client, db):
    assert not client.login(username="anna.ivanova@example.org", password="whatever-123")
    assert AuditEntry.objects.get().action == "login_failed"
    assert "anna" not in dump()


def test_a_successful_login_through_the_page_records_the_address(client, staff):
    client.post(reverse("staff:login"), {"username": "caseworker", "password": "x" * 16})
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.ip) == ("login", "127.0.0.1")
