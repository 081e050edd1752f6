"""After-commit hooks that queue the applicant's emails (subscribed in ``apps.ready``).

Handlers only enqueue, with ids and the sealed access code: the task table is not
encrypted, so addresses, names and texts are read by the task from the case itself.
"""

from __future__ import annotations

import logging

from . import tasks

logger = logging.getLogger(__name__)

BY_TRANSITION = {
    "request_information": tasks.send_information_request,
    "answer": tasks.send_answer_ready,
}


def on_appeal_acknowledged(*, case_id: int, sealed_code: str, **_ignored) -> None:
    _enqueue(tasks.send_acknowledgement, case_id=case_id, sealed_code=sealed_code)


def on_case_moved(*, case_id: int, transition: str, **_ignored) -> None:
    task = BY_TRANSITION.get(transition)
    if task is not None:
        _enqueue(task, case_id=case_id)


def _enqueue(task, *, case_id: int, **kwargs) -> None:
    # This runs after the commit: the appeal or the move is stored whatever happens here.
    # Raising would fail the applicant's request after the fact and skip the other
    # after-commit hooks, so a notice that cannot be queued is logged and dropped.
    try:
        task.enqueue(case_id=case_id, **kwargs)
    except Exception as exc:
        logger.error("notice not queued: task=%s case=%s error=%s", task.name, case_id,
                     type(exc).__name__)
