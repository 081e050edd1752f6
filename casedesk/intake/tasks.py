"""Background tasks of intake (django-tasks; run by ``manage.py db_worker``). Arguments are
ids only: the file is read, sealed, from the job."""

from __future__ import annotations

from django_tasks import task

from . import import_jobs


@task()
def import_appeals(*, job_id: int) -> str:
    """Import the CSV file of an import job started in the browser."""
    return import_jobs.import_run(job_id=job_id).state
