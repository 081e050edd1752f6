"""Uploads over HTTP (issue 15, finding 12): files stay in memory, never in the system
temporary directory; the request body is capped before it is read; documents are handed
out as sandboxed downloads, never shown as pages of the site."""

from __future__ import annotations

import os
import tempfile

import pytest
from django.conf import settings as project_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client

from casedesk.accounts.roles import Role
from casedesk.cases import documents
from casedesk.cases.models import Document
from casedesk.intake.public import MAX_ATTACHMENTS
from casedesk.testing import pdf_bytes, png_bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield settings.MEDIA_ROOT
    cache.clear()


@pytest.fixture
def spool(tmp_path, monkeypatch):
    """The system temporary directory, for this test a fresh, empty folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_six_megabyte_upload_never_lands_in_the_temporary_directory(
        client, staff, register, spool, monkeypatch):
    # Django spooled files above 5 MB to /tmp in plaintext for the whole request. Look at
    # the temporary directory while the file is being stored, and after.
    seen = []
    store = documents.file_store

    def watching(document, data, **kwargs):
        seen.append(sorted(os.listdir(spool)))
        store(document, data, **kwargs)

    monkeypatch.setattr(documents, "file_store", watching)
    case = register()
    content = pdf_bytes() + b"%" + b"0" * (6 * 1024**2)
    client.force_login(staff[Role.CASEWORKER])
    response = client.post(f"/ru/staff/cases/{case.number}/documents/", {
        "file": SimpleUploadedFile("scan.pdf", content), "doc_type": "application"})
    assert response.status_code in (200, 302)
    assert Document.objects.get().size == len(content)
    assert seen == [[]]
    assert os.listdir(spool) == []


def test_upload_settings_bound_the_memory_of_one_request():
    assert project_settings.FILE_UPLOAD_HANDLERS == [
        "django.core.files.uploadhandler.MemoryFileUploadHandler"]
    # Every request that gets past the size cap is kept in memory, never spooled.
    assert project_settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= \
        project_settings.CASEDESK_MAX_REQUEST_BYTES
    # One file more than the portal takes still reaches the form, which says why.
    assert project_settings.DATA_UPLOAD_MAX_NUMBER_FILES > MAX_ATTACHMENTS
    assert project_settings.CASEDESK_MAX_REQUEST_BYTES >= (
        MAX_ATTACHMENTS * project_settings.CASEDESK_MAX_UPLOAD_BYTES)
    assert project_settings.CASEDESK_MAX_REQUEST_BYTES <= 64 * 1024**2


@pytest.fixture
def unread(monkeypatch):
    """Reading the body of a request fails the test."""
    def read(self):
        raise AssertionError("the body was read")

    monkeypatch.setattr(HttpRequest, "_load_post_and_files", read)
    monkeypatch.setattr(HttpRequest, "read", read)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Запрос слишком большой: за один раз можно отправить не больше 1 МБ"),
    ("en", "The request is too large: at most 1 MB can be sent at once"),
])
def test_a_body_above_the_cap_is_refused_before_it_is_read(db, settings, unread, language,
                                                           words):
    settings.CASEDESK_MAX_REQUEST_BYTES = 1024**2
    client = Client(enforce_csrf_checks=True)  # the CSRF check would read the body
    response = client.post(f"/{language}/appeal/", b"x" * 100,
                           content_type="application/octet-stream",
                           CONTENT_LENGTH=str(1024**2 + 1))
    assert response.status_code == 413
    assert words in response.content.decode()
    api = client.post("/api/v1/public/appeals", b"{}", content_type="application/json",
                      CONTENT_LENGTH=str(1024**2 + 1), HTTP_ACCEPT_LANGUAGE=language)
    assert api.status_code == 413
    assert api.json()["error"]["code"] == "too_large"
    assert words in api.json()["error"]["message"]


def test_a_body_at_the_cap_goes_through(db, settings):
    settings.CASEDESK_MAX_REQUEST_BYTES = 1024**2
    assert Client().get("/ru/appeal/").status_code == 200


@pytest.fixture
def document(staff, register):
    case = register()
    return documents.document_add(actor=staff[Role.CASEWORKER], case=case,
                                  doc_type="application",
                                  upload=SimpleUploadedFile("scan.pdf", pdf_bytes()))


@pytest.mark.parametrize("query", ["", "?inline=1"])
def test_staff_get_documents_as_sandboxed_downloads(client, staff, document, query):
    client.force_login(staff[Role.CASEWORKER])
    response = client.get(
        f"/ru/staff/cases/{document.case.number}/documents/{document.pk}/{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox") and "default-src 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_the_case_page_previews_images_only_and_never_frames_a_document(client, staff,
                                                                        document):
    image = documents.document_add(actor=staff[Role.CASEWORKER], case=document.case,
                                   doc_type="application",
                                   upload=SimpleUploadedFile("photo.png", png_bytes()))
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(f"/ru/staff/cases/{document.case.number}/")
    html = page.content.decode()
    assert "<iframe" not in html
    assert f'<img src="/ru/staff/cases/{document.case.number}/documents/{image.pk}/"' in html
    assert "frame-src 'none'" in page["Content-Security-Policy"]


def test_six_files_get_the_forms_own_message_not_a_bare_400(office):
    from casedesk.web.tests.test_outage import appeal_data, form_key

    client = Client()
    data = appeal_data(form_key(client, "en"))
    data["files"] = [SimpleUploadedFile(f"photo{i}.png", png_bytes()) for i in range(6)]
    response = client.post("/en/appeal/", data)
    assert response.status_code == 400
    assert "At most 5 files can be attached." in response.content.decode()
