"""``/health/``: is this installation able to take appeals and send their notices?

For monitoring and load balancers: no login, no personal data (states, ages in seconds and
counts only), never cached. Answers 200 when the database, the key store and the worker
are up, 503 when one is down. The outbox's age (how long the oldest notice still to send
has waited) is reported and flagged ``late`` past ``CASEDESK_HEALTH_OUTBOX_LATE_SECONDS``,
without turning the answer into a 503: a mail server that is down must not take the
appeal form out of the load balancer. Alert on ``late`` instead.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections
from django.db.models import Max, Min
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _seconds(since) -> float | None:
    return None if since is None else round(max(0.0, (timezone.now() - since)
                                                .total_seconds()), 1)


def _database() -> dict:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _keys() -> dict:
    from casedesk.core import crypto
    from casedesk.core.models import DataKey

    crypto.master_keys()  # configured and readable
    DataKey.objects.exists()  # the key store's database answers (routed to "keys")
    return {"ok": True}


def _worker() -> dict:
    from casedesk.notifications.models import Heartbeat

    age = _seconds(Heartbeat.objects.aggregate(last=Max("beat_at"))["last"])
    return {"ok": age is not None and age <= settings.CASEDESK_WORKER_STALE_SECONDS,
            "last_beat_seconds": age}


def _outbox() -> dict:
    from casedesk.notifications.outbox import outbox_counts, outbox_oldest_pending_seconds

    age = outbox_oldest_pending_seconds()
    age = None if age is None else round(age, 1)
    return {"ok": True, "oldest_pending_seconds": age,
            "late": age is not None and age > settings.CASEDESK_HEALTH_OUTBOX_LATE_SECONDS,
            **outbox_counts()}


def _tasks() -> dict:
    from django_tasks_db.models import DBTaskResult

    oldest = (DBTaskResult.objects.ready().aggregate(oldest=Min("enqueued_at"))["oldest"])
    return {"ok": True, "oldest_ready_seconds": _seconds(oldest),
            "running": DBTaskResult.objects.running().count()}


CHECKS = {"database": _database, "keys": _keys, "worker": _worker, "outbox": _outbox,
          "tasks": _tasks}
# What makes the answer a 503 (see the module docstring for the outbox).
VITAL = ("database", "keys", "worker")


@never_cache
@require_GET
def health(request):
    checks = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:  # a check that cannot run reports its part down
            logger.warning("health check failed: check=%s error=%s", name,
                           type(exc).__name__)
            checks[name] = {"ok": False, "error": type(exc).__name__}
    up = all(checks[name]["ok"] for name in VITAL)
    return JsonResponse({"status": "ok" if up else "down", "checks": checks},
                        status=200 if up else 503)
