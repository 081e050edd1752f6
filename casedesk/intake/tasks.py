"""Background tasks of intake (django-tasks; run by ``manage.py db_worker``). Arguments are
ids only: the file is read, sealed, from the job."""

from __future__ import annotations

from django_tasks import task

from . import import_jobs, services


@task()
def import_appeals(*, job_id: int) -> str:
    """Import the CSV file of an import job started in the browser."""
    return import_jobs.import_run(job_id=job_id).state


@task()
def repeats_flag(*, case_ids: list[int]) -> int:
    """Flag the new cases that repeat an answered one (``services.repeats_flag``)."""
    return len(services.repeats_flag(case_ids=case_ids))
