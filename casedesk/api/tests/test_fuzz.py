"""Whatever JSON arrives, the API answers below 500."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import APPEALS, STATUS, appeal_body

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
# Bodies near the real shape reach further than random ones.
FIELDS = ["applicant", "service_member", "text", "request", "category", "language", "consent",
          "applicant__name", "applicant__relation", "applicant__email", "applicant__phone",
          "applicant__postal_address", "service_member__name", "service_member__birth_date",
          "service_member__unit", "service_member__region", "service_member__service_type"]
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def generous(settings):
    settings.CASEDESK_RATE_SUBMIT = "100000/h"
    settings.CASEDESK_RATE_STATUS = "100000/h"
    settings.CASEDESK_RATE_STATUS_FAILURES = "100000/h"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


@FUZZ
@given(body=json_values)
def test_random_json_is_never_a_server_error(client, office, generous, body):
    assert post(client, APPEALS, body).status_code < 500
    assert post(client, STATUS, body).status_code < 500


@FUZZ
@given(field=st.sampled_from(FIELDS), value=json_values | st.text(min_size=1))
def test_one_odd_field_is_never_a_server_error(client, office, generous, field, value):
    response = post(client, APPEALS, appeal_body(**{field: value}))
    assert response.status_code < 500, response.content
