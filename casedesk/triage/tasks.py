"""The background task of triage (django-tasks, run by ``manage.py db_worker``): the
category suggestions of new cases. Arguments are ids only."""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def triage_suggest(*, case_ids: list[int]) -> int:
    """Suggest categories for the new cases (``services.suggest``). A failure is logged by
    its kind alone (an error's message may quote a text) and leaves the cases as they
    were: a lost hint, never a lost appeal."""
    from . import services

    try:
        return services.suggest(case_ids)
    except Exception as exc:  # noqa: BLE001
        logger.warning("triage suggestions not made: count=%s error=%s", len(case_ids),
                       type(exc).__name__)
        return 0


def on_cases_opened(*, case_ids: list[int]) -> None:
    """The hook ``cases_opened`` (after the commit): queue the task; a failure to queue is
    logged (counts only) and loses only the suggestions."""
    try:
        triage_suggest.enqueue(case_ids=list(case_ids))
    except Exception as exc:  # noqa: BLE001 - the appeals are stored whatever happens here
        logger.warning("triage suggestions not queued: count=%s error=%s", len(case_ids),
                       type(exc).__name__)
