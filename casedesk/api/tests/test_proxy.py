"""Behind a trusted load balancer the client's address comes from X-Forwarded-For: the
submission limit counts per applicant and the audit log records the applicant's address;
from anywhere else the header is ignored."""

from __future__ import annotations

import pytest
from django.test import Client

from casedesk.audit.models import AuditEntry

from .conftest import APPEALS, appeal_body

pytestmark = pytest.mark.urls("casedesk.api.tests.urls")


def post(client: Client, key: str, **extra):
    import json

    return client.post(APPEALS, json.dumps(appeal_body()), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key, **extra)


@pytest.fixture
def behind_proxy(settings, office):
    settings.CASEDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.CASEDESK_RATE_SUBMIT = "1/h"


def test_each_applicant_behind_the_proxy_has_a_limit_and_is_audited(behind_proxy):
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    first = post(Client(), "key-proxy-0001", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert first.status_code == 201
    # The same applicant again: over the limit.
    again = post(Client(), "key-proxy-0002", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert again.status_code == 429
    # Another applicant through the same proxy (and a second proxy hop): a limit of its own.
    other = post(Client(), "key-proxy-0003",
                 HTTP_X_FORWARDED_FOR="198.51.100.23, 10.0.0.9", **proxy)
    assert other.status_code == 201
    ips = list(AuditEntry.objects.filter(action="appeal.register")
               .order_by("seq").values_list("ip", flat=True))
    assert ips == ["203.0.113.7", "198.51.100.23"]


def test_the_header_is_ignored_from_an_untrusted_address(behind_proxy):
    direct = {"REMOTE_ADDR": "192.0.2.50"}
    assert post(Client(), "key-proxy-0001", HTTP_X_FORWARDED_FOR="203.0.113.7",
                **direct).status_code == 201
    # Writing another address in the header does not escape the limit.
    assert post(Client(), "key-proxy-0002", HTTP_X_FORWARDED_FOR="203.0.113.8",
                **direct).status_code == 429
    assert list(AuditEntry.objects.filter(action="appeal.register")
                .values_list("ip", flat=True)) == ["192.0.2.50"]


def test_garbage_in_the_header_keeps_the_proxy_address(behind_proxy):
    response = post(Client(), "key-proxy-0001", HTTP_X_FORWARDED_FOR="not-an-address",
                    REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 201
    assert AuditEntry.objects.get(action="appeal.register").ip == "10.0.0.5"
