"""The Django admin: reference data editable, cases not there, the rulebook on view."""

import pytest

from casedesk.accounts.models import User


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("root", password="x" * 16, role="administrator")
    client.force_login(user)
    return client


def test_admin_index_links_to_the_rulebook(admin_client):
    response = admin_client.get("/en/admin/")
    assert response.status_code == 200
    assert b"/en/admin/cases/case/rulebook/" in response.content


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Ошибочная запись о СОЧ"), ("en", "59-ФЗ, ст. 12, ч. 1")])
def test_rulebook_page_lists_categories_rules_and_citations(admin_client, language, words):
    response = admin_client.get(f"/{language}/admin/cases/case/rulebook/")
    assert response.status_code == 200
    assert words in response.content.decode()


def test_cases_appeals_and_documents_are_not_in_the_admin(admin_client, register):
    """Issue 15, finding 1: the admin showed decrypted appeal texts and event data."""
    case = register()
    for url in ("/en/admin/cases/case/", f"/en/admin/cases/case/{case.pk}/change/",
                "/en/admin/cases/case/add/", "/en/admin/cases/appeal/",
                "/en/admin/cases/document/"):
        assert admin_client.get(url).status_code == 404, url


def test_offices_are_edited_with_a_known_procedure(admin_client):
    response = admin_client.post("/en/admin/accounts/office/add/", {
        "code": "NSK", "name_ru": "Новосибирск", "name_en": "Novosibirsk",
        "procedure": "lottery", "timezone": "Asia/Novosibirsk", "is_active": "on"})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    response = admin_client.post("/en/admin/accounts/office/add/", {
        "code": "NSK", "name_ru": "Новосибирск", "name_en": "Novosibirsk",
        "procedure": "appeal_59fz", "timezone": "Asia/Novosibirsk", "is_active": "on"})
    assert response.status_code == 302
