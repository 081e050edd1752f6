"""Documents of a case file: adding an upload and opening it again.

Files are stored encrypted with the data key of the case's service member
(casedesk.core.crypto): :func:`file_store` and :func:`file_read` are the only way in and
out, for uploads and for generated letters alike.

Uploads are judged by their content, never by their name or the type the browser sent:
the first bytes must be one of ``ALLOWED_TYPES``. The stored name is random (see
``models.document_path``); the name the person gave is kept, cleaned, for display only.

What the content may hold is checked too (:func:`_check_content`): a PDF with scripts,
automatic actions, launch actions or embedded files is refused (:func:`pdf_active_parts`),
and so is an image whose header announces more than ``Image.MAX_IMAGE_PIXELS`` pixels (a
decompression bomb), read from the header by Pillow without decoding the pixels. Staff
and applicants get every document as a download (``Content-Disposition: attachment``,
``Content-Security-Policy: sandbox``: the views), never rendered as a page of our site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
import warnings
import zlib

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from casedesk.audit.models import ActorKind
from casedesk.audit.services import audit_defer, audit_record_many
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError

from . import events, permissions, selectors
from .models import Appeal, Case, Document, DocumentType

logger = logging.getLogger(__name__)

# MIME type as detected by ``filetype`` -> the usual extension. Nothing else is accepted.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",  # phone photos; filetype recognises the 'heic' ISO-BMFF brand
}

# Staff of the case's office, and the applicant of the case (ApplicantActor).

# filetype looks at no more than the first 8 KiB.
SNIFF_BYTES = 8192
MAX_NAME = 255
# Characters dropped from file names: controls, format characters (bidi overrides that
# disguise "exe" as "pdf", zero-width), surrogates, private use, line separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def max_upload_bytes() -> int:
    return settings.CASEDESK_MAX_UPLOAD_BYTES


def _megabytes(limit: int) -> int | float:
    mb = limit / 1024**2
    return int(mb) if mb == int(mb) else max(round(mb, 1), 0.1)


def _too_large(limit: int) -> ApplicationError:
    return ApplicationError(
        "file_too_large",
        _("The file is too large: at most %(max)s MB is accepted."),
        max=_megabytes(limit),
    )


def _sniff(head: bytes) -> str:
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ApplicationError(
            "file_type", _("Only PDF, JPEG, PNG, WebP or HEIC files can be added.")
        )
    return kind.mime


def _inspect(upload: UploadedFile) -> tuple[str, int, str]:
    """Read the upload once: (detected MIME type, size, sha256), or refuse it."""
    limit = max_upload_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    digest = hashlib.sha256()
    size = 0
    head = b""
    mime = None
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        digest.update(chunk)
        if mime is None:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                mime = _sniff(head)
    if size == 0:
        raise ApplicationError("file_empty", _("The file is empty."))
    if mime is None:
        mime = _sniff(head)
    return mime, size, digest.hexdigest()


# --- what a file may hold ---------------------------------------------------------------

# PDF names that run something or carry another file: JavaScript (also reached from
# /OpenAction or /Names), additional actions fired on opening a page or a field (/AA),
# launching a program, embedded and attached files, Flash (RichMedia). A name may be
# written with #xx escapes (/J#61vaScript); it is compared after decoding them.
PDF_ACTIVE_NAMES = frozenset({
    b"JS", b"JavaScript", b"AA", b"Launch", b"EmbeddedFile", b"EmbeddedFiles",
    b"RichMedia",
})
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()\{\}%]*)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n")  # "endstream" is skipped where it is met
# Object streams (PDF 1.5) hold dictionaries compressed: those are opened and read too,
# each up to this many bytes, and up to this many in all (else the file is refused).
PDF_OBJECT_STREAM_BYTES = 16 * 1024**2
PDF_OBJECT_STREAMS_TOTAL = 64 * 1024**2


def _pdf_names(data: bytes) -> set[bytes]:
    return {_PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), name) if b"#" in name
            else name for name in set(_PDF_NAME.findall(data))}


def pdf_active_parts(data: bytes) -> set[str]:
    """The names of ``PDF_ACTIVE_NAMES`` found in the PDF ``data``: in its objects outside
    streams, and inside its (Flate-compressed) object streams; empty for a PDF of pages
    only. The bodies of other streams (page contents, images, fonts) are not read: in
    binary data "/JS" turns up by chance, and no dictionary lives there.

    A scan, not a PDF parser: a name anywhere counts, also in a dictionary that a reader
    would never reach, so it errs on the side of refusing."""
    found: set[bytes] = set()
    outside: list[bytes] = []
    budget = PDF_OBJECT_STREAMS_TOTAL
    position = 0
    for match in _PDF_STREAM.finditer(data):
        if match.start() < position or data[max(0, match.start() - 3):match.start()] == b"end":
            continue  # inside the body of the stream before, or its end
        outside.append(data[position:match.start()])
        end = data.find(b"endstream", match.end())
        end = len(data) if end == -1 else end
        position = end
        # The stream's dictionary is what precedes "stream", back to its "obj".
        low = max(0, match.start() - 4096)
        start = data.rfind(b"obj", low, match.start())
        if b"ObjStm" not in _pdf_names(data[low if start == -1 else start:match.start()]):
            continue
        try:
            inflated = zlib.decompressobj().decompress(data[match.end():end],
                                                       PDF_OBJECT_STREAM_BYTES)
        except zlib.error:
            continue
        budget -= len(inflated)
        if budget < 0:
            found.add(b"ObjStm")  # more compressed objects than any real document has
            break
        found |= _pdf_names(inflated) & PDF_ACTIVE_NAMES
    outside.append(data[position:])
    found |= _pdf_names(b"\n".join(outside)) & PDF_ACTIVE_NAMES
    return {name.decode("ascii", "replace") for name in found}


# The Pillow plugin that must read each kind of image (the content was sniffed already).
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def max_image_pixels() -> int:
    return int(Image.MAX_IMAGE_PIXELS or 89_478_485)


def _heic_sizes(data: bytes) -> list[tuple[int, int]]:
    """Width and height of every 'ispe' (image spatial extents) box of a HEIC file."""
    sizes = []
    at = data.find(b"ispe")
    while at != -1 and at + 16 <= len(data):
        width, height = int.from_bytes(data[at + 8:at + 12], "big"), \
            int.from_bytes(data[at + 12:at + 16], "big")
        sizes.append((width, height))
        at = data.find(b"ispe", at + 4)
    return sizes


def _image_size(data: bytes, mime: str) -> tuple[int, int] | None:
    """(width, height) from the image's header, without decoding its pixels; None for
    HEIC without size boxes (Pillow does not read HEIC; it is never decoded here)."""
    if mime == "image/heic":
        sizes = _heic_sizes(data)
        return max(sizes, key=lambda s: s[0] * s[1]) if sizes else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[mime]]) as image:
                return image.size
    except Image.DecompressionBombError:
        return (max_image_pixels() + 1, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ApplicationError(
            "image_unreadable",
            _("The image cannot be read. Add it again as a PDF, JPEG or PNG file.")) from None


def _check_content(mime: str, data: bytes) -> None:
    """Refuse a PDF that can run something and an image too large to decode safely."""
    if mime == "application/pdf":
        if pdf_active_parts(data):
            raise ApplicationError(
                "pdf_active_content",
                _("This PDF contains scripts, automatic actions or embedded files, which "
                  "are not accepted. Print it to a new PDF (\"Print\" → \"Save as PDF\") or "
                  "take a photo of it, and add that."))
        return
    size = _image_size(data, mime)
    if size is not None and size[0] * size[1] > max_image_pixels():
        raise ApplicationError(
            "image_too_large",
            _("The image is too large: at most %(max)s megapixels are accepted. Make it "
              "smaller or add it as a PDF."),
            max=max_image_pixels() // 1_000_000)


def _clean_name(name: str | None) -> str:
    """The base name only, without path parts or control characters, at most 255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(c for c in name if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in {"", ".", ".."}:
        return "document"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


FILE_AAD = "cases.document.file"


def file_store(document: Document, data: bytes, *, key_id: str = "") -> None:
    """Encrypt ``data`` and write it as the file of ``document`` (not yet saved), with
    the data key ``key_id`` (by default its case's service member's)."""
    sealed = crypto.seal_bytes(key_id or document.data_key_id(), data, FILE_AAD)
    document.file.save("document", ContentFile(sealed), save=False)


def file_read(document: Document) -> bytes:
    """The plaintext of the file of ``document``; ``file_missing`` if the file is gone,
    ``erased`` if the person's data was erased."""
    try:
        with document.file.storage.open(document.file.name, "rb") as handle:
            sealed = handle.read()
    except FileNotFoundError:
        logger.error("document %s: file %s is missing", document.pk, document.file.name)
        raise ApplicationError(
            "file_missing", _("The file of this document is missing. Tell the administrator.")
        ) from None
    try:
        return crypto.open_bytes(sealed, FILE_AAD)
    except crypto.KeyMissing:
        raise ApplicationError(
            "erased", _("This document was erased with the person's data.")) from None


def document_prepare(
    *,
    actor,
    case: Case,
    upload: UploadedFile,
    doc_type: str,
    appeal: Appeal | None = None,
    public: bool = False,
) -> Document:
    """The slow half of adding an upload, done before any lock: check the actor, the type
    and the content, encrypt the file and write it to the storage. Returns the document,
    not saved; ``document_file_inner`` files it (and checks the actor again, under the
    case's lock), ``document_discard`` deletes its file if it is not filed after all."""
    permissions.require(actor, case, "document_add")
    if appeal is not None and appeal.case_id != case.pk:
        raise ApplicationError(
            "appeal_not_in_case", _("The appeal belongs to another case.")
        )
    document = upload_prepare(
        upload=upload, doc_type=doc_type, case_id=case.pk, key_id=case.data_key_id(),
        uploaded_by=None if isinstance(actor, permissions.ApplicantActor) else actor,
        public=public)
    document.case, document.appeal = case, appeal
    return document


def document_discard(document: Document | None) -> None:
    """Delete the stored file of a document that was not filed (its transaction failed)."""
    if document is not None:
        files_discard([document])


def document_file_inner(*, actor, document: Document, at: dt.datetime | None = None,
                        audits: list[dict] | None = None) -> Document:
    """File a prepared document (``document_prepare``) in the caller's transaction: lock
    the case, check the actor again, save the row and its timeline event. Its audit entry
    goes to ``audits`` for the caller to write last (``None``: at once)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=document.case_id)
        at = at or timezone.now()  # after the lock: times follow the order of the moves
        permissions.require(actor, locked, "document_add")
        document.case = locked
        document.save()
        events.document_added(
            locked, at=at, actor=actor, document_id=document.pk, doc_type=document.doc_type,
            public=document.public,
        )
        applicant = isinstance(actor, permissions.ApplicantActor)
        audit_defer(
            audits, action="document.added", actor=None if applicant else actor,
            actor_kind=ActorKind.APPLICANT if applicant else None,
            object_type="document", object_id=document.pk,
            data={"case": locked.pk, "doc_type": document.doc_type},
        )
    return document


def document_add(
    *,
    actor,
    case: Case,
    upload: UploadedFile,
    doc_type: str,
    appeal: Appeal | None = None,
    public: bool = False,
    at: dt.datetime | None = None,
) -> Document:
    """Store ``upload`` in the case file, or refuse it and store nothing.

    An outermost action: the file is checked, encrypted and written first, with no lock
    held (``document_prepare``); then one durable transaction locks the case and writes
    the row, the event and, last, the audit entry. If that fails the file is deleted
    again. Inside another action, prepare the file before that action's transaction and
    file it with ``document_file_inner``.
    """
    document = document_prepare(actor=actor, case=case, upload=upload, doc_type=doc_type,
                                appeal=appeal, public=public)
    audits: list[dict] = []
    try:
        with transaction.atomic(durable=True):
            document_file_inner(actor=actor, document=document, at=at, audits=audits)
            audit_record_many(audits)
    except BaseException:
        document_discard(document)
        raise
    return document


def upload_prepare(*, upload: UploadedFile, doc_type: str, case_id: int, key_id: str,
                   uploaded_by=None, public: bool = False) -> Document:
    """The slow part of adding an upload, done before any lock is taken: check it
    (``_inspect``, ``_check_content``), hash it, encrypt it with the data key ``key_id``
    (the service member's of the case ``case_id``, which may not be saved yet) and store
    the file. Returns the document row unsaved, for its case's transaction to save
    (``intake.services.appeals_open``); whoever prepared it deletes the file again
    (``files_discard``) if that transaction fails."""
    if doc_type not in DocumentType.values:
        raise ApplicationError("unknown_doc_type", _("Choose a document type from the list."))
    content_type, size, sha256 = _inspect(upload)
    document = Document(case_id=case_id, doc_type=doc_type,
                        original_name=_clean_name(upload.name), content_type=content_type,
                        size=size, sha256=sha256, uploaded_by=uploaded_by,
                        public=bool(public))
    upload.seek(0)
    data = upload.read()
    _check_content(content_type, data)
    file_store(document, data, key_id=key_id)
    return document


def files_discard(prepared: list[Document]) -> None:
    """Delete the files of documents ``upload_prepare`` stored whose rows were not
    written (their transaction failed)."""
    files_delete([document.file.name for document in prepared if document.file.name])


def files_delete(names: list[str]) -> None:
    """Delete these files of the documents' storage (best effort: a failure is logged,
    never raised, as this cleans up after something else)."""
    storage = Document._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete a document's file")


# Headers of every response that hands out a document's file (staff and applicants): the
# browser saves it rather than showing it as a page of this site, and, if it is shown
# anyway (a browser that ignores the disposition, a "open" click), it runs sandboxed: no
# script, no form, no same-origin access to the staff's session.
DOCUMENT_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def document_open(*, actor, document_id: int, case: Case) -> tuple[Document, File]:
    """The document ``document_id`` of ``case`` and its file opened for reading (binary).
    The caller closes the file (``FileResponse`` does). Refused with ``not_found`` unless
    ``actor`` may read the case and the document belongs to it."""
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        document_id = None
    document = None
    if document_id is not None:
        document = (
            Document.objects.select_related("case__service_member")
            .filter(pk=document_id, case_id=case.pk,
                    case__in=selectors.case_list_visible(actor))
            .first()
        )
    if document is None:
        raise ApplicationError("not_found", _("No such document."))
    return document, io.BytesIO(file_read(document))
