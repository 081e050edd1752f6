"""The queue says where a search matched each case (issue 18): the service member, an
applicant, the texts or the number; nothing more is decrypted than the page shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casedesk.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "label"), [("ru", "Найдено"), ("en", "Found in")])
def test_the_row_says_where_the_search_matched(client, staff, register, language, label):
    member = register(text="Прошу разобраться.")  # the service member is Иванов Пётр
    client.force_login(staff[Role.SUPERVISOR])
    target = client.post(f"/{language}/staff/", {"queue": "all", "q": "Иванов Пётр"})
    body = client.get(target["Location"]).content.decode()
    assert member.number in body
    assert label in body
    where = "военнослужащий" if language == "ru" else "service member"
    assert f"{label}: {where}" in body


def test_no_label_without_a_search(client, staff, register):
    register(text="Прошу разобраться.")
    client.force_login(staff[Role.SUPERVISOR])
    body = client.get(reverse("staff:queues") + "?queue=all").content.decode()
    assert "search-where" not in body
