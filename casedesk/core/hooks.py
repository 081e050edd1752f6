"""After-commit hooks: how domain services start side effects without importing the apps
that perform them (notifications sit above the domain).

A service calls ``emit("case_moved", case_id=..., transition=...)`` inside its
transaction; every handler subscribed to that name runs after the transaction commits
(and never if it rolls back). Handlers are subscribed in their app's ``ready()``. Names and
payloads are listed in docs/domain.md; payloads carry ids and codes, never personal data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def emit(name: str, **payload) -> None:
    for handler in list(_handlers[name]):
        transaction.on_commit(lambda h=handler: h(**payload))
