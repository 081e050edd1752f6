"""After-commit hooks: how domain services start side effects without importing the apps
that perform them (notifications sit above the domain).

A service calls ``emit("case_moved", case_id=..., transition=...)`` inside its
transaction; every handler subscribed to that name runs after the transaction commits
(and never if it rolls back). Handlers are subscribed in their app's ``ready()``. Names and
payloads are listed in docs/domain.md; payloads carry ids and codes, never personal data.

A handler subscribed with ``in_transaction=True`` runs at once, inside the emitter's
transaction (an outbox: what it writes commits or rolls back with the change that caused
it, so nothing is lost between the two). Such a handler only writes rows of its own app;
an error in it fails the change.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)
_many: dict[Callable[..., None], Callable[[list[dict]], None]] = {}
_now: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[..., None], *,
              many: Callable[[list[dict]], None] | None = None,
              in_transaction: bool = False) -> None:
    """Run ``handler(**payload)`` after the commit of each ``emit(name, ...)``. ``many``:
    the same handler for a list of payloads at once, used by ``emit_many``.
    ``in_transaction``: run it at once, inside the emitter's transaction."""
    if in_transaction:
        if handler not in _now[name]:
            _now[name].append(handler)
        if many is not None:
            _many[handler] = many
        return
    if handler not in _handlers[name]:
        _handlers[name].append(handler)
    if many is not None:
        _many[handler] = many


def emit(name: str, **payload) -> None:
    for handler in list(_now[name]):
        handler(**payload)
    for handler in list(_handlers[name]):
        transaction.on_commit(lambda h=handler: h(**payload))


def emit_many(name: str, payloads: list[dict]) -> None:
    """``emit`` for many payloads at once (appeals written together): each handler gets
    them all in one call when it was subscribed with ``many``, else one by one; the
    ``in_transaction`` ones at once, the others after the commit."""
    if not payloads:
        return
    for handler in list(_now[name]):
        many = _many.get(handler)
        if many is not None:
            many(payloads)
        else:
            _each(handler, payloads)
    for handler in list(_handlers[name]):
        many = _many.get(handler)
        transaction.on_commit(partial(many, payloads) if many is not None
                              else partial(_each, handler, payloads))


def _each(handler: Callable[..., None], payloads: list[dict]) -> None:
    for payload in payloads:
        handler(**payload)


class _Queued:
    """The callables ``queue_after_commit`` gathered for one commit."""

    def __init__(self, using: str | None) -> None:
        self.using = using
        self.calls: list[Callable[[], None]] = []
        self.registered = False

    def run(self) -> None:
        calls, self.calls = self.calls, []
        try:
            with transaction.atomic(using=self.using):
                for call in calls:
                    call()
        except Exception as exc:  # noqa: BLE001 - the change that queued them is committed
            logger.warning("tasks not queued after the commit: count=%s error=%s",
                           len(calls), type(exc).__name__)


_together: ContextVar[_Queued | None] = ContextVar("casedesk_queued_together", default=None)


@contextmanager
def queued_together(*, using: str | None = None):
    """Inside this block, the ``queue_after_commit`` calls of the transaction it holds run
    after its commit all in ONE transaction of their own: one commit for all of them,
    where each would commit (and wait for the disk) alone. The batch writer of public
    appeals (``intake.public``) queues the acknowledgements and the checks after the
    receipt so."""
    token = _together.set(_Queued(using))
    try:
        yield
    finally:
        _together.reset(token)


def queue_after_commit(call: Callable[[], None], *, using: str | None = None) -> None:
    """Run ``call`` (one that queues background tasks: it writes rows of the task queue)
    after the current transaction commits, in a transaction of its own, together with
    the other calls of a ``queued_together`` block. Outside a transaction, at once (in a
    transaction of its own). If that transaction fails, the error is logged (counts only)
    and those tasks are not queued; what queued them is committed already. Nothing runs
    if the transaction rolls back."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        alone = _Queued(using)
        alone.calls.append(call)
        alone.run()
        return
    group = _together.get()
    if group is None or group.using != using:
        group = _Queued(using)
    if not group.registered:
        group.registered = True
        transaction.on_commit(group.run, using=using)
    group.calls.append(call)
