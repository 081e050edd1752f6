"""The automatic checkpoint, run by a task worker (``manage.py db_worker``).

``services.audit_record`` queues it after a commit, at most every
``CASEDESK_AUDIT_CHECKPOINT_SECONDS`` per process, so while entries are being written a
checkpoint follows within that time; when nothing is written, nothing needs one. Cron's
``manage.py audit_checkpoint`` covers a worker that is down.
"""

from __future__ import annotations

from django_tasks import task

from .checkpoints import checkpoint_write


@task()
def checkpoint_write_task() -> dict:
    """Append the chain's head to the checkpoint directory (``checkpoints.py``)."""
    record = checkpoint_write()
    return {"seq": record["seq"]}
