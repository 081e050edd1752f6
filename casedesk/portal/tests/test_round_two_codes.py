"""Issue 15, finding 4: the limit on wrong access codes per case cannot be dodged by
writing the case number another way, nor by switching between the portal and the API.

Both look the case up and count its failures under ``intake.public.case_number_normalise``:
spaces (any kind), lower case, NUL, full-width forms, dashes and Cyrillic letters that
look like the Latin ones of office codes (``МSК`` typed on a Russian layout is ``MSK``)
all give one spelling, and the portal and the API share one counter.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from casedesk.intake.public import appeal_submit, case_number_normalise
from casedesk.intake.services import PersonData

STATUS_API = "/api/v1/public/status"
WRONG = "AAAA-AAAA-AAAA"


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    settings.CASEDESK_RATE_STATUS = "1000/10m"  # the per-client limit is another test's
    settings.CASEDESK_RATE_STATUS_FAILURES = "5/10m"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def receipt(office):
    return appeal_submit(
        channel="web", idempotency_key="round-two-codes-0001",
        payload={"test": "round two codes"}, office=office,
        applicant=PersonData(full_name="Петрова Анна Ивановна", email="anna@example.org"),
        relation="mother", service_member=PersonData(full_name="Петров Иван Сергеевич"),
        text="Сын в госпитале, а в части записан в СОЧ.", consent=True)


def spellings(number: str) -> list[str]:
    office, year, sequence = number.split("-")
    return [
        f"{office}-{year}- {sequence}",                 # the space of the report
        number.lower(),
        f" {office} - {year} - {sequence} ",
        f"{office}-{year}-\u00a0{sequence}",             # a no-break space
        f"{office}\u2013{year}\u2014{sequence}",         # dashes from a word processor
        number.replace("M", "\u041c").replace("K", "\u041a"),  # Cyrillic М and К
        "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number),  # full width
        f"{office}-{year}-\u200b{sequence}",             # a zero-width space
    ]


def portal_try(client, number: str, code: str):
    return client.post("/en/status/", {"case_number": number, "access_code": code})


def api_try(client, number: str, code: str):
    return client.post(STATUS_API, json.dumps({"case_number": number, "access_code": code}),
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_every_spelling_is_the_stored_number(receipt):
    for spelling in spellings(receipt.case_number):
        assert case_number_normalise(spelling) == receipt.case_number, repr(spelling)
    assert case_number_normalise("MSK-2026-\x00000001") == "MSK-2026-000001"
    assert case_number_normalise("") == case_number_normalise(None) == ""


@pytest.mark.parametrize("first, then", [("portal", "portal"), ("api", "api"),
                                         ("portal", "api"), ("api", "portal")])
def test_the_sixth_wrong_code_is_refused_whatever_the_spelling(client, receipt, first, then):
    tries = {"portal": portal_try, "api": api_try}
    plain = [receipt.case_number] * 5
    # Five wrong codes, each number written another way, through ``first``.
    for spelling in (spellings(receipt.case_number) + plain)[:5]:
        refused = tries[first](client, spelling, WRONG)
        assert refused.status_code in (400, 404), (spelling, refused.status_code)
    # The sixth, even with the right code and in any spelling, through ``then``: refused.
    for spelling in [receipt.case_number, *spellings(receipt.case_number)]:
        locked = tries[then](client, spelling, receipt.access_code)
        assert locked.status_code == 429, (spelling, locked.status_code)
        assert int(locked["Retry-After"]) > 0


def test_the_five_failures_may_come_from_both_sides(client, receipt):
    for n in range(5):
        try_ = portal_try if n % 2 else api_try
        try_(client, spellings(receipt.case_number)[n], WRONG)
    assert portal_try(client, receipt.case_number, receipt.access_code).status_code == 429
    assert api_try(client, receipt.case_number, receipt.access_code).status_code == 429


def test_a_nul_in_the_number_is_refused_and_never_reaches_the_lookup(client, receipt):
    number = receipt.case_number.replace("-", "-\x00", 1)
    portal = portal_try(client, number, receipt.access_code)
    api = api_try(client, number, receipt.access_code)
    assert portal.status_code == 200 and "Null characters are not allowed" in \
        portal.content.decode()  # the form's own error: no lookup
    assert api.status_code == 422 and api.json()["error"]["fields"] == ["case_number"]
    # The right code in a clean spelling still works: nothing was counted.
    assert portal_try(client, receipt.case_number, receipt.access_code).status_code == 302


def test_below_the_limit_every_spelling_finds_the_case(client, receipt):
    for spelling in spellings(receipt.case_number):
        cache.clear()
        assert portal_try(client, spelling, receipt.access_code).status_code == 302, spelling
        assert api_try(client, spelling, receipt.access_code).status_code == 200, spelling
