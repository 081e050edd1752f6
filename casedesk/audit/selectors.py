"""Reading and checking the audit chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import IO

from django.db.models import Count, Max
from django.utils import timezone

from .keys import chain_key
from .models import AuditEntry
from .services import GENESIS_HASH, HASH_KEYED, HASH_UNKEYED, entry_hash

_FIELDS = ("seq", "at", "actor_id", "actor_kind", "action", "object_type", "object_id",
           "ip", "data", "prev_hash", "hash", "hash_version")

Result = tuple[bool, int | None, str]


def audit_head() -> tuple[int, str, int]:
    """(seq, hash, hash version) of the last entry, or (0, 64 zeros, 2) for an empty log."""
    head = (AuditEntry.objects.order_by("-seq")
            .values_list("seq", "hash", "hash_version").first())
    return head or (0, GENESIS_HASH, HASH_KEYED)


def verify_chain(batch: int = 5000) -> tuple[bool, int | None, str]:
    """Walk every entry in ``seq`` order and check it.

    Returns ``(True, None, "<N> entries, head <hash>")`` when every entry's hash matches
    its contents, each ``prev_hash`` is the previous entry's hash and ``seq`` runs 1, 2,
    3… without gaps, and no unkeyed (version 1) entry follows a keyed one (rewriting the
    tail as unkeyed entries, whose hash anyone can compute, would otherwise pass);
    otherwise ``(False, seq, reason)`` for the first entry that fails. One query streamed
    in chunks (a server-side cursor on PostgreSQL), so memory stays flat and the whole
    walk sees one snapshot.

    A chain can only prove itself consistent: removing entries from the end, or replacing
    the whole history by a new consistent chain, is caught only against checkpoints kept
    elsewhere (``verify_checkpoints``).
    """
    expected, prev, keyed = 1, GENESIS_HASH, False
    rows = AuditEntry.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size=batch)
    for (seq, at, actor_id, actor_kind, action, object_type, object_id, ip, data,
         prev_hash, stored_hash, version) in rows:
        if seq != expected:
            if seq > expected:
                missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
                return False, expected, f"entry missing (seq {missing} absent, next is {seq})"
            return False, seq, f"sequence out of order (expected {expected})"
        if prev_hash != prev:
            return False, seq, "prev_hash does not match the hash of the previous entry"
        if version not in (HASH_UNKEYED, HASH_KEYED):
            return False, seq, f"unknown hash version {version}"
        if version == HASH_UNKEYED and keyed:
            return False, seq, "unkeyed entry after keyed entries"
        keyed = keyed or version == HASH_KEYED
        computed = entry_hash(version=version, seq=seq, at=at, actor_id=actor_id,
                              actor_kind=actor_kind, action=action, object_type=object_type,
                              object_id=object_id, ip=ip, data=data, prev_hash=prev_hash)
        if not hmac.compare_digest(computed, stored_hash):
            return False, seq, "hash does not match the entry's contents"
        prev = stored_hash
        expected += 1
    return True, None, f"{expected - 1} entries, head {prev}"


def checkpoint_mac(record: dict) -> str:
    """HMAC of a checkpoint's fields under the chain key: a line added to a checkpoint
    file by someone without the key is refused."""
    fields = {k: record[k] for k in ("seq", "hash", "version", "count", "at")}
    return hmac.new(chain_key(), json.dumps(fields, sort_keys=True).encode(),
                    hashlib.sha256).hexdigest()


def checkpoint_current() -> dict:
    """The head of the chain as a checkpoint record to be stored outside the database:
    ``{seq, hash, version, count, at, mac}``."""
    seq, head_hash, version = audit_head()
    # counted up to the head read above, so entries appended meanwhile do not count
    record = {"seq": seq, "hash": head_hash, "version": version, "at": timezone.now().isoformat(),
              "count": AuditEntry.objects.filter(seq__lte=seq).count()}
    record["mac"] = checkpoint_mac(record)
    return record


def checkpoints_read(lines: Iterable[str] | IO[str], source: str = "") -> list[dict]:
    """Parse checkpoint JSON lines (blank lines ignored); raises ``ValueError`` on junk or
    on a line whose ``mac`` is wrong. Lines written before checkpoints carried a mac (no
    ``mac`` key) are read as they are. Each record says where it came from (``source``:
    ``<file>:<line>``)."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            record = {"seq": int(raw["seq"]), "hash": str(raw["hash"]),
                      "at": str(raw.get("at", "")), "source": f"{source}:{number}"}
            if "mac" in raw:
                record.update(version=int(raw["version"]), count=int(raw["count"]))
                if not hmac.compare_digest(str(raw["mac"]), checkpoint_mac(record)):
                    raise ValueError("its mac does not match (not written by casedesk "
                                     "with this audit key)")
            records.append(record)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"checkpoint line {number} is not a checkpoint: {error}") from None
    return records


def _named(checkpoint: dict) -> str:
    source = checkpoint.get("source", "")
    return f"the checkpoint of {checkpoint['at']}" + (f" ({source})" if source else "")


def verify_checkpoints(checkpoints: Iterable[dict], batch: int = 1000) -> Result:
    """Check that the entry at each checkpoint's ``seq`` still has the recorded hash.

    Catches a history that was rewritten (into a new, internally consistent chain, or
    with the hashes recomputed by someone holding the key), and entries removed from
    the end: a checkpoint beyond the log's last entry, or recording more entries than
    the log now holds. Returns ``(ok, first_bad_seq, reason)``, the reason naming the
    checkpoint (its time and ``file:line``); on success it says how many matched.
    """
    wanted = sorted(
        (c for c in checkpoints if c["seq"] > 0), key=lambda c: c["seq"]
    )
    totals = AuditEntry.objects.aggregate(last=Max("seq"), count=Count("seq"))
    last, count = totals["last"] or 0, totals["count"]
    checked = 0
    for start in range(0, len(wanted), batch):
        chunk = wanted[start:start + batch]
        stored = dict(AuditEntry.objects.filter(seq__in={c["seq"] for c in chunk})
                      .values_list("seq", "hash"))
        for checkpoint in chunk:
            seq = checkpoint["seq"]
            if seq > last or checkpoint.get("count", 0) > count:
                return False, seq, (
                    f"tail truncated: {_named(checkpoint)} recorded entry {seq} "
                    f"({checkpoint.get('count', seq)} entries), the log ends at entry "
                    f"{last} ({count} entries)")
            if seq not in stored:
                return False, seq, f"entry missing ({_named(checkpoint)})"
            if stored[seq] != checkpoint["hash"]:
                return False, seq, f"hash differs from {_named(checkpoint)}: entry rewritten"
            checked += 1
    return True, None, f"{checked} checkpoints match"
