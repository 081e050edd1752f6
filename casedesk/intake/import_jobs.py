"""CSV import from the browser: check on upload, import in a background task.

The rows are checked and written by :func:`casedesk.intake.bulk_import.appeals_import`,
the same code as ``manage.py import_appeals`` (one validator). Here:

- :func:`import_check` runs it as a dry run on the uploaded bytes. With errors (or
  nothing new to import) nothing is stored but an audit entry; else an
  :class:`ImportJob` keeps the file sealed with a data key of its own.
- :func:`import_start` queues the task (:mod:`casedesk.intake.tasks`) after commit.
- :func:`import_run` (the task) imports the rows, storing how many rows it has checked
  as it goes (the progress bar), then the result. Whatever the outcome the sealed file is
  dropped and its key destroyed, so the file is gone from every copy of the database.
- A job checked but not started within ``STALE_AFTER`` is expired the same way.

The file is never written anywhere but to a private temporary file that the import reads
(it reads the file twice), deleted as soon as the import returns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from casedesk.accounts.models import Office
from casedesk.audit.services import audit_record
from casedesk.cases import permissions
from casedesk.core import crypto
from casedesk.core.errors import ApplicationError

from .bulk_import import ImportResult, RowError, appeals_import
from .models import ImportJob
from .services import REGISTERING_ROLES

FILE_AAD = "intake_importjob.sealed"
STALE_AFTER = dt.timedelta(hours=24)
State = ImportJob.State
ACTIVE = (State.QUEUED, State.RUNNING)


@contextlib.contextmanager
def _temporary(data: bytes) -> Iterator[Path]:
    """``data`` in a temporary file only this process's user may read, removed after."""
    handle, name = tempfile.mkstemp(prefix="casedesk-import-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _require(actor, office_id: int) -> None:
    if actor is None or not actor.is_active or actor.role not in REGISTERING_ROLES \
            or office_id not in permissions.office_ids(actor):
        raise ApplicationError("forbidden", _("You are not allowed to register appeals here."))


def import_offices(actor) -> list[Office]:
    """The offices ``actor`` may import into (empty: no import for this role)."""
    if actor is None or not actor.is_active or actor.role not in REGISTERING_ROLES:
        return []
    return list(actor.offices.order_by("code"))


def error_codes(errors: list[RowError]) -> list[list]:
    """Errors as stored on a job: row, column, the message in English (its msgid) and its
    parameters; translated again when shown (:func:`error_text`)."""
    with translation.override("en"):
        return [[e.row, e.column, str(e.message), dict(e.params)] for e in errors]


def error_text(message: str, params: dict) -> str:
    text = translation.gettext(message)
    return text % params if params else text


def import_check(*, actor, office: Office, data: bytes) -> tuple[ImportResult, ImportJob | None]:
    """Check the CSV ``data`` for ``office`` (nothing is imported). Returns the result
    (``errors`` with every bad cell) and, when the file is good and has rows not imported
    before, a new job holding the file sealed, ready for :func:`import_start`."""
    _require(actor, office.pk)
    if len(data) > settings.CASEDESK_IMPORT_MAX_BYTES:
        raise ApplicationError("too_large", _("The file is larger than %(max)s MB.") % {
            "max": settings.CASEDESK_IMPORT_MAX_BYTES // 1024**2})
    import_expire_stale()
    with _temporary(data) as path:
        result = appeals_import(actor=actor, office=office, path=path, dry_run=True)
    if result.errors or not result.imported:
        audit_record(action="appeal.import_check", actor=actor, object_type="office",
                     object_id=office.pk,
                     data={"count": result.rows,
                           "result": "errors" if result.errors else "nothing_new"})
        return result, None
    with transaction.atomic(durable=True):
        key_id = crypto.key_new()
        job = ImportJob.objects.create(
            office=office, created_by=actor, key_id=key_id,
            sealed=crypto.seal_bytes(key_id, data, FILE_AAD), size=len(data),
            rows=result.rows, new_rows=result.imported,
            already_imported=result.already_imported)
        audit_record(action="appeal.import_check", actor=actor, object_type="import",
                     object_id=job.pk, data={"office": office.pk, "count": result.rows,
                                             "result": "ok"})
    return result, job


def import_job_list(*, actor, limit: int = 20) -> QuerySet[ImportJob]:
    """The latest jobs of the offices ``actor`` may import into."""
    if actor is None or not actor.is_active or actor.role not in REGISTERING_ROLES:
        return ImportJob.objects.none()
    return (ImportJob.objects.filter(office_id__in=permissions.office_ids(actor))
            .select_related("office").order_by("-created_at")[:limit])


def import_job_get(*, actor, job_id: int) -> ImportJob:
    """A job of one of ``actor``'s offices; "not_found" for any other (as for cases)."""
    job = ImportJob.objects.select_related("office").filter(pk=job_id).first()
    if job is None or actor is None or not actor.is_active \
            or actor.role not in REGISTERING_ROLES \
            or job.office_id not in permissions.office_ids(actor):
        raise ApplicationError("not_found", _("No such import."))
    return job


def import_start(*, actor, job_id: int) -> ImportJob:
    """Queue the import of a checked job; the task starts after commit."""
    from . import tasks

    with transaction.atomic(durable=True):
        import_job_get(actor=actor, job_id=job_id)  # refuses other offices' jobs
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.state != State.CHECKED or timezone.now() - job.created_at > STALE_AFTER:
            raise ApplicationError("not_startable", _(
                "This import has already been started or has expired: upload the file "
                "again."))
        job.state = State.QUEUED
        job.save(update_fields=["state"])
        audit_record(action="appeal.import_start", actor=actor, object_type="import",
                     object_id=job.pk, data={"office": job.office_id})
        transaction.on_commit(lambda: tasks.import_appeals.enqueue(job_id=job.pk))
    return job


def _forget_file(job: ImportJob) -> None:
    """Drop the sealed file and destroy its key (every copy becomes unreadable)."""
    crypto.keys_destroy([job.key_id])
    job.sealed = None


def import_run(*, job_id: int) -> ImportJob:
    """The background task's work: import a queued job's file. Runs once: a job that is
    not queued (already run, or run by another worker) is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, state=State.QUEUED).update(
        state=State.RUNNING, started_at=timezone.now())
    job = ImportJob.objects.select_related("office", "created_by").get(pk=job_id)
    if not claimed:
        if job.state == State.RUNNING:
            # The task runs again only when its first run died (its worker killed, the
            # database gone before the job's end was stored): end the job with a message
            # rather than leave its page waiting for ever.
            job.state, job.failure = State.FAILED, "interrupted"
            with translation.override("en"):
                job.errors = [[0, "", str(INTERRUPTED_RUN), {}]]
            _finish(job)
        return job

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(checked=rows)

    try:
        try:
            data = crypto.open_bytes(bytes(job.sealed), FILE_AAD)
        except crypto.KeyMissing:
            raise ApplicationError("file_gone", _("The file is no longer stored.")) from None
        with _temporary(data) as path:
            del data
            result = appeals_import(actor=job.created_by, office=job.office, path=path,
                                    progress=progress)
    except ApplicationError as error:
        job.state, job.failure = State.FAILED, error.code[:40]
        with translation.override("en"):  # its msgid, translated when shown
            job.errors = [[0, "", str(error.message), dict(error.params)]]
    except Exception:
        job.state, job.failure = State.FAILED, "error"
        _finish(job)
        raise
    else:
        job.checked = result.rows
        job.imported = result.imported
        job.already_imported = result.already_imported
        job.errors = error_codes(result.errors)
        job.state = State.FAILED if result.errors else State.DONE
        job.failure = "rows" if result.errors else ""
    _finish(job)
    return job


INTERRUPTED_RUN = _(
    "The import stopped before it finished (its worker or the database went away), so it "
    "may or may not have been saved. Upload the file again and import it: rows imported "
    "before are skipped, so nothing is imported twice.")


def _finish(job: ImportJob) -> None:
    _forget_file(job)
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "failure", "checked", "imported", "already_imported",
                            "errors", "sealed", "finished_at"])
    audit_record(action="appeal.import_end", actor=job.created_by, object_type="import",
                 object_id=job.pk, data={"office": job.office_id, "count": job.imported,
                                         "result": job.failure or "ok"})


def import_expire_stale(*, now: dt.datetime | None = None) -> int:
    """Expire the jobs checked but not started within ``STALE_AFTER``: their files are
    dropped and their keys destroyed. Returns how many."""
    now = now or timezone.now()
    stale = list(ImportJob.objects.filter(state=State.CHECKED,
                                          created_at__lt=now - STALE_AFTER))
    for job in stale:
        with transaction.atomic():
            _forget_file(job)
            job.state = State.EXPIRED
            job.save(update_fields=["state", "sealed"])
    return len(stale)
