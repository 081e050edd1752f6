"""Mounted next to the project's language-prefixed pages, the API is not redirected to a
/ru/ prefix and its errors stay JSON."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.urls("casedesk.api.tests.urls_project")


def test_the_api_lives_outside_the_language_prefix(client, db):
    assert client.get("/api/v1/openapi.json").status_code == 200
    response = client.post("/api/v1/public/status",
                           json.dumps({"case_number": "MSK-1999-1", "access_code": "AAAA"}),
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response["Content-Language"] == "en"
    assert client.get("/api/v1/public/nothing").json()["error"]["code"] == "not_found"
