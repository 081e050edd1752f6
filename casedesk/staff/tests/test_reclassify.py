"""Correcting the category from the case page, in Russian and English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case


def case_url(language, case, name="staff:case"):
    with translation.override(language):
        return reverse(name, args=[case.number])


@pytest.mark.parametrize("language, label, sub_label", [
    ("ru", "Демобилизация", "срок службы мобилизованных"),
    ("en", "Demobilization", "term of the mobilized"),
])
def test_a_caseworker_corrects_the_category_and_the_timeline_says_so(
        client, staff, register, language, label, sub_label):
    case = register(channel="web", category="other")
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(case_url(language, case)).content.decode()
    assert 'name="classification"' in page
    response = client.post(case_url(language, case, "staff:reclassify"), {
        "classification": "demobilization_term/mobilized_term", "procedure": "appeal_59fz",
        "reason": "Срок службы по мобилизации."}, follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("demobilization_term", "mobilized_term")
    text = response.content.decode()
    assert "Срок службы по мобилизации." in text  # the reason, in the timeline
    assert label.lower() in text.lower() and sub_label in text.lower()


def test_a_correction_without_a_reason_is_refused_in_the_form(client, staff, register):
    case = register(channel="web", category="other")
    client.force_login(staff[Role.CASEWORKER])
    response = client.post(case_url("en", case, "staff:reclassify"), {
        "classification": "medical_care", "procedure": "appeal_59fz", "reason": ""})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).category == "other"


def test_the_commission_member_sees_no_correction_form(client, staff, register):
    case = register()
    client.force_login(staff[Role.COMMISSION_MEMBER])
    page = client.get(case_url("en", case))
    assert page.status_code == 200
    assert 'name="classification"' not in page.content.decode()
    response = client.post(case_url("en", case, "staff:reclassify"), {
        "classification": "medical_care", "procedure": "appeal_59fz", "reason": "x"})
    assert response.status_code in (400, 403)
    assert Case.objects.get(pk=case.pk).category == "record_error_awol"
