"""Checkpoints of the audit chain, kept outside the database.

A checkpoint is one JSON line ``{seq, hash, version, count, at, mac}``: the head of the
chain at a moment, with an HMAC under the chain key. Lines are only ever appended (one
``write`` on a file opened with ``O_APPEND``, then ``fsync``), never rewritten, to
``<CASEDESK_AUDIT_CHECKPOINT_DIR>/checkpoints.jsonl``, by

- the task ``tasks.checkpoint_write_task``, which ``audit_record`` queues after commit at
  most every ``CASEDESK_AUDIT_CHECKPOINT_SECONDS`` per process, and
- ``manage.py audit_checkpoint`` (from cron, and by hand).

``manage.py audit_verify`` reads every ``*.jsonl`` file of the directory. The directory
must be on storage the database's roles and administrators cannot write (docs/
deployment.md): against someone who can rewrite the table, and even recompute the keyed
hashes, the checkpoints are what shows an entry rewritten or the tail cut off.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings

from .selectors import checkpoint_current, checkpoints_read

FILE_NAME = "checkpoints.jsonl"


def checkpoint_dir() -> Path:
    return Path(settings.CASEDESK_AUDIT_CHECKPOINT_DIR)


def checkpoint_append(path: Path, record: dict) -> None:
    """Append one checkpoint line to ``path`` (created, with its directory, owner-only)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def checkpoint_write(path: Path | None = None) -> dict:
    """Append the chain's current head to ``path`` (default: the checkpoint directory's
    file) and return the record."""
    record = checkpoint_current()
    checkpoint_append(path or checkpoint_dir() / FILE_NAME, record)
    return record


def checkpoints_load(paths: list[Path] | None = None) -> list[dict]:
    """Every checkpoint of ``paths`` (default: each ``*.jsonl`` of the checkpoint directory;
    none if it does not exist). Raises ``ValueError`` naming a file that cannot be read."""
    if paths is None:
        directory = checkpoint_dir()
        paths = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    records = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                records.extend(checkpoints_read(file, source=str(path)))
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot read checkpoints from {path}: {error}") from None
    return records
