"""Adding documents to a case file and opening them: content checks, names, rights."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import IntegrityError
from django.utils import translation
from django.utils.functional import Promise
from PIL import Image

from casedesk.accounts.roles import Role
from casedesk.cases import events
from casedesk.cases.documents import (
    ALLOWED_TYPES,
    _clean_name,
    document_add,
    document_open,
    file_read,
    max_upload_bytes,
)
from casedesk.cases.models import CaseEvent, Document
from casedesk.cases.selectors import CASE_READERS
from casedesk.core.errors import ApplicationError
from casedesk.testing import pdf_bytes, png_bytes

ADDERS = {Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR}


# --- real small files -------------------------------------------------------------------

def make_pdf() -> bytes:
    return pdf_bytes()


def make_png(width: int = 2, height: int = 2) -> bytes:
    return png_bytes(width, height)


def make_jpeg(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def make_webp() -> bytes:
    # RIFF container with a lossless 1x1 bitstream header.
    payload = b"\x2f\x00\x00\x00\x00\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def make_heic() -> bytes:
    ftyp = b"ftyp" + b"heic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + b"\x00" * 64


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def make_gif() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00" \
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b"<script>alert(1)</script></svg>")
HTML_MENTIONING_PDF = b"<html>\n%PDF-1.4 is what this pretends to be\n</html>"

PDF = make_pdf()
PNG = make_png()


def upload(content: bytes, name: str = "scan.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def assert_stored_encrypted(document: Document, content: bytes) -> None:
    """The file on disk is not the plaintext; file_read gives the plaintext back."""
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert stored != content
    assert content[:64] not in stored
    assert file_read(document) == content


@pytest.fixture
def case(register):
    return register()


@pytest.fixture
def add(staff, case):
    def do(content: bytes = PDF, *, name: str = "scan.pdf", actor=None, target=None, **kw):
        return document_add(
            actor=actor or staff[Role.CASEWORKER],
            case=target or case,
            upload=upload(content, name),
            doc_type=kw.pop("doc_type", "application"),
            **kw,
        )

    return do


def refused(code: str, call, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.code
    return info.value


def assert_nothing_stored(media_root) -> None:
    assert Document.objects.count() == 0
    assert not CaseEvent.objects.filter(kind=events.EventKind.DOCUMENT_ADDED).exists()
    assert stored_files(media_root) == []


# --- the interface ----------------------------------------------------------------------

def test_allowed_types_are_exactly_the_document_and_photo_kinds():
    assert ALLOWED_TYPES == {
        "application/pdf": "pdf",
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/webp": "webp",
        "image/heic": "heic",
    }


def test_max_upload_bytes_follows_the_setting(settings):
    assert max_upload_bytes() == 10 * 1024**2  # the default (config/settings.py)
    settings.CASEDESK_MAX_UPLOAD_BYTES = 1234
    assert max_upload_bytes() == 1234


# --- accepted files ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (make_jpeg(), "image/jpeg"),
        (make_webp(), "image/webp"),
        (make_heic(), "image/heic"),
    ],
    ids=["pdf", "png", "jpeg", "webp", "heic"],
)
def test_allowed_kinds_are_stored_with_the_detected_type(add, case, staff, media, content,
                                                         mime):
    # The browser's name and type say PDF whatever the content; only the content counts.
    document = add(content, name="file.pdf")
    document.refresh_from_db()
    assert document.case_id == case.pk
    assert document.content_type == mime
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.uploaded_by == staff[Role.CASEWORKER]
    assert document.generated is False
    assert document.original_name == "file.pdf"
    assert_stored_encrypted(document, content)
    assert len(stored_files(media)) == 1


def test_the_client_content_type_is_ignored(staff, case):
    document = document_add(
        actor=staff[Role.INTAKE_CLERK], case=case, doc_type="military_id",
        upload=SimpleUploadedFile("photo.pdf", PNG, content_type="application/pdf"),
    )
    assert document.content_type == "image/png"


def test_stored_path_is_random_and_holds_no_personal_data(add, case):
    document = add(name="Иванов Пётр — военный билет.pdf")
    assert re.fullmatch(rf"cases/{case.pk}/[0-9a-f]{{32}}", document.file.name)
    assert document.original_name == "Иванов Пётр — военный билет.pdf"
    assert add(name="Иванов Пётр — военный билет.pdf").file.name != document.file.name


def test_event_is_written_with_the_document_and_its_type(add, case, staff):
    document = add(doc_type="medical_commission", public=True)
    event = CaseEvent.objects.get(case=case, kind=events.EventKind.DOCUMENT_ADDED)
    assert event.data == {"document": document.pk, "doc_type": "medical_commission"}
    assert event.public is True
    assert event.actor == staff[Role.CASEWORKER]


def test_events_are_internal_unless_said_public(add, case):
    add()
    assert CaseEvent.objects.get(kind=events.EventKind.DOCUMENT_ADDED).public is False


def test_document_can_belong_to_an_appeal_of_its_case(add, case):
    appeal = case.appeals.get()
    assert add(appeal=appeal).appeal == appeal


def test_a_large_upload_kept_on_disk_is_stored(settings, staff, case, media):
    # Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE arrive as temporary files and are moved.
    content = PDF + b"%" + b"0" * (3 * 1024**2)
    temporary = TemporaryUploadedFile("big.pdf", "application/pdf", len(content), None)
    temporary.write(content)
    temporary.seek(0)
    document = document_add(actor=staff[Role.SUPERVISOR], case=case, upload=temporary,
                            doc_type="discharge_summary")
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert_stored_encrypted(document, content)
    temporary.close()  # as the request does; the temporary file was moved away


def test_a_file_of_exactly_the_limit_is_accepted(settings, add):
    settings.CASEDESK_MAX_UPLOAD_BYTES = len(PDF)
    assert add().size == len(PDF)


# --- refused files ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "content",
    [EXE, make_zip(), HTML, SVG, HTML_MENTIONING_PDF, make_gif(), b"just some text\n",
     b"\x00" * 100],
    ids=["exe", "zip", "html", "svg", "html-mentioning-pdf", "gif", "text", "zeros"],
)
def test_other_kinds_disguised_as_pdf_are_refused(add, media, content):
    error = refused("file_type", add, content, name="answer.pdf")
    assert isinstance(error.message, Promise)
    with translation.override("en"):
        assert "PDF, JPEG, PNG, WebP or HEIC" in str(error)
    assert_nothing_stored(media)


def test_empty_file_is_refused(add, media):
    refused("file_empty", add, b"")
    assert_nothing_stored(media)


def test_a_file_one_byte_over_the_limit_is_refused(settings, add, media):
    settings.CASEDESK_MAX_UPLOAD_BYTES = len(PDF) - 1
    refused("file_too_large", add)
    assert_nothing_stored(media)


def test_the_size_is_counted_not_taken_from_the_upload(settings, staff, case, media):
    settings.CASEDESK_MAX_UPLOAD_BYTES = 1000
    big = upload(PDF + b"0" * 1000)
    big.size = 10  # a lying size attribute does not help
    refused("file_too_large", document_add, actor=staff[Role.CASEWORKER], case=case,
            upload=big, doc_type="other")
    assert_nothing_stored(media)


def test_too_large_message_gives_the_limit_in_megabytes(settings, add):
    # The default limit (config/settings.py).
    error = refused("file_too_large", add, PDF + b"0" * (10 * 1024**2))
    assert error.params == {"max": 10}
    assert isinstance(error.message, Promise)
    with translation.override("en"):
        assert "10 MB" in str(error)
    settings.CASEDESK_MAX_UPLOAD_BYTES = 5 * 1024**2 // 2
    assert refused("file_too_large", add, PDF + b"0" * (3 * 1024**2)).params == {"max": 2.5}


def test_unknown_document_type_is_refused(add, media):
    refused("unknown_doc_type", add, doc_type="passport_scan")
    assert_nothing_stored(media)


def test_appeal_of_another_case_is_refused(add, register, media):
    other_case = register()
    refused("appeal_not_in_case", add, appeal=other_case.appeals.get())
    assert_nothing_stored(media)


# --- names ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system32\\scan.pdf", "scan.pdf"),
        ("C:\\Users\\Анна\\Desktop\\справка.pdf", "справка.pdf"),
        ("evil\x00name\r\n.pdf", "evilname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("  spaced.pdf  ", "spaced.pdf"),
        ("..", "document"),
        ("", "document"),
        (None, "document"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
        ("b" * 300, "b" * 255),
        ("Пётр.pdf".replace("ё", "е\u0308"), "Пётр.pdf"),  # decomposed (macOS) composed
    ],
)
def test_clean_name(given, kept):
    assert _clean_name(given) == kept


def test_path_parts_and_control_characters_are_removed_from_the_kept_name(add, media):
    document = add(name="../../etc/passwd.pdf")
    assert document.original_name == "passwd.pdf"
    # Django keeps backslashes on POSIX; the service strips them and control characters.
    raw = upload(PDF)
    raw._name = "..\\..\\etc\\pass\x07wd\x1b[31m.pdf"
    document = document_add(actor=document.uploaded_by, case=document.case, upload=raw,
                            doc_type="other")
    assert document.original_name == "pass" + "wd[31m.pdf"
    assert all(path.parent.parent == media / "cases" for path in stored_files(media))


# --- who may add ------------------------------------------------------------------------

@pytest.mark.parametrize("role", Role.values)
def test_role_matrix_for_adding(add, staff, media, role):
    if role in ADDERS:
        assert add(actor=staff[role]).uploaded_by == staff[role]
    else:
        refused("forbidden", add, actor=staff[role])
        assert_nothing_stored(media)


def test_staff_of_another_office_cannot_add(add, make_user, other_office, media):
    outsider = make_user(Role.SUPERVISOR, other_office)
    refused("not_found", add, actor=outsider)
    # The refusal comes before the file is looked at.
    refused("not_found", add, EXE, actor=outsider)
    assert_nothing_stored(media)


def test_inactive_staff_cannot_add(add, staff, media):
    clerk = staff[Role.INTAKE_CLERK]
    clerk.is_active = False
    clerk.save()
    refused("forbidden", add, actor=clerk)
    assert_nothing_stored(media)


# --- nothing half-written ---------------------------------------------------------------

def test_a_failed_database_write_removes_the_stored_file(add, monkeypatch, media):
    def broken(*args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(events, "document_added", broken)
    with pytest.raises(IntegrityError):
        add()
    assert_nothing_stored(media)


def test_a_failed_row_insert_removes_the_stored_file(add, monkeypatch, media):
    def broken(self, *args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(Document, "save", broken)
    with pytest.raises(IntegrityError):
        add()
    assert_nothing_stored(media)


# --- opening ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", Role.values)
def test_role_matrix_for_opening(add, staff, case, role):
    document = add(PNG, name="photo.png")
    if role in CASE_READERS:
        found, handle = document_open(actor=staff[role], document_id=document.pk, case=case)
        with handle:
            assert handle.read() == PNG
        assert found == document
        assert found.content_type == "image/png"
    else:
        refused("not_found", document_open, actor=staff[role], document_id=document.pk,
                case=case)


def test_other_office_cannot_open(add, case, make_user, other_office):
    document = add()
    outsider = make_user(Role.SUPERVISOR, other_office)
    refused("not_found", document_open, actor=outsider, document_id=document.pk, case=case)


def test_a_document_of_another_case_is_not_opened_through_this_case(add, register, staff):
    mine = register()
    document = add()  # belongs to the `case` fixture, not to `mine`
    refused("not_found", document_open, actor=staff[Role.SUPERVISOR],
            document_id=document.pk, case=mine)


@pytest.mark.parametrize("document_id", [999_999, "abc", None])
def test_unknown_document_is_not_found(case, staff, document_id):
    refused("not_found", document_open, actor=staff[Role.SUPERVISOR],
            document_id=document_id, case=case)


def test_inactive_and_anonymous_readers_are_refused(add, case, staff):
    document = add()
    reader = staff[Role.COMMISSION_MEMBER]
    reader.is_active = False
    reader.save()
    refused("not_found", document_open, actor=reader, document_id=document.pk, case=case)
    refused("not_found", document_open, actor=None, document_id=document.pk, case=case)


def test_a_missing_file_is_reported(add, case, staff, media):
    document = add()
    for path in stored_files(media):
        path.unlink()
    refused("file_missing", document_open, actor=staff[Role.CASEWORKER],
            document_id=document.pk, case=case)


# --- object storage -----------------------------------------------------------------------

def test_documents_live_in_whatever_storage_is_configured(add, settings, media):
    """Several app servers share files through an object store (STORAGES, from
    CASEDESK_S3_BUCKET): documents only use Django's storage API, so any storage works.
    Here Django's in-memory storage stands in for the bucket: nothing reaches the disk,
    and the bucket holds ciphertext under a name without personal data."""
    from django.core.files.storage import default_storage

    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    document = add(PDF, name="Иванов_справка.pdf")
    assert type(default_storage._wrapped).__name__ == "InMemoryStorage"
    assert stored_files(media) == []
    with default_storage.open(document.file.name, "rb") as handle:
        sealed = handle.read()
    assert sealed and PDF not in sealed and b"%PDF" not in sealed
    assert "Иванов" not in document.file.name
    assert file_read(Document.objects.get(pk=document.pk)) == PDF


@pytest.mark.parametrize("bucket", ["", "casedesk-files"])
def test_casedesk_s3_bucket_switches_files_to_the_bucket(bucket):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_S3_")}
    env.update({"DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
                "CASEDESK_S3_BUCKET": bucket, "CASEDESK_S3_ENDPOINT_URL": "http://minio:9000"})
    code = ("import json; from django.conf import settings as s; "
            "print(json.dumps(s.STORAGES['default']))")
    done = subprocess.run([sys.executable, "-c", code], env=env,  # noqa: S603
                          cwd=Path(__file__).resolve().parents[3], capture_output=True,
                          text=True, check=True)
    default = json.loads(done.stdout)
    if not bucket:
        assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"
        return
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "casedesk-files"
    assert options["endpoint_url"] == "http://minio:9000"
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
