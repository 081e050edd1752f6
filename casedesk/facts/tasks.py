"""Background tasks of the facts (django-tasks; run by ``manage.py db_worker``). Ids only."""

from __future__ import annotations

import logging

from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def facts_extract(*, case_ids: list[int]) -> int:
    """Find and store the facts of the new cases' appeals (``services.facts_extract``).
    A failure is logged by its kind alone (an error's message may quote the text) and
    leaves the appeals as they were."""
    try:
        return services.facts_extract(case_ids=case_ids)
    except Exception as exc:  # noqa: BLE001 - a lost hint, never a lost appeal
        logger.warning("facts not extracted: count=%s error=%s", len(case_ids),
                       type(exc).__name__)
        return 0
