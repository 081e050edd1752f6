"""Fixtures for the API tests: the API mounted on its own (``urls.py`` here), a clean rate
limit cache, the API's message catalogue, and a valid appeal body to vary."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.cache import cache

import casedesk.api

API_LOCALE = Path(casedesk.api.__file__).resolve().parent / "locale"
APPEALS = "/api/v1/public/appeals"
STATUS = "/api/v1/public/status"

VALID = {
    "applicant": {
        "name": "Иванова Анна Петровна",
        "relation": "mother",
        "email": "anna@example.org",
        "phone": "+7 900 000-00-00",
        "postal_address": "Москва, ул. Примерная, 1",
    },
    "service_member": {
        "name": "Иванов Пётр Сергеевич",
        "birth_date": "1990-05-01",
        "unit": "12345",
        "region": "RU-MOW",
        "service_type": "mobilized",
    },
    "text": "Сына записали в СОЧ, хотя он лежит в госпитале.",
    "request": "Исправить запись.",
    "category": "record_error_awol",
    "consent": True,
}


def appeal_body(**changes) -> dict:
    """The valid body with top-level ``changes``; ``applicant__x`` / ``service_member__x``
    change one nested field; the value ``...`` removes the field."""
    body = copy.deepcopy(VALID)
    for name, value in changes.items():
        target, key = body, name
        if "__" in name:
            outer, key = name.split("__", 1)
            target = body[outer]
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = value
    return body


@pytest.fixture(autouse=True)
def api_environment(settings):
    """The API's catalogue even before ``casedesk.api`` is in INSTALLED_APPS, and rate
    limits that start from zero in every test."""
    if "casedesk.api" not in settings.INSTALLED_APPS:
        settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, API_LOCALE]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def submit(client, office):
    """POST an appeal body (a dict, or raw text) to the API."""

    def post(body=None, *, key: str | None = "key-0000-0001", **extra):
        data = body if isinstance(body, (str, bytes)) else json.dumps(
            appeal_body() if body is None else body)
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return client.post(APPEALS, data, content_type="application/json", **extra)

    return post


@pytest.fixture
def check_status(client):
    """POST a status request (the only form there is)."""

    def check(case_number: str, access_code: str, **extra):
        return client.post(STATUS, json.dumps({"case_number": case_number,
                                                "access_code": access_code}),
                           content_type="application/json", **extra)

    return check
