"""Issue 16, point 3: each office chooses its procedure kind in the admin; a regional
commissioner's office must name the regional law its letters cite beside 48-FZ."""

from __future__ import annotations

from casedesk.accounts.models import Office

ADD = "/en/admin/accounts/office/add/"
BASE = {"code": "NSK", "name_ru": "Новосибирск", "name_en": "Novosibirsk",
        "timezone": "Asia/Novosibirsk", "is_active": "on"}


def test_the_admin_offers_every_procedure_kind_by_its_label(admin_client):
    page = admin_client.get(ADD).content.decode()
    for code in ("appeal_59fz", "commissioner_1fkz", "commissioner_regional", "ngo_own_rules"):
        assert f'value="{code}"' in page
    assert "its own rules" in page


def test_a_regional_commissioner_must_name_its_regional_law(admin_client):
    response = admin_client.post(ADD, {**BASE, "procedure": "commissioner_regional"})
    assert response.status_code == 200
    assert b"cite the region&#x27;s law" in response.content
    assert not Office.objects.filter(code="NSK").exists()
    law = "Закон Новосибирской области «Об Уполномоченном по правам человека»"
    response = admin_client.post(ADD, {**BASE, "procedure": "commissioner_regional",
                                       "regional_law": law})
    assert response.status_code == 302
    assert Office.objects.get(code="NSK").regional_law == law


def test_an_ngo_office_needs_no_law(admin_client):
    response = admin_client.post(ADD, {**BASE, "procedure": "ngo_own_rules"})
    assert response.status_code == 302
    assert Office.objects.get(code="NSK").procedure == "ngo_own_rules"
