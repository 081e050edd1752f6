"""Background tasks of intake (django-tasks; run by ``manage.py db_worker``). Arguments are
ids only: the file is read, sealed, from the job."""

from __future__ import annotations

import logging

from django_tasks import task

from . import import_jobs, services

logger = logging.getLogger(__name__)


@task()
def import_appeals(*, job_id: int) -> str:
    """Import the CSV file of an import job started in the browser."""
    return import_jobs.import_run(job_id=job_id).state


@task()
def repeats_flag(*, case_ids: list[int]) -> int:
    """Flag the new cases that repeat an answered one (``services.repeats_flag``)."""
    return len(services.repeats_flag(case_ids=case_ids))


@task()
def duplicates_flag(*, case_ids: list[int]) -> int:
    """Flag the people who may be the service member of the new cases under another
    record (``services.duplicates_flag``). A failure is logged by its kind alone (an
    error's message may quote a row) and leaves the cases as they were."""
    try:
        return len(services.duplicates_flag(case_ids=case_ids))
    except Exception as exc:  # noqa: BLE001 - a lost hint, never a lost appeal
        logger.warning("duplicates not checked: count=%s error=%s", len(case_ids),
                       type(exc).__name__)
        return 0
