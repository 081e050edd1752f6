"""Documents of a case file: adding an upload and opening it again.

Files are stored encrypted with the data key of the case's service member
(casedesk.core.crypto): :func:`file_store` and :func:`file_read` are the only way in and
out, for uploads and for generated letters alike.

Uploads are judged by their content, never by their name or the type the browser sent:
the first bytes must be one of ``ALLOWED_TYPES``. The stored name is random (see
``models.document_path``); the name the person gave is kept, cleaned, for display only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import unicodedata

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.roles import Role
from casedesk.audit.models import ActorKind
from casedesk.audit.services import audit_record
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError

from . import events, permissions, selectors
from .models import Appeal, Case, Document, DocumentType
from .workflow import APPLICANT

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
ADDING_ROLES = frozenset({Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR, APPLICANT})

# filetype looks at no more than the first 8 KiB.
SNIFF_BYTES = 8192
MAX_NAME = 255
# Characters dropped from file names: controls, format characters (bidi overrides that
# disguise "exe" as "pdf", zero-width), surrogates, private use, line separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def max_upload_bytes() -> int:
    return int(getattr(settings, "CASEDESK_MAX_UPLOAD_BYTES", 10 * 1024**2))


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


def file_store(document: Document, data: bytes) -> None:
    """Encrypt ``data`` and write it as the file of ``document`` (not yet saved)."""
    sealed = crypto.seal_bytes(document.data_key_id(), data, FILE_AAD)
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

    The file is written before the row; if anything fails after that the file is deleted
    again. (A rollback of an enclosing transaction after this returns is not seen here.)
    """
    stored: Document | None = None
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            at = at or timezone.now()  # after the lock: times follow the order of the moves
            permissions.require(actor, locked, ADDING_ROLES)
            if doc_type not in DocumentType.values:
                raise ApplicationError(
                    "unknown_doc_type", _("Choose a document type from the list.")
                )
            if appeal is not None and appeal.case_id != locked.pk:
                raise ApplicationError(
                    "appeal_not_in_case", _("The appeal belongs to another case.")
                )
            content_type, size, sha256 = _inspect(upload)
            document = Document(
                case=locked,
                appeal=appeal,
                doc_type=doc_type,
                original_name=_clean_name(upload.name),
                content_type=content_type,
                size=size,
                sha256=sha256,
                uploaded_by=None if isinstance(actor, permissions.ApplicantActor) else actor,
                public=bool(public),
            )
            upload.seek(0)
            file_store(document, upload.read())
            stored = document
            document.save()
            events.document_added(
                locked, at=at, actor=actor, document_id=document.pk, doc_type=doc_type,
                public=bool(public),
            )
            applicant = isinstance(actor, permissions.ApplicantActor)
            audit_record(
                action="document.added", actor=None if applicant else actor,
                actor_kind=ActorKind.APPLICANT if applicant else None,
                object_type="document", object_id=document.pk,
                data={"case": locked.pk, "doc_type": doc_type},
            )
    except BaseException:
        if stored is not None and stored.file.name:
            try:
                stored.file.storage.delete(stored.file.name)
            except Exception:
                logger.exception("could not delete the file of a failed upload")
        raise
    return document


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
