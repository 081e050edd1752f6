"""Between the POST of an appeal and its receipt, the access code is not readable from the
session store (issue 15, finding 11): it waits there sealed under a one-time key that only
the browser holds, and the receipt page removes both."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from casedesk.portal.views import RECEIPT_KEY_COOKIE

from .test_views import appeal_data, form_key


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _stored_sessions() -> str:
    return "\n".join(f"{row.session_data}\n{json.dumps(row.get_decoded())}"
                     for row in Session.objects.all())


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_code_waits_for_the_receipt_sealed_under_a_key_only_the_browser_holds(
        client, office, settings, language):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    response = client.post(f"/{language}/appeal/", appeal_data(form_key(client, language)))
    assert response.status_code == 302
    assert response.cookies[RECEIPT_KEY_COOKIE]["httponly"]
    stored = _stored_sessions()  # what a copy of the session table holds at this moment

    # Someone with the session cookie but not the one-time key sees the number only.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not re.search(r'class="code">', thief.get(reverse("portal:receipt")).content.decode())

    page = client.get(reverse("portal:receipt"))
    code = re.search(r'class="code">([A-Z0-9-]+)<', page.content.decode()).group(1)
    assert code not in stored and code.replace("-", "") not in stored
    # Shown once: the key cookie is deleted, the session keeps no sealed code either.
    assert page.cookies[RECEIPT_KEY_COOKIE].value == ""
    assert code not in client.get(reverse("portal:receipt")).content.decode()
    assert all(not (row.get_decoded().get("portal_receipt") or {}).get("access_code")
               for row in Session.objects.all())
