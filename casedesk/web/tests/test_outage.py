"""A database outage (issue 15, finding 16) is a 503 with Retry-After, in the person's
language, on the portal, the staff pages and the API; an appeal stored just before the
failure is not registered twice when it is sent again."""

from __future__ import annotations

import contextlib
import json
import re
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections
from django.test import Client

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case
from casedesk.core import crypto

APPEALS = "/api/v1/public/appeals"
API_APPEAL = {
    "applicant": {"name": "Иванова Анна Петровна", "relation": "mother",
                  "email": "anna@example.org"},
    "service_member": {"name": "Иванов Пётр Сергеевич", "birth_date": "1990-05-01",
                       "region": "RU-MOW", "service_type": "mobilized"},
    "text": "Сына записали в СОЧ, хотя он лежит в госпитале.",
    "category": "record_error_awol", "consent": True,
}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@contextlib.contextmanager
def database_down(alias: str = "default", error=OperationalError):
    """Every new statement on ``alias`` fails as it does when the server is gone."""
    def refuse(*args, **kwargs):
        raise error("could not connect to server: Connection refused")

    with mock.patch.object(connections[alias], "ensure_connection", refuse):
        yield


def form_key(client, language="ru") -> str:
    page = client.get(f"/{language}/appeal/")
    return re.search(r'name="key" value="([0-9a-f]+)"', page.content.decode()).group(1)


def appeal_data(key: str) -> dict:
    return {
        "key": key, "relation": "mother", "applicant_name": "Петрова Анна Ивановна",
        "email": "anna@example.org", "member_name": "Петров Иван Сергеевич",
        "member_birth_date": "1995-02-01", "member_unit": "12345",
        "member_service_type": "mobilized", "category": "record_error_awol",
        "text": "Сын в госпитале, а в части записан в СОЧ.", "consent": "on",
    }


RU = ("Сервис ненадолго недоступен", "Ваше обращение, возможно, уже получено",
      "Отправить его ещё раз безопасно")
EN = ("The service is briefly unavailable", "Your appeal may have been received already",
      "Sending it again is safe")


def assert_unavailable(response, words) -> str:
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    for phrase in words:
        assert phrase in text, phrase
    return text


@pytest.mark.parametrize(("language", "words"), [("ru", RU), ("en", EN)])
def test_an_appeal_sent_during_an_outage_gets_a_503_in_the_persons_language(
        office, language, words):
    client = Client(raise_request_exception=False)
    key = form_key(client, language)
    with database_down():
        response = client.post(f"/{language}/appeal/", appeal_data(key))
    text = assert_unavailable(response, words)
    assert f'lang="{language}"' in text
    assert "Traceback" not in text and "OperationalError" not in text


def test_resending_an_appeal_stored_just_before_the_outage_registers_it_once(
        office, monkeypatch):
    """The commit went through, then the database went away before the answer (here: the
    session could not be saved). The person sees the 503 page and resends the same form:
    one appeal, and the receipt of that one."""
    client = Client(raise_request_exception=False)
    data = appeal_data(form_key(client))

    def gone(self, must_create=False):
        raise InterfaceError("connection already closed")

    with monkeypatch.context() as patch:
        patch.setattr(SessionStore, "save", gone)
        response = client.post("/ru/appeal/", data)
    assert_unavailable(response, RU)
    stored = Case.objects.get()

    again = client.post("/ru/appeal/", data)
    assert again.status_code == 302
    receipt = client.get(again["Location"]).content.decode()
    assert stored.number in receipt
    assert Case.objects.count() == 1 and Appeal.objects.count() == 1


@pytest.mark.parametrize(("language", "title", "advice"), [
    ("ru", "Сервис ненадолго недоступен", "Если вы что-то сохраняли"),
    ("en", "The service is briefly unavailable", "If you were saving something")])
def test_a_staff_page_during_an_outage_is_a_503(staff, language, title, advice):
    # The session and the user are read by middleware, before any view runs.
    client = Client(raise_request_exception=False)
    client.force_login(staff[Role.CASEWORKER])
    with database_down():
        response = client.get(f"/{language}/staff/")
    text = assert_unavailable(response, (title, advice))
    assert "appeal may have been received" not in text


def test_the_key_store_going_away_is_a_503_too(staff, register):
    case = register()
    crypto.cache_clear()
    client = Client(raise_request_exception=False)
    client.force_login(staff[Role.CASEWORKER])
    with database_down("keys"):
        response = client.get(f"/en/staff/cases/{case.number}/")
    assert_unavailable(response, ("The service is briefly unavailable",))


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Сервис ненадолго недоступен"), ("en", "The service is briefly unavailable")])
def test_the_api_answers_an_outage_with_a_json_503_and_a_retry_is_one_appeal(
        office, language, words):
    client = Client(raise_request_exception=False)

    def submit():
        return client.post(APPEALS, json.dumps(API_APPEAL),
                           content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="key-0000-0042", HTTP_ACCEPT_LANGUAGE=language)

    with database_down():
        response = submit()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == "unavailable" and words in error["message"]
    assert set(error) == {"code", "message"}

    first, again = submit(), submit()
    assert first.status_code == again.status_code == 201
    assert first.json()["case_number"] == again.json()["case_number"]
    assert Appeal.objects.count() == 1


def test_only_a_database_that_does_not_answer_is_an_outage():
    from django.db import IntegrityError, ProgrammingError

    from casedesk.core.outage import is_outage

    assert is_outage(OperationalError("gone")) and is_outage(InterfaceError("closed"))
    try:
        try:
            raise OperationalError("gone")
        except OperationalError as error:
            raise RuntimeError("while saving") from error
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
    try:
        try:
            raise OperationalError("gone")
        except OperationalError:
            raise ValueError("handled, and said so") from None
    except ValueError as unrelated:
        assert not is_outage(unrelated)
    assert not is_outage(IntegrityError("duplicate")) and not is_outage(ProgrammingError())
    assert not is_outage(RuntimeError("a bug")) and not is_outage(None)
