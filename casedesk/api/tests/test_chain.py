"""/api/ goes through its own, shorter middleware chain (web.middleware.ApiMiddleware):
no session, login or CSRF there, a policy that allows nothing, and the rest as for
pages: no-store, the request's language, the host check, the client's address."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from casedesk.accounts.roles import Role

from .conftest import APPEALS, appeal_body

STRICT = "default-src 'none'; frame-ancestors 'none'"


def test_the_api_chain_holds_none_of_the_cookie_middleware():
    cookie_work = {"django.contrib.sessions.middleware.SessionMiddleware",
                   "django.middleware.csrf.CsrfViewMiddleware",
                   "django.contrib.auth.middleware.AuthenticationMiddleware",
                   "django_otp.middleware.OTPMiddleware", "axes.middleware.AxesMiddleware",
                   "django.contrib.messages.middleware.MessageMiddleware"}
    assert cookie_work <= set(settings.MIDDLEWARE)  # control: the pages have them
    assert not cookie_work & set(settings.API_MIDDLEWARE)
    # Everything else of the pages' chain is in the API's, in the same order.
    pages_only = {"casedesk.web.middleware.TrustedProxyMiddleware",
                  "casedesk.web.middleware.ApiMiddleware", "csp.middleware.CSPMiddleware",
                  "casedesk.accounts.auth_views.RequireSecondFactorMiddleware",
                  "django_htmx.middleware.HtmxMiddleware"}
    rest = [m for m in settings.MIDDLEWARE if m not in cookie_work | pages_only]
    assert rest == settings.API_MIDDLEWARE


def test_a_signed_in_clerk_posting_to_the_api_is_nobody_there(client, staff, office):
    client.force_login(staff[Role.INTAKE_CLERK])
    page = client.get("/ru/staff/")
    assert page.status_code == 200 and page.wsgi_request.user.is_authenticated  # control
    assert "script-src 'self'" in page["Content-Security-Policy"]
    response = client.post(APPEALS, json.dumps(appeal_body()),
                           content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="key-chain-0001", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.content
    request = response.wsgi_request
    # No session was read and no user attached: the clerk's cookie means nothing here.
    assert not hasattr(request, "session") and not hasattr(request, "user")
    assert not response.cookies
    assert response["Content-Security-Policy"] == STRICT
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("language", "words"), [("en", "consent"), ("ru", "согласны")])
def test_api_errors_keep_the_request_language(client, office, language, words):
    response = client.post(APPEALS, json.dumps(appeal_body(consent=False)),
                           content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="key-chain-0002",
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "consent_required"
    assert words in response.json()["error"]["message"]
    assert response["Content-Security-Policy"] == STRICT


def test_an_unknown_api_path_is_a_json_404_through_the_chain(client, db):
    response = client.get("/api/v1/nothing-here", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json()["error"]["code"]
    assert response["Content-Security-Policy"] == STRICT
