"""Background task of urgency (django-tasks; run by ``manage.py db_worker``): ids only."""

from __future__ import annotations

import logging

from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def urgency_evaluate(*, case_ids: list[int]) -> int:
    """Flag the urgent ones of the new cases (``services.cases_evaluate``). A failure is
    logged by its kind alone (an error's message may quote the text) and leaves the
    cases as they were."""
    try:
        return len(services.cases_evaluate(case_ids=case_ids))
    except Exception as exc:  # noqa: BLE001 - a lost hint, never a lost appeal
        logger.warning("urgency not evaluated: count=%s error=%s", len(case_ids),
                       type(exc).__name__)
        return 0
