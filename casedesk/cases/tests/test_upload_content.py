"""What an upload may hold (issue 15, finding 12): PDFs that run something and images
whose header announces a decompression bomb are refused, in the person's language; the
pixels of an image are never decoded to find that out."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, ImageFile

from casedesk.accounts.roles import Role
from casedesk.cases.documents import document_add, max_image_pixels, pdf_active_parts
from casedesk.cases.models import Document
from casedesk.core.errors import ApplicationError
from casedesk.testing import pdf_bytes, png_bytes


def pdf(*objects: bytes, catalog_extra: bytes = b"", content: bytes = b"BT ET") -> bytes:
    """A one-page PDF with a correct xref table; ``objects`` are numbered from 6 on."""
    return pdf_bytes(objects=objects, catalog_extra=catalog_extra, content=content)


def object_stream(*objects: bytes, first_number: int = 7) -> bytes:
    """An object stream (PDF 1.5) holding ``objects``, Flate-compressed."""
    offsets, data = [], b""
    for index, text in enumerate(objects):
        offsets.append(b"%d %d" % (first_number + index, len(data)))
        data += text + b"\n"
    header = b" ".join(offsets) + b"\n"
    packed = zlib.compress(header + data)
    return (b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(objects), len(header), len(packed)) + packed + b"\nendstream")


JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
ACTIVE_PDFS = {
    "open-action-javascript": pdf(JS_ACTION, catalog_extra=b"/OpenAction 6 0 R"),
    "page-additional-action": pdf(catalog_extra=b"/AA << /WC " + JS_ACTION + b" >>"),
    "launch": pdf(catalog_extra=b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
    "embedded-file": pdf(
        b"<< /Type /Filespec /F (invoice.exe) /EF << /F 7 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nMZ\x90\x00\x03\nendstream",
        catalog_extra=b"/Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >> >>"),
    "hex-escaped-names": pdf(catalog_extra=b"/OpenAction << /S /J#61vaScript /#4A#53 (x) >>"),
    "javascript-in-object-stream": pdf(object_stream(JS_ACTION),
                                       catalog_extra=b"/OpenAction 7 0 R"),
}
# Pages only, with an opening view, and binary page content that holds "/JS" by chance.
PLAIN_PDFS = {
    "pages-only": pdf(),
    "open-action-view": pdf(catalog_extra=b"/OpenAction [3 0 R /Fit]"),
    "binary-content": pdf(content=b"\x00\x93/JS \x01/AA>\xff/Launch(" * 50),
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def add(staff, register):
    case = register()

    def do(content: bytes, name: str = "scan.pdf"):
        return document_add(actor=staff[Role.CASEWORKER], case=case, doc_type="application",
                            upload=SimpleUploadedFile(name, content))

    return do


def refusal(add, content: bytes, name: str = "scan.pdf") -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        add(content, name)
    assert Document.objects.count() == 0
    return info.value


# --- PDFs -------------------------------------------------------------------------------

@pytest.mark.parametrize("content", ACTIVE_PDFS.values(), ids=ACTIVE_PDFS.keys())
def test_a_pdf_that_can_run_something_is_refused(add, content):
    error = refusal(add, content)
    assert error.code == "pdf_active_content"


@pytest.mark.parametrize("content", PLAIN_PDFS.values(), ids=PLAIN_PDFS.keys())
def test_a_pdf_of_pages_is_accepted(add, content):
    assert pdf_active_parts(content) == set()
    assert add(content).content_type == "application/pdf"


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "содержит сценарии"), ("en", "contains scripts, automatic actions")])
def test_the_refusal_of_an_active_pdf_speaks_the_persons_language(add, language, words):
    error = refusal(add, ACTIVE_PDFS["open-action-javascript"])
    with translation.override(language):
        assert words in str(error)


# --- images -----------------------------------------------------------------------------

def png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing ``width`` × ``height`` pixels with almost no data: the bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def jpeg(width: int = 4, height: int = 3, *, announce: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    if announce:  # rewrite the frame header (SOF0): height, width
        at = data.index(b"\xff\xc0")
        data[at + 5:at + 9] = struct.pack(">HH", announce[1], announce[0])
    return bytes(data)


def webp_lossless_header(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 9
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def heic(width: int, height: int) -> bytes:
    ftyp = b"ftyp" + b"heic" + b"\x00\x00\x00\x00" + b"mif1heic"
    ispe = b"ispe" + b"\x00\x00\x00\x00" + struct.pack(">II", width, height)
    return (struct.pack(">I", len(ftyp) + 4) + ftyp
            + struct.pack(">I", len(ispe) + 4) + ispe + b"\x00" * 32)


BOMBS = {
    "png-30000x30000": png_header_only(30000, 30000),
    "jpeg-30000x30000": jpeg(announce=(30000, 30000)),
    "webp-16384x16384": webp_lossless_header(16384, 16384),
    "heic-30000x30000": heic(30000, 30000),
    "png-just-over-the-limit": png_header_only(10001, 9000),
}


@pytest.fixture
def no_decoding(monkeypatch):
    """Decoding any pixels fails the test: sizes come from headers only."""
    def load(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.mark.parametrize("content", BOMBS.values(), ids=BOMBS.keys())
def test_an_image_announcing_too_many_pixels_is_refused_without_decoding(add, no_decoding,
                                                                         content):
    assert 10001 * 9000 > max_image_pixels() == Image.MAX_IMAGE_PIXELS
    error = refusal(add, content, name="photo.png")
    assert error.code == "image_too_large"
    with translation.override("ru"):
        assert "не больше 89 мегапикселей" in str(error)
    with translation.override("en"):
        assert "at most 89 megapixels" in str(error)


@pytest.mark.parametrize("content", [png_bytes(40, 30), jpeg(40, 30),
                                     webp_lossless_header(4000, 3000), heic(4032, 3024)],
                         ids=["png", "jpeg", "webp", "heic-phone-photo"])
def test_ordinary_photos_are_accepted_without_decoding(add, no_decoding, content):
    assert add(content, name="photo").size == len(content)


def test_an_image_whose_header_cannot_be_read_is_refused(add):
    # A JPEG start with no frame header: not a picture anyone can look at.
    broken = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
    error = refusal(add, broken, name="photo.jpg")
    assert error.code == "image_unreadable"
    with translation.override("ru"):
        assert "не удаётся прочитать" in str(error)
