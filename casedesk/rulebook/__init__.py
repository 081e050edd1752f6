"""The rulebook: versioned data files (categories, deadlines, grounds) with citations.

Use ``current()`` for the version in force today and ``get(version)`` for the version a
case was opened under. Both are loaded and checked once, when Django starts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .loader import Rulebook, RulebookError, load_all, load_version, pick_current

__all__ = ["Rulebook", "RulebookError", "current", "get", "load", "load_version", "version",
           "versions"]

_books: dict[str, Rulebook] | None = None


def load(directory: Path | None = None) -> dict[str, Rulebook]:
    """(Re)load every version from ``directory`` (default: settings.RULEBOOK_DIR)."""
    global _books
    if directory is None:
        from django.conf import settings

        directory = Path(settings.RULEBOOK_DIR)
    _books = load_all(directory)
    return _books


def versions() -> dict[str, Rulebook]:
    return _books if _books is not None else load()


def get(version: str) -> Rulebook:
    try:
        return versions()[version]
    except KeyError:
        raise RulebookError(Path(version), "this rulebook version is not installed") from None


def version(number: str) -> Rulebook:
    """The same as ``get``: ``rulebook.version(appeal.guide_version).guide``."""
    return get(number)


def current(today: dt.date | None = None) -> Rulebook:
    from django.utils import timezone

    return pick_current(versions(), today or timezone.localdate())
