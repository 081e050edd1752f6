"""The OpenAPI schema at /api/v1/openapi.json describes both endpoints and their fields."""

from __future__ import annotations

import pytest

from casedesk.cases.models import Relation
from casedesk.people.models import ServiceType

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_both_paths_are_described(schema):
    assert schema["info"]["version"] == "1"
    paths = schema["paths"]
    assert set(paths["/api/v1/public/appeals"]) == {"post"}
    assert set(paths["/api/v1/public/status"]) == {"post"}
    submit = paths["/api/v1/public/appeals"]["post"]
    assert {"201", "400", "409", "413", "422", "429"} <= set(submit["responses"])
    header = next(p for p in submit["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    status = paths["/api/v1/public/status"]
    assert "logs" in status["post"]["description"]
    assert "POST only" in status["post"]["description"]


def test_the_request_fields_are_in_the_schema(schema):
    schemas = schema["components"]["schemas"]
    assert set(schemas["AppealIn"]["properties"]) == {
        "applicant", "service_member", "text", "request", "category", "language", "consent",
        "office"}
    assert set(schemas["AppealIn"]["required"]) == {"applicant", "text", "consent"}
    applicant = schemas["ApplicantIn"]["properties"]
    assert set(applicant) == {"name", "relation", "email", "phone", "postal_address",
                              "region"}
    assert applicant["relation"]["enum"] == list(Relation.values)
    member = schemas["ServiceMemberIn"]["properties"]
    assert set(member) == {"name", "birth_date", "unit", "region", "service_type"}
    service_types = next(option for option in member["service_type"]["anyOf"]
                         if "enum" in option)
    assert service_types["enum"] == list(ServiceType.values)
    assert set(schemas["StatusOut"]["properties"]) == {
        "case_number", "stage", "stage_text", "answer_due", "late", "question", "timeline",
        "office", "answers"}
    assert set(schemas["AnswerOut"]["properties"]) == {
        "number", "signed_on", "outcome", "outcome_text", "supplement", "text",
        "letter_document"}
    assert set(schemas["ErrorOut"]["properties"]) == {"error"}


def test_there_is_no_docs_page_loading_scripts_from_a_cdn(client):
    assert client.get("/api/v1/docs").status_code == 404


def test_the_lengths_are_the_appeal_schemas(schema):
    from casedesk.intake import schema as appeal

    schemas = schema["components"]["schemas"]
    assert schemas["ApplicantIn"]["properties"]["name"]["maxLength"] == appeal.NAME_MAX
    assert schemas["AppealIn"]["properties"]["text"]["maxLength"] == appeal.TEXT_MAX
