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

from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction

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
