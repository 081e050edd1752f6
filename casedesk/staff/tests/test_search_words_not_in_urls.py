"""The words of a queue search (often a soldier's or a mother's name) never reach a URL:
the form is sent by POST and the queue, its tabs, pages and downloads name the search by
a session token (staff/searches.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casedesk.accounts.roles import Role

pytestmark = pytest.mark.django_db

WORDS = "Кузнецова госпиталь"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_search_is_posted_and_the_address_holds_a_token_not_the_words(
        client, staff, register, language):
    found = register(text="Сын в госпитале, мать Кузнецова просит помочь.")
    register(text="Другое обращение о выплатах.")
    client.force_login(staff[Role.SUPERVISOR])
    url = f"/{language}/staff/"
    response = client.post(url, {"queue": "all", "q": WORDS, "state": ""})
    assert response.status_code == 302
    target = response["Location"]
    assert "s=" in target
    for word in WORDS.split():
        assert word not in target and word.lower() not in target
    assert "q=" not in target and "%D0" not in target  # no Cyrillic, even encoded
    page = client.get(target)
    body = page.content.decode()
    assert found.number in body
    assert "Другое" not in body
    # Tabs, pages and downloads carry the token, never the words.
    links = re.findall(r'(?:href|hx-get)="([^"]*)"', body)
    assert not [link for link in links if "q=" in link or "%D0" in link]
    token = target.split("s=", 1)[1].split("&", 1)[0]
    assert sum(f"s={token}" in link for link in links) >= 3  # tabs and downloads


def test_a_token_from_another_session_finds_nothing(client, staff, register):
    register(text="Сын в госпитале, мать Кузнецова просит помочь.")
    client.force_login(staff[Role.SUPERVISOR])
    target = client.post(reverse("staff:queues"), {"queue": "all", "q": WORDS})["Location"]
    other = client.__class__()
    other.force_login(staff[Role.CASEWORKER])
    body = other.get(target).content.decode()
    # Without the session's words the token is no search: the plain queue, no audit of a
    # search, and nothing of the words.
    assert "Кузнецова" not in body


def test_the_download_of_a_searched_queue_uses_the_token(client, staff, register):
    found = register(text="Сын в госпитале, мать Кузнецова просит помочь.")
    other = register(text="Другое обращение о выплатах.")
    client.force_login(staff[Role.SUPERVISOR])
    target = client.post(reverse("staff:queues"), {"queue": "all", "q": WORDS})["Location"]
    query = target.split("?", 1)[1]
    response = client.get(reverse("staff:queue_export", args=["csv"]) + "?" + query)
    text = b"".join(response.streaming_content).decode("utf-8-sig") \
        if response.streaming else response.content.decode("utf-8-sig")
    assert found.number in text and other.number not in text
