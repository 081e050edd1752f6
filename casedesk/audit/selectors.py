"""Reading and checking the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from django.utils import timezone

from .models import AuditEntry
from .services import GENESIS_HASH, entry_hash

_FIELDS = ("seq", "at", "actor_id", "actor_kind", "action", "object_type", "object_id",
           "ip", "data", "prev_hash", "hash")

Result = tuple[bool, int | None, str]


def audit_head() -> tuple[int, str]:
    """(seq, hash) of the last entry, or (0, 64 zeros) for an empty log."""
    head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return head or (0, GENESIS_HASH)


def verify_chain(batch: int = 5000) -> tuple[bool, int | None, str]:
    """Walk every entry in ``seq`` order and check it.

    Returns ``(True, None, "<N> entries, head <hash>")`` when every entry's hash matches
    its contents, each ``prev_hash`` is the previous entry's hash and ``seq`` runs 1, 2,
    3… without gaps;
    otherwise ``(False, seq, reason)`` for the first entry that fails. One query streamed
    in chunks (a server-side cursor on PostgreSQL), so memory stays flat and the whole
    walk sees one snapshot.

    A chain can only prove itself consistent: removing entries from the end, or replacing
    the whole history by a new consistent chain, is caught only against checkpoints kept
    elsewhere (``verify_checkpoints``).
    """
    expected, prev = 1, GENESIS_HASH
    rows = AuditEntry.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=batch)
    for (seq, at, actor_id, actor_kind, action, object_type, object_id, ip, data,
         prev_hash, stored_hash) in rows:
        if seq != expected:
            if seq > expected:
                missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
                return False, expected, f"entry missing (seq {missing} absent, next is {seq})"
            return False, seq, f"sequence out of order (expected {expected})"
        if prev_hash != prev:
            return False, seq, "prev_hash does not match the hash of the previous entry"
        computed = entry_hash(seq=seq, at=at, actor_id=actor_id, actor_kind=actor_kind,
                              action=action, object_type=object_type, object_id=object_id,
                              ip=ip, data=data, prev_hash=prev_hash)
        if computed != stored_hash:
            return False, seq, "hash does not match the entry's contents"
        prev = stored_hash
        expected += 1
    return True, None, f"{expected - 1} entries, head {prev}"


def checkpoint_current() -> dict:
    """The head of the chain as a checkpoint record to be stored outside the database."""
    seq, head_hash = audit_head()
    return {"seq": seq, "hash": head_hash, "at": timezone.now().isoformat(),
            "count": AuditEntry.objects.count()}


def checkpoints_read(lines: Iterable[str] | IO[str]) -> list[dict]:
    """Parse checkpoint JSON lines (blank lines ignored); raises ``ValueError`` on junk."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            records.append({"seq": int(record["seq"]), "hash": str(record["hash"]),
                            "at": str(record.get("at", ""))})
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"checkpoint line {number} is not a checkpoint: {error}") from None
    return records


def verify_checkpoints(checkpoints: Iterable[dict], batch: int = 1000) -> Result:
    """Check that the entry at each checkpoint's ``seq`` still has the recorded hash.

    Catches a history that was rewritten into a new, internally consistent chain, and
    entries removed from the end. Returns ``(ok, first_bad_seq, reason)``; the reason
    on success says how many checkpoints matched.
    """
    wanted = sorted(
        (c for c in checkpoints if c["seq"] > 0), key=lambda c: c["seq"]
    )
    checked = 0
    for start in range(0, len(wanted), batch):
        chunk = wanted[start:start + batch]
        stored = dict(AuditEntry.objects.filter(seq__in={c["seq"] for c in chunk})
                      .values_list("seq", "hash"))
        for checkpoint in chunk:
            seq = checkpoint["seq"]
            if seq not in stored:
                return False, seq, f"entry missing (checkpoint of {checkpoint['at']})"
            if stored[seq] != checkpoint["hash"]:
                return False, seq, f"hash differs from the checkpoint of {checkpoint['at']}"
            checked += 1
    return True, None, f"{checked} checkpoints match"
