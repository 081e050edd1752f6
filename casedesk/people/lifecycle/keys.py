"""Re-wrap every data key under the current master key (casedesk.core.crypto).

Run it (``manage.py keys_rotate``) after putting a new master key first in
``CASEDESK_MASTER_KEYS`` (keep the old ones listed until it has finished). Online: each
batch is one short transaction on the key store that skips rows locked by others; the data
keys themselves do not change, so nothing in the data database is touched and everything
stays readable throughout. When it reports nothing left under an old master key, that key
can be removed from the configuration.

It lives here, not in core, because it writes an audit entry ("keys.rotated") and core
may not import the audit layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from casedesk.audit.services import audit_record
from casedesk.core import crypto
from casedesk.core.models import DataKey
from casedesk.core.routers import KEYSTORE


@dataclass(frozen=True)
class KeyRotation:
    target: str  # the current master key's id
    before: int  # data keys under an older master key when the rotation started
    rewrapped: int
    remaining: int  # still under an older one: locked, or added meanwhile


def keys_rotate(*, batch: int = 1000, started: Callable[[int, str], None] | None = None,
                progress: Callable[[int], None] | None = None) -> KeyRotation:
    """Re-wrap the data keys under the current master key, ``batch`` per transaction;
    ``started(count, target)`` and ``progress(rewrapped so far)`` report as it goes. A key
    under a master key that is not configured stops it: it is audited as failed and
    ``ImproperlyConfigured`` is raised, saying how many were re-wrapped before."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    current = crypto.master_keys().current
    before = DataKey.objects.exclude(master_key=current).count()
    if started is not None:
        started(before, current)
    rewrapped, last = 0, ""
    try:
        while True:
            with transaction.atomic(using=KEYSTORE):
                rows = list(DataKey.objects.select_for_update(skip_locked=True)
                            .exclude(master_key=current).filter(pk__gt=last)
                            .order_by("pk")[:batch])
                if not rows:
                    break
                for row in rows:
                    raw = crypto.unwrap(row.master_key, row.wrapped)
                    row.master_key, row.wrapped = crypto.wrap(raw)
                DataKey.objects.bulk_update(rows, ["master_key", "wrapped"])
            rewrapped += len(rows)
            last = rows[-1].pk
            if progress is not None:
                progress(rewrapped)
    except ImproperlyConfigured as exc:
        audit_record(action="keys.rotated",
                     data={"count": rewrapped, "target": current, "result": "failed"})
        raise ImproperlyConfigured(
            f"{exc}; {rewrapped} re-wrapped before the failure") from exc
    remaining = DataKey.objects.exclude(master_key=current).count()
    audit_record(action="keys.rotated",
                 data={"count": rewrapped, "target": current,
                       "result": "incomplete" if remaining else "complete"})
    return KeyRotation(target=current, before=before, rewrapped=rewrapped,
                       remaining=remaining)
