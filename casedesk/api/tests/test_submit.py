"""POST /api/v1/public/appeals: one case per idempotency key, and every bad input a 4xx
with a JSON error that names what is wrong."""

from __future__ import annotations

import json

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Appeal, Case
from casedesk.cases.services import MAX_TEXT
from casedesk.people.models import Person

from .conftest import APPEALS, STATUS, appeal_body

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")


def counts():
    return Case.objects.count(), Appeal.objects.count(), Person.objects.count()


def test_an_appeal_is_registered_and_a_repeat_gets_the_same_receipt(submit):
    first = submit()
    assert first.status_code == 201, first.content
    receipt = first.json()
    assert set(receipt) == {"case_number", "access_code", "answer_due", "office"}
    assert receipt["case_number"].startswith("MSK-")
    assert len(receipt["access_code"]) == 14  # XXXX-XXXX-XXXX
    assert receipt["answer_due"]  # an ISO date: the latest day the answer is owed
    case = Case.objects.get()
    assert case.state == "received"
    appeal = case.appeals.get()
    assert appeal.channel == "api"
    assert appeal.request == "Исправить запись."
    assert case.category == "record_error_awol"
    assert case.service_member.region.code == "RU-MOW"
    before = counts()

    again = submit()
    assert again.status_code == 201
    assert again.content == first.content
    # The language of the request is not part of what was submitted.
    again_en = submit(HTTP_ACCEPT_LANGUAGE="en").json()
    # (only the office's name is given in the language of the request)
    assert again_en.pop("office")["name"] == "Moscow"
    assert again_en == {k: v for k, v in receipt.items() if k != "office"}
    assert counts() == before


def test_a_submission_takes_few_statements_and_few_under_the_counter_lock(submit):
    """Every statement from the case-number reservation on runs with the office's counter
    (and then the audit chain) locked until the commit, so concurrent submissions to the
    office queue behind them: keep them few (bench/intake.py measures the throughput)."""
    assert submit(key="key-0000-0000").status_code == 201  # the year's counter row exists
    with CaptureQueriesContext(connection) as data, \
            CaptureQueriesContext(connections["keys"]) as keys:
        assert submit(key="key-0000-0001").status_code == 201
    statements = [q["sql"] for q in data.captured_queries]
    locked = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
    assert len(statements) <= 20, "\n".join(statements)
    # 14: the acknowledgement's outbox row is written in the same transaction (issue 15,
    # finding 14: a notice the receipt promises is never lost).
    assert len(statements) - locked <= 14, "\n".join(statements[locked:])
    # Both people's data keys in one write to the key store (a COPY on PostgreSQL).
    writes = [q["sql"] for q in keys if q["sql"].startswith(("INSERT", "COPY"))]
    assert len(writes) == 1, writes


def test_the_same_key_with_another_body_is_refused(submit):
    assert submit().status_code == 201
    before = counts()
    response = submit(appeal_body(text="Совсем другое обращение."))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert counts() == before


def test_another_key_is_another_appeal(submit):
    assert submit(key="key-0000-0001").status_code == 201
    assert submit(key="key-0000-0002").status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("extra", "field", "language"),
    [({}, None, "ru"), ({"HTTP_ACCEPT_LANGUAGE": "en"}, None, "en"),
     ({"HTTP_ACCEPT_LANGUAGE": "de"}, None, "ru"),
     ({"HTTP_ACCEPT_LANGUAGE": "en"}, "ru", "ru")],
)
def test_the_language_is_given_or_taken_from_the_request(submit, extra, field, language):
    body = appeal_body() if field is None else appeal_body(language=field)
    assert submit(body, **extra).status_code == 201
    assert Appeal.objects.get().language == language


def test_a_service_member_writing_for_himself_keeps_his_service_details(submit):
    body = appeal_body(applicant__relation="self", applicant__name="Петров Иван",
                       service_member={"birth_date": "1985-02-03", "unit": "54321",
                                       "service_type": "contract", "region": "RU-MOW"})
    response = submit(body)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    person = case.service_member
    assert case.appeals.get().submitter == person
    assert person.full_name == "Петров Иван"
    assert (person.birth_date.isoformat(), person.unit, person.service_type,
            person.region.code) == ("1985-02-03", "54321", "contract", "RU-MOW")
    assert person.email == "anna@example.org"
    # Without the service member block too.
    assert submit(appeal_body(applicant__relation="self", service_member=...),
                  key="key-0000-0002").status_code == 201


def test_no_csrf_token_and_no_cookie(office):
    client = Client(enforce_csrf_checks=True)
    response = client.post(APPEALS, json.dumps(appeal_body()), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="key-0000-0001")
    assert response.status_code == 201
    assert not response.cookies


LONG = "я" * 301
BAD_INPUTS = [
    # (name, body or raw text, headers, status, error code, field named in the message)
    ("not json", "{bad", {}, 400, "bad_json", None),
    ("empty body", "", {}, 400, "bad_json", None),
    ("not utf-8", b"\xff\xfe{", {}, 400, "bad_json", None),
    ("nested too deep", "[" * 30000 + "]" * 30000, {}, 400, "bad_json", None),
    ("a list", "[1, 2]", {}, 422, "invalid", "body"),
    ("a string", '"appeal"', {}, 422, "invalid", "body"),
    ("null", "null", {}, 422, "invalid", "body"),
    ("200 KiB", json.dumps(appeal_body(text="я" * 200 * 1024)), {}, 413, "too_large", None),
    ("6 MiB", "x" * 6 * 1024**2, {}, 413, "too_large", None),
    ("no applicant", appeal_body(applicant=...), {}, 422, "invalid", "applicant"),
    ("applicant a string", appeal_body(applicant="Иванова"), {}, 422, "invalid", "applicant"),
    ("no name", appeal_body(applicant__name=...), {}, 422, "invalid", "applicant.name"),
    ("empty name", appeal_body(applicant__name=""), {}, 422, "invalid", "applicant.name"),
    ("blank name", appeal_body(applicant__name="   "), {}, 422, "missing_name", None),
    ("long name", appeal_body(applicant__name=LONG), {}, 422, "invalid", "applicant.name"),
    ("name a number", appeal_body(applicant__name=5), {}, 422, "invalid", "applicant.name"),
    ("no relation", appeal_body(applicant__relation=...), {}, 422, "invalid",
     "applicant.relation"),
    ("wrong relation", appeal_body(applicant__relation="neighbour"), {}, 422, "invalid",
     "applicant.relation"),
    ("bad email", appeal_body(applicant__email="not-an-address"), {}, 422, "invalid",
     "applicant.email"),
    ("long phone", appeal_body(applicant__phone="1" * 41), {}, 422, "invalid",
     "applicant.phone"),
    ("long unit", appeal_body(service_member__unit="1" * 101), {}, 422, "invalid",
     "service_member.unit"),
    ("wrong service type", appeal_body(service_member__service_type="pirate"), {}, 422,
     "invalid", "service_member.service_type"),
    ("birth date a number", appeal_body(service_member__birth_date=19900501), {}, 422,
     "invalid", "service_member.birth_date"),
    ("birth date not a date", appeal_body(service_member__birth_date="1990-13-01"), {}, 422,
     "invalid", "service_member.birth_date"),
    ("birth date in words", appeal_body(service_member__birth_date="1 May 1990"), {}, 422,
     "invalid", "service_member.birth_date"),
    ("birth date to come", appeal_body(service_member__birth_date="2990-01-01"), {}, 422,
     "invalid", "service_member.birth_date"),
    ("region not a code", appeal_body(service_member__region="Москва"), {}, 422, "invalid",
     "service_member.region"),
    ("unknown region", appeal_body(service_member__region="RU-XX"), {}, 422,
     "unknown_region", None),
    ("no service member", appeal_body(service_member=...), {}, 422,
     "missing_service_member", None),
    ("service member unnamed", appeal_body(service_member__name=...), {}, 422,
     "missing_name", None),
    ("service member a list", appeal_body(service_member=[]), {}, 422, "invalid",
     "service_member"),
    ("no text", appeal_body(text=...), {}, 422, "invalid", "text"),
    ("blank text", appeal_body(text="   "), {}, 422, "missing_text", None),
    ("text a number", appeal_body(text=5), {}, 422, "invalid", "text"),
    ("text too long", appeal_body(text="a" * (MAX_TEXT * 4 + 1)), {}, 422, "invalid", "text"),
    ("NUL in text", appeal_body(text="a\x00b"), {}, 422, "invalid", "text"),
    ("lone surrogate", json.dumps(appeal_body(text="HERE")).replace("HERE", "\\ud800"), {}, 422,
     "invalid", "text"),
    ("request a list", appeal_body(request=["a"]), {}, 422, "invalid", "request"),
    ("unknown category", appeal_body(category="space_travel"), {}, 422, "unknown_category",
     None),
    ("long category", appeal_body(category="c" * 51), {}, 422, "invalid", "category"),
    ("unknown language", appeal_body(language="de"), {}, 422, "invalid", "language"),
    ("no consent", appeal_body(consent=...), {}, 422, "invalid", "consent"),
    ("consent refused", appeal_body(consent=False), {}, 422, "consent_required", None),
    ("consent a string", appeal_body(consent="yes"), {}, 422, "invalid", "consent"),
    ("consent a number", appeal_body(consent=1), {}, 422, "invalid", "consent"),
    ("no idempotency key", appeal_body(), {"key": None}, 400, "missing_idempotency_key",
     None),
    ("short idempotency key", appeal_body(), {"key": "abc"}, 400, "bad_idempotency_key",
     None),
    ("long idempotency key", appeal_body(), {"key": "k" * 201}, 400, "bad_idempotency_key",
     None),
    ("blank idempotency key", appeal_body(), {"key": " " * 10}, 400, "bad_idempotency_key",
     None),
]


@pytest.mark.parametrize(("body", "headers", "status", "code", "field"),
                         [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_gets_a_json_4xx_and_writes_nothing(submit, body, headers, status, code,
                                                      field):
    before = counts()
    response = submit(body, **headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field:
        assert field in error["message"]
        assert field in error["fields"]
    assert counts() == before


def test_a_refusal_names_every_wrong_field(submit):
    body = appeal_body(applicant__relation="neighbour", consent="yes", text=...)
    error = submit(body).json()["error"]
    assert set(error["fields"]) == {"applicant.relation", "consent", "text"}


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [("get", APPEALS, 405, "method_not_allowed"), ("put", APPEALS, 405, "method_not_allowed"),
     ("delete", STATUS, 405, "method_not_allowed"), ("patch", STATUS, 405, "method_not_allowed"),
     ("get", "/api/v1/public/nothing", 404, "not_found"),
     ("post", APPEALS + "/", 404, "not_found")],
)
def test_wrong_methods_and_paths_get_json_errors(client, method, url, status, code):
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status == 405:
        assert "POST" in response["Allow"]


def test_the_receipt_is_never_cached(submit):
    response = submit()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("language", "words"),
    [("ru", ["Передайте", "заголовок"]), ("en", ["Send an Idempotency-Key header"])],
)
def test_messages_are_in_the_language_of_the_request(submit, language, words):
    response = submit(key=None, HTTP_ACCEPT_LANGUAGE=language)
    message = response.json()["error"]["message"]
    for word in words:
        assert word in message
    invalid = submit(appeal_body(consent="yes"), HTTP_ACCEPT_LANGUAGE=language)
    assert ("поля" if language == "ru" else "fields") in invalid.json()["error"]["message"]
    # Cyrillic travels as UTF-8, not as \u escapes.
    if language == "ru":
        assert "Передайте".encode() in response.content


def test_submissions_are_rate_limited_per_ip(submit, settings):
    settings.CASEDESK_RATE_SUBMIT = "2/h"
    assert submit(key="key-0000-0001").status_code == 201
    assert submit(key="key-0000-0002").status_code == 201
    refused = submit(key="key-0000-0003", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "Too many requests" in refused.json()["error"]["message"]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert Case.objects.count() == 2
    # Another client is not held back.
    assert submit(key="key-0000-0004", REMOTE_ADDR="10.0.0.9").status_code == 201


def test_an_unexpected_failure_is_a_json_500_without_personal_data(submit, monkeypatch,
                                                                   caplog):
    name = appeal_body()["applicant"]["name"]

    def broken(**kwargs):
        raise RuntimeError(name)

    monkeypatch.setattr("casedesk.api.v1.public.appeal_submit", broken)
    response = submit()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "Иванова" not in response.content.decode()
    assert "RuntimeError" in caplog.text
    assert "Иванова" not in caplog.text


def test_without_a_receiving_office_the_service_is_unavailable(client, db):
    response = client.post(APPEALS, json.dumps(appeal_body()), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="key-0000-0001")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "no_office"
