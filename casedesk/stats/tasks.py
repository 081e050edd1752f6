"""Keeping the figures fresh between the nightly ``manage.py stats_refresh`` runs.

Every committed case transition (the ``case_moved`` hook) asks for a refresh. A refresh
rebuilds every table (a second on a small office, about two minutes at a million cases),
so it is not run per change: the first change queues one task to run a delay later and
the changes until it starts queue nothing more: at most one refresh waits at a time. The
delay is ``CASEDESK_STATS_REFRESH_DELAY`` seconds (default 300), or ten times the last
refresh's duration if that is longer, so that refreshing never takes more than about a
tenth of the database's time however large it grows. The task clears the flag as it
starts, so moves made while it runs queue the next one. A delay of 0 or less switches
the refresh on change off (the nightly command only).

Moves that do not go through ``case_transition`` (a new web submission, a deadline
extension, the nightly deadline sweep) are picked up by the next refresh of either kind.
A flag older than ``STALE`` (a task lost with its worker) no longer blocks queueing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from .models import Refresh, RefreshState
from .refresh import stats_refresh

logger = logging.getLogger(__name__)

STALE = dt.timedelta(hours=2)


def delay() -> dt.timedelta | None:
    """How long a queued refresh waits; None when refreshing on change is off."""
    configured = settings.CASEDESK_STATS_REFRESH_DELAY
    if configured <= 0:
        return None
    last = Refresh.objects.order_by("-finished_at").values_list("seconds", flat=True).first()
    return dt.timedelta(seconds=max(configured, 10 * (last or 0)))


@task()
def refresh_figures() -> dict:
    """Rebuild the statistics tables (queued by ``refresh_soon``)."""
    RefreshState.objects.filter(pk=1).update(pending_since=None)
    return stats_refresh(trigger="task").rows


def _claim(now: dt.datetime) -> bool:
    """Set the pending flag if no refresh is waiting; True if this caller set it."""
    free = Q(pending_since__isnull=True) | Q(pending_since__lt=now - STALE)
    if RefreshState.objects.filter(free, pk=1).update(pending_since=now):
        return True
    if RefreshState.objects.filter(pk=1).exists():
        return False
    try:
        with transaction.atomic():
            RefreshState.objects.create(pk=1, pending_since=now)
    except IntegrityError:
        return False
    return True


def refresh_soon() -> bool:
    """Queue one refresh unless one is already waiting; True if one was queued. Never
    raises: the change that asked for it is committed whatever happens here."""
    now = timezone.now()
    try:
        wait = delay()
        if wait is None or not _claim(now):
            return False
        queued = refresh_figures
        if queued.get_backend().supports_defer:
            queued = queued.using(run_after=now + wait)
        try:
            queued.enqueue()
        except Exception:
            RefreshState.objects.filter(pk=1, pending_since=now).update(pending_since=None)
            raise
    except Exception as exc:
        logger.error("statistics refresh not queued: error=%s", type(exc).__name__)
        return False
    return True


def on_case_moved(**_payload) -> None:
    refresh_soon()
