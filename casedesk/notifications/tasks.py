"""The fast path of the outbox (django-tasks; run by ``manage.py db_worker``, which
``manage.py worker`` supervises): queued after the commit that recorded the notices, it
sends them at once. Whether it runs or not, the worker's loop sends every due row
(``outbox.outbox_send``), so a task that is lost, fails or dies loses no notice.

Arguments are the outbox keys only (ids and codes).
"""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task(takes_context=True)
def send_notices(context, *, keys: list[str]) -> int:
    """Send the notices of ``keys`` that are still due; how many were handled. The rows
    record the task worker's id as the one that sent them."""
    worker_ids = context.task_result.worker_ids
    worker = worker_ids[-1] if worker_ids else "task"
    return outbox.outbox_send(keys=list(keys), limit=len(keys), worker=worker).handled
