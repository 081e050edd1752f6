"""Issue 15, finding 8d: a staff search over case files is audited.

Before: searching the queues left no trace, so someone looking for a named person across
the office's cases could not be seen. Now each search records who searched, in which
queue with which filters, and how many cases it found; never the words searched for.
"""

import pytest
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

WARD = "Сын лежит в госпитале, а его записали в СОЧ."
PAY = "Мужу не выплатили денежное довольствие."


@pytest.fixture
def cases(register):
    return [register(text=WARD), register(text=WARD), register(text=PAY)]


@pytest.mark.parametrize(("language", "role"), [("ru", Role.CASEWORKER),
                                                ("en", Role.SUPERVISOR)])
def test_a_search_is_recorded_without_its_words(client, staff, cases, language, role):
    user = staff[role]
    client.force_login(user)
    response = client.get(reverse("staff:queues"), {"queue": "all", "q": "Иванов госпиталь"},
                          HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="case.search")
    assert (entry.actor_id, entry.actor_kind) == (user.pk, "staff")
    assert (entry.object_type, entry.object_id) == ("queue", "all")
    assert entry.data == {"filters": ["queue:all"], "count": 0}
    state = cases[0].state
    client.get(reverse("staff:queues"), {"queue": "all", "q": "госпиталь", "state": state})
    entry = AuditEntry.objects.filter(action="case.search").order_by("-seq").first()
    assert entry.data == {"filters": ["queue:all", f"state:{state}"], "count": 2}
    for entry in AuditEntry.objects.filter(action="case.search"):
        row = " ".join(str(v) for v in (entry.action, entry.object_type, entry.object_id,
                                        entry.data))
        assert "госпитал" not in row and "Иванов" not in row


def test_browsing_a_queue_without_a_search_is_not_a_search(client, staff, cases):
    client.force_login(staff[Role.CASEWORKER])
    client.get(reverse("staff:queues"), {"queue": "all"})
    assert not AuditEntry.objects.filter(action="case.search").exists()
