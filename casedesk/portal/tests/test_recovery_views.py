"""A lost access code: the case number and the email given in the appeal get a new code
by email (through the notifications outbox); the old code stops working; the page says
the same whatever was typed; requests are limited and the recovery is audited; without an
email, the page says how to ask by post and where."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.core.cache import cache

from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.intake import public
from casedesk.intake.tests.test_routing import make_offices

from .test_views import submit

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SENT = {"en": "If the details match, a new code has been sent to the email address given "
              "in the appeal.",
        "ru": "Если данные совпали, новый код отправлен на адрес электронной почты"}
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    settings.TASKS = IMMEDIATE
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def offices(db):
    return make_offices()


def recover(client, django_capture_on_commit_callbacks, number, email, language="en"):
    """Ask for a new code; returns the page shown after it."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/{language}/status/lost-code/",
                               {"case_number": number, "email": email})
    assert response.status_code == 302, response.status_code
    assert response["Location"] == f"/{language}/status/lost-code/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def opens(client, number: str, code: str) -> bool:
    response = client.post("/en/status/", {"case_number": number, "access_code": code})
    return response.status_code == 302


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_right_email_gets_a_new_code_and_the_old_one_stops_working(
        client, offices, django_capture_on_commit_callbacks, language):
    mail.outbox.clear()
    _, number, old = submit(client, language=language, email="Anna@Example.org")
    mail.outbox.clear()
    # Typed carelessly: the number in lower case with spaces, the address in capitals.
    page = recover(client, django_capture_on_commit_callbacks, f" {number.lower()} ",
                   "ANNA@example.ORG", language)
    assert SENT[language] in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Anna@Example.org"]
    assert number in message.subject
    assert {"ru": "Новый код доступа", "en": "A new access code"}[language] in message.subject
    new = CODE.search(message.body).group(0)
    assert new != old and old not in message.body
    assert {"ru": "Прежний код больше не действует",
            "en": "The old code no longer works"}[language] in message.body
    assert opens(client, number, new)
    assert not opens(client, number, old)
    case = Case.objects.get(number=number)
    entry = AuditEntry.objects.get(action="access_code.recovered")
    assert (entry.object_type, entry.object_id, entry.actor_kind) == (
        "case", str(case.pk), "applicant")
    assert "anna" not in str(entry.data).lower() and new not in str(entry.data)


def test_a_wrong_email_or_an_unknown_case_gets_the_same_page_and_nothing_is_sent(
        client, offices, django_capture_on_commit_callbacks):
    _, number, code = submit(client, email="anna@example.org")
    stored = Case.objects.get(number=number).access_code_hash
    mail.outbox.clear()
    pages = [recover(client, django_capture_on_commit_callbacks, n, e) for n, e in [
        (number, "someone@example.org"), ("MSK-2026-999999", "anna@example.org"),
        (number, "anna@example.org")]]
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", pages[0]) == token.sub("", pages[1]) == token.sub("", pages[2])
    assert SENT["en"] in pages[0]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.org"]  # the match
    assert AuditEntry.objects.filter(action="access_code.recovered").count() == 1
    assert Case.objects.get(number=number).access_code_hash != stored
    # The service itself: no match, no change.
    assert public.access_code_recover(case_number=number, email="") is False
    assert public.access_code_recover(case_number="", email="anna@example.org") is False


def test_without_an_email_on_file_nothing_is_sent_and_the_page_says_how_to_ask_by_post(
        client, offices, django_capture_on_commit_callbacks):
    _, number, code = submit(client, email="")
    mail.outbox.clear()
    page = recover(client, django_capture_on_commit_callbacks, number, "anna@example.org")
    assert not mail.outbox and opens(client, number, code)
    for language, words in [("en", "Then ask for a new code by post"),
                            ("ru", "Тогда запросите новый код по почте")]:
        text = html.unescape(client.get(f"/{language}/status/lost-code/").content.decode())
        assert words in text
        for office in offices.values():
            assert office.address(language) in text
    assert "Then ask for a new code by post" in page


def test_the_status_page_links_to_the_recovery(client, offices):
    for language, words in [("en", "Lost your access code?"), ("ru", "Потеряли код доступа?")]:
        text = html.unescape(client.get(f"/{language}/status/").content.decode())
        assert f'href="/{language}/status/lost-code/"' in text and words in text


def test_requests_are_limited_per_case_number_and_per_client(
        client, offices, settings, django_capture_on_commit_callbacks):
    settings.CASEDESK_RATE_RECOVER_CASE = "2/h"
    _, number, _code = submit(client, email="anna@example.org")
    mail.outbox.clear()
    for _ in range(2):
        recover(client, django_capture_on_commit_callbacks, number, "anna@example.org")
    blocked = client.post("/en/status/lost-code/", {"case_number": number.lower(),
                                                     "email": "anna@example.org"})
    assert blocked.status_code == 429 and "Retry-After" in blocked
    assert len(mail.outbox) == 2


def test_requests_are_limited_per_client(client, offices, settings):
    settings.CASEDESK_RATE_RECOVER = "2/h"
    for n in range(2):
        response = client.post("/en/status/lost-code/", {
            "case_number": f"MSK-2026-00077{n}", "email": "x@example.org"})
        assert response.status_code == 302
    other = client.post("/en/status/lost-code/", {"case_number": "MSK-2026-000779",
                                                   "email": "x@example.org"})
    assert other.status_code == 429


def test_a_form_with_mistakes_is_shown_again(client, offices):
    response = client.post("/en/status/lost-code/", {"case_number": "", "email": "not-mail"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
