"""Issue 16, point 3: on the staff case page, an NGO's deadlines are labelled as the
organisation's own rules, not law; a commissioner's deadlines cite its own law, never 59-FZ."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role

LABEL = {"ru": "по собственным правилам организации, а не по закону",
         "en": "by the organisation's own rules, not by law"}


def case_page(client, staff, case, language: str) -> str:
    client.force_login(staff[Role.CASEWORKER])
    with translation.override(language):
        response = client.get(reverse("staff:case", args=[case.number]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def deadlines_of(page: str) -> str:
    """The deadlines card of the page (the reclassify form lists every procedure)."""
    start = page.index('id="deadlines"')
    return page[start:page.index("</section>", start)]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_ngos_deadlines_are_labelled_its_own_rules(client, staff, office, register,
                                                      language):
    Office.objects.filter(pk=office.pk).update(procedure="ngo_own_rules")
    office.refresh_from_db()
    case = register(office=office)
    page = case_page(client, staff, case, language)
    deadlines = deadlines_of(page)
    assert LABEL[language] in deadlines
    assert "59-ФЗ" not in deadlines


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_public_bodys_deadlines_cite_59fz_without_the_label(client, staff, office, register,
                                                               language):
    case = register(office=office)
    page = case_page(client, staff, case, language)
    assert LABEL[language] not in page
    assert "59-ФЗ, ст. 8, ч. 2" in deadlines_of(page)


def test_a_commissioners_registration_deadline_does_not_cite_59fz(client, staff, office,
                                                                  register):
    Office.objects.filter(pk=office.pk).update(procedure="commissioner_1fkz")
    office.refresh_from_db()
    case = register(office=office)
    page = case_page(client, staff, case, "ru")
    deadlines = deadlines_of(page)
    assert "59-ФЗ" not in deadlines
    assert "1-ФКЗ" in deadlines
