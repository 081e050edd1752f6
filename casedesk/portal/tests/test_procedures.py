"""Issue 16, point 3: an NGO's deadlines are its own rules, not the law's (59-FZ binds
public bodies only), and the applicant reads so beside every date the portal promises:
on the receipt and on the status page, in Russian and English."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from casedesk.accounts.models import Office
from casedesk.intake import routing
from casedesk.intake.tests.test_routing import make_offices

from .test_offices import text_of
from .test_views import appeal_data, form_key

LABEL = {"ru": "по собственным правилам организации, а не по закону",
         "en": "by the organisation's own rules, not by law"}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def file_and_open(client, language: str) -> tuple[str, str]:
    """Send an appeal, read the receipt, open the status page; both pages' text."""
    response = client.post(f"/{language}/appeal/", appeal_data(form_key(client, language)))
    assert response.status_code == 302, text_of(response)[:2000]
    receipt = client.get(reverse("portal:receipt")).content.decode()
    number = re.search(r"<strong>([A-Z]+-\d{4}-\d{6})</strong>", receipt).group(1)
    code = re.search(r'class="code">([A-Z0-9-]+)<', receipt).group(1)
    client.post(f"/{language}/status/", {"case_number": number, "access_code": code})
    return text_of_html(receipt), text_of(client.get(f"/{language}/status/case/"))


def text_of_html(page: str) -> str:
    import html
    return html.unescape(page)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_ngos_answer_date_is_labelled_its_own_rules(client, db, language):
    make_offices()
    Office.objects.update(procedure="ngo_own_rules")  # wherever routing sends the appeal
    routing.offices_forget()
    receipt, status = file_and_open(client, language)
    for page in (receipt, status):
        assert LABEL[language] in page


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_public_bodys_answer_date_carries_no_such_label(client, db, language):
    make_offices()  # the default procedure: a public body under 59-FZ
    routing.offices_forget()
    receipt, status = file_and_open(client, language)
    for page in (receipt, status):
        assert LABEL[language] not in page
