"""Appeals through the API go to the office serving the region (intake.routing), or to
the one chosen among those serving it; the receipt, the status and ``GET /offices`` name
the office."""

from __future__ import annotations

import json

import pytest

from casedesk.cases.models import Case
from casedesk.intake.tests.test_routing import make_offices

from .conftest import APPEALS, STATUS, appeal_body

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")
OFFICES = "/api/v1/public/offices"


@pytest.fixture
def offices(db):
    return make_offices()


def post(client, body, key="key-route-0001", **extra):
    return client.post(APPEALS, json.dumps(body), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_a_moscow_appeal_reaches_the_moscow_office(client, offices):
    response = post(client, appeal_body(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["case_number"].startswith("MSK-")
    assert Case.objects.get(number=receipt["case_number"]).office.code == "MSK"
    assert receipt["office"]["code"] == "MSK"
    assert receipt["office"]["name"] == "Moscow"
    assert receipt["office"]["address"] == "1 Primernaya St, Moscow"
    assert receipt["office"]["regions"] == ["RU-MOW"] and receipt["office"]["default"]
    status = client.post(STATUS, {"case_number": receipt["case_number"],
                                  "access_code": receipt["access_code"]},
                         content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert status["office"]["code"] == "MSK"
    assert status["office"]["address"] == "Москва, ул. Примерная, 1"


def test_the_members_region_wins_over_the_applicants(client, offices):
    body = appeal_body(service_member__region="RU-SVE", applicant__region="RU-MOW")
    receipt = post(client, body).json()
    assert receipt["office"]["code"] == "KSM"
    # The applicant's region decides when the member's is not given.
    body = appeal_body(service_member__region=..., applicant__region="RU-SPE")
    assert post(client, body, key="key-route-0002").json()["office"]["code"] == "SPB"
    # Nobody serves Krasnodar: the default office.
    body = appeal_body(service_member__region="RU-KDA")
    assert post(client, body, key="key-route-0003").json()["office"]["code"] == "MSK"


def test_a_chosen_office_is_honoured_or_refused(client, offices):
    body = appeal_body(service_member__region="RU-SVE", office="SVO")
    assert post(client, body).json()["office"]["code"] == "SVO"
    refused = post(client, appeal_body(service_member__region="RU-SVE", office="SPB"),
                   key="key-route-0002", HTTP_ACCEPT_LANGUAGE="ru")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "office_not_serving_region"
    assert "не принимает обращения из региона" in refused.json()["error"]["message"]
    bad = post(client, appeal_body(office="msk; drop"), key="key-route-0003")
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == ["office"]
    assert Case.objects.count() == 1


def test_the_offices_are_listed_with_their_regions(client, offices):
    listed = client.get(OFFICES, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(o["code"], o["regions"], o["default"]) for o in listed] == [
        ("KSM", ["RU-SVE"], False), ("MSK", ["RU-MOW"], True), ("SPB", ["RU-SPE"], False),
        ("SVO", ["RU-SVE"], False)]
    assert client.post(OFFICES).status_code == 405
