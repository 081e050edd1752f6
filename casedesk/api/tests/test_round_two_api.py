"""Issue 15, findings 11 and 18 (API points): the status is asked for by POST only, OPTIONS
answers JSON with a truthful ``Allow``, the schema says consent must be true, and the
Russian message for a reused idempotency key says what the English one says."""

from __future__ import annotations

import json

import pytest

from .conftest import APPEALS, STATUS, appeal_body

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")
OFFICES = "/api/v1/public/offices"


@pytest.fixture
def receipt(submit):
    response = submit()
    assert response.status_code == 201
    return response.json()


def test_the_status_cannot_be_asked_for_with_the_code_in_the_url(client, receipt):
    response = client.get(STATUS, {"case_number": receipt["case_number"],
                                   "access_code": receipt["access_code"]},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "OPTIONS, POST"
    assert receipt["case_number"] not in response.content.decode()


def test_the_schema_offers_no_get_form_of_the_status(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/public/status"]) == {"post"}


@pytest.mark.parametrize("path, allowed", [
    (APPEALS, "OPTIONS, POST"), (STATUS, "OPTIONS, POST"), (OFFICES, "GET, OPTIONS")])
def test_options_answers_json_with_the_methods_really_served(client, db, path, allowed):
    response = client.options(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Allow"] == allowed
    assert response.json() == {"allow": allowed.split(", ")}
    # The header tells the truth: every method it lists is served (not 405), every other
    # one is refused with 405, JSON and the same header.
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        answer = client.generic(method, path, "{}", content_type="application/json",
                                HTTP_IDEMPOTENCY_KEY="key-options-0001")
        if method in allowed.split(", "):
            assert answer.status_code != 405, (method, path)
        else:
            assert answer.status_code == 405, (method, path)
            assert answer["Allow"] == allowed
            assert answer["Content-Type"].startswith("application/json")


def test_an_unknown_path_is_a_json_404_for_options_too(client, db):
    response = client.options("/api/v1/public/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_says_consent_must_be_true(client, db):
    consent = client.get("/api/v1/openapi.json").json()[
        "components"]["schemas"]["AppealIn"]["properties"]["consent"]
    assert consent["const"] is True and consent["enum"] == [True]
    assert consent["type"] == "boolean"


def test_false_consent_is_still_refused_with_a_reason(submit):
    refused = submit(appeal_body(consent=False), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "consent_required"


@pytest.mark.parametrize("language, words", [
    ("en", ["Idempotency-Key", "already used for a different appeal", "new key"]),
    ("ru", ["Idempotency-Key", "уже использован для другого обращения", "новым ключом"]),
])
def test_a_reused_key_is_explained_in_both_languages_alike(submit, language, words):
    assert submit(key="key-reused-0001").status_code == 201
    other = appeal_body(text="Совсем другое обращение.")
    refused = submit(other, key="key-reused-0001", HTTP_ACCEPT_LANGUAGE=language)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    for word in words:
        assert word in error["message"], error["message"]


def test_the_status_body_is_still_served_by_post(client, receipt):
    response = client.post(STATUS, json.dumps({"case_number": receipt["case_number"],
                                               "access_code": receipt["access_code"]}),
                           content_type="application/json")
    assert response.status_code == 200
