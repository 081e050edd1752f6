"""After-commit hooks that queue the applicant's emails (subscribed in ``apps.ready``).

Handlers only enqueue, with ids and the sealed access code: the task table is not
encrypted, so addresses, names and texts are read by the task from the case itself.
"""

from __future__ import annotations

import logging

from casedesk.core import bulk

from . import tasks

logger = logging.getLogger(__name__)

BY_TRANSITION = {
    "request_information": tasks.send_information_request,
}


def on_appeal_acknowledged(*, case_id: int, sealed_code: str, **_ignored) -> None:
    _enqueue(tasks.send_acknowledgement, case_id=case_id, sealed_code=sealed_code)


def on_appeals_acknowledged(payloads: list[dict]) -> None:
    """``on_appeal_acknowledged`` for appeals written together: their tasks queued in one
    insert."""
    _enqueue_many(tasks.send_acknowledgement,
                  [{"case_id": p["case_id"], "sealed_code": p["sealed_code"]} for p in payloads])


def on_access_code_recovered(*, case_id: int, sealed_code: str, **_ignored) -> None:
    _enqueue(tasks.send_access_code, case_id=case_id, sealed_code=sealed_code)


def on_access_code_reissued(*, case_id: int, **_ignored) -> None:
    _enqueue(tasks.send_access_code_reissued, case_id=case_id)


def on_case_moved(*, case_id: int, transition: str, **_ignored) -> None:
    task = BY_TRANSITION.get(transition)
    if task is not None:
        _enqueue(task, case_id=case_id)


def on_letter_generated(*, case_id: int, kind: str, **_ignored) -> None:
    """A notice the law requires (forwarding, extension, no answer) was written: email
    the applicant that it is on the status page."""
    if kind in tasks.LETTER_NOTICES:
        _enqueue(tasks.send_letter_notice, case_id=case_id, kind=kind)


def on_answer_signed(*, case_id: int, **_ignored) -> None:
    """An answer (or a supplement to one) was signed and sent: "your answer is ready"."""
    _enqueue(tasks.send_answer_ready, case_id=case_id)


def _enqueue(task, *, case_id: int, **kwargs) -> None:
    # This runs after the commit: the appeal or the move is stored whatever happens here.
    # Raising would fail the applicant's request after the fact and skip the other
    # after-commit hooks, so a notice that cannot be queued is logged and dropped.
    try:
        task.enqueue(case_id=case_id, **kwargs)
    except Exception as exc:
        logger.error("notice not queued: task=%s case=%s error=%s", task.name, case_id,
                     type(exc).__name__)


def _enqueue_many(task, kwargs_list: list[dict]) -> None:
    """Queue ``task`` once for each of ``kwargs_list``: with the database backend in one
    insert (one row per task, as its ``enqueue`` and the ``pre_save`` signal it relies on
    write them; the test runs the worker on such rows), else one by one."""
    from django_tasks_db.backend import DatabaseBackend

    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        for kwargs in kwargs_list:
            _enqueue(task, **kwargs)
        return
    from django_tasks.utils import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    try:
        backend.validate_task(task)
        bulk.create([
            DBTaskResult(id=backend._get_id(),
                         args_kwargs=normalize_json({"args": [], "kwargs": kwargs}),
                         priority=task.priority, task_path=task.module_path,
                         queue_name=task.queue_name,
                         # what the backend's pre_save signal (not sent here) sets
                         run_after=task.run_after or get_date_max(),
                         backend_name=backend.alias)
            for kwargs in kwargs_list])
    except Exception as exc:
        logger.error("notices not queued: task=%s count=%s error=%s", task.name,
                     len(kwargs_list), type(exc).__name__)
