"""Writing the audit log.

``audit_record`` appends one entry to a single hash chain, keyed since hash version 2
(HMAC-SHA256 under ``keys.chain_key()``, a key kept outside the database; entries written
before that keep their plain SHA-256 and are checked as they were). It joins the caller's
transaction if there is one (so the entry exists only if the change commits) and opens
its own otherwise. Writers are serialised so the chain never forks: on PostgreSQL by
``pg_advisory_xact_lock(AUDIT_LOCK_ID)``, held until the surrounding transaction ends; on
SQLite by the ``IMMEDIATE`` transaction mode set in the settings. Because the lock is held
to the end of the caller's transaction, call ``audit_record`` as the *last* write of a
service: that keeps the serialised stretch short and means no transaction ever waits for
a row lock while holding the audit lock (no deadlocks).

What an entry may contain (the guard against personal data)
------------------------------------------------------------
Entries say who (a user id and an actor kind), when, from where (``REMOTE_ADDR``) and
what (an action code and an object type and id). They never hold names, texts, emails,
addresses or usernames. ``audit_record`` refuses, with ``ValueError`` (a programming
error, not a user-facing refusal):

- an ``action`` that is not a dotted lower-case code (``case.read``, ``login_failed``);
- an ``object_type`` or ``object_id`` that is not a code of at most 64 characters from
  ``[A-Za-z0-9_.:-]``;
- an ``ip`` that is not an IPv4/IPv6 address;
- ``data`` keys outside ``ALLOWED_DATA_KEYS``;
- ``data`` values other than ``None``, ``bool``, ``int`` or a code string (at most 100
  characters from ``[A-Za-z0-9_.:+-]``: no spaces, no ``@``, no Cyrillic, so no names,
  emails or free text), or a list of at most 100 such values.

To record a new kind of fact, add its key to ``ALLOWED_DATA_KEYS`` in review, with a note
saying why its values cannot be personal.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import time
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from casedesk.core import bulk

from .keys import chain_key
from .models import ActorKind, AuditEntry
from .operator import current_operator

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# 1: SHA-256 of ``canonical`` (entries written before the chain was keyed);
# 2: HMAC-SHA256 under ``keys.chain_key()`` of ``canonical`` plus ``"v": 2``.
HASH_UNKEYED, HASH_KEYED = 1, 2
HASH_VERSION = HASH_KEYED  # what new entries get
# Any constant will do, as long as nothing else in the database uses the same advisory lock.
AUDIT_LOCK_ID = 0x6361_7365_6175_6469  # the bytes of "caseaudi"

ALLOWED_DATA_KEYS = frozenset({
    # case workflow: codes from the transition table and the rulebook
    "transition", "source", "target", "state", "outcome", "ground", "rule", "days",
    "due_on", "category", "procedure", "channel", "relation",
    # a corrected classification: rulebook codes before and after
    "subcategory", "previous_category", "previous_subcategory", "previous_procedure",
    # ids of related records
    "appeal", "document", "case", "office", "user", "assignee", "previous", "referral",
    "session", "decision", "letter", "template", "campaign",
    # documents and exports
    "doc_type", "format", "kind", "language", "count", "fields", "filters",
    # permissions: roles, office ids, permission codenames, flags
    "role", "previous_role", "offices_added", "offices_removed", "permissions_added",
    "permissions_removed", "groups_added", "groups_removed", "is_active", "is_staff",
    "is_superuser",
    # how the actor got in (never the username)
    "via", "result",
    # a management command: the operator's user id (never the username) and the numeric
    # OS user id of the process (an integer, not the login name)
    "operator", "os_uid",
    # why an access code was replaced: a code of cases.permissions.CodeReissueReason (or
    # "first_code"); the form offers a fixed list, never free text
    "reason_code",
    # the admin (issue 15, accounts): the rows an admin list showed (integer ids), a
    # password reset request's id and the user id of the administrator who asked for it
    "ids", "request", "requested_by",
    # issue 18, merging people: the merged-away person's id and how many cases, applicant
    # links and appeals moved (integers only)
    "person", "cases", "applicants", "appeals",
})
MAX_VALUE_LENGTH = 100
MAX_LIST_LENGTH = 100

_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\Z")
_ID = re.compile(r"[A-Za-z0-9_.:\-]{0,64}\Z")
_CODE = re.compile(rf"[A-Za-z0-9_.:+\-]{{0,{MAX_VALUE_LENGTH}}}\Z")

# The client address of the request being served, set by ``middleware.AuditContextMiddleware``
# so that services deep below the views record "from where" without passing it around.
current_ip: contextvars.ContextVar[str] = contextvars.ContextVar("audit_ip", default="")


def request_ip(request) -> str:
    """The client address as Django sees it (``REMOTE_ADDR``); "" without a request."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "") or ""


def canonical(*, seq: int, at: dt.datetime, actor_id: int | None, actor_kind: str,
              action: str, object_type: str, object_id: str, ip: str, data: dict,
              prev_hash: str, version: int = HASH_UNKEYED) -> bytes:
    """The bytes an entry's hash covers: sorted-key compact JSON, UTF-8, time in UTC with
    microseconds; from version 2 with ``"v": <version>`` among the keys, so that the
    version itself is covered. Documented so that the chain can be checked without
    casedesk (with the key, for version 2)."""
    extra = {} if version == HASH_UNKEYED else {"v": version}
    return json.dumps(
        {
            **extra,
            "seq": seq,
            "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_id": actor_id,
            "actor_kind": actor_kind,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "ip": ip,
            "data": data,
            "prev_hash": prev_hash,
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    ).encode()


def entry_hash(*, version: int = HASH_UNKEYED, **fields) -> str:
    """The hash of an entry of the given hash version (see ``HASH_VERSION``)."""
    if version == HASH_UNKEYED:
        return hashlib.sha256(canonical(**fields)).hexdigest()
    if version == HASH_KEYED:
        return hmac.new(chain_key(), canonical(**fields, version=version),
                        hashlib.sha256).hexdigest()
    raise ValueError(f"unknown audit hash version {version!r}")


def _check_value(key: str, value: Any) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if not _CODE.match(value):
            raise ValueError(f"audit data {key!r}: only codes of at most "
                             f"{MAX_VALUE_LENGTH} characters [A-Za-z0-9_.:+-] are allowed")
        return
    raise ValueError(f"audit data {key!r}: {type(value).__name__} is not allowed")


def _clean(*, action: str, actor_kind: str, object_type: str, object_id: str, ip: str,
           data: dict | None) -> dict:
    if not _ACTION.match(action) or len(action) > 40:
        raise ValueError(f"audit action must be a dotted code, got {action!r}")
    if actor_kind not in ActorKind.values:
        raise ValueError(f"unknown audit actor kind {actor_kind!r}")
    for name, value in (("object_type", object_type), ("object_id", object_id)):
        if not isinstance(value, str) or not _ID.match(value):
            raise ValueError(f"audit {name} must be an id or code, got {value!r}")
    if ip:
        ipaddress.ip_address(ip)  # raises ValueError for anything else
    data = dict(data or {})
    for key, value in data.items():
        if key not in ALLOWED_DATA_KEYS:
            raise ValueError(f"audit data key {key!r} is not in ALLOWED_DATA_KEYS")
        if isinstance(value, list | tuple):
            if len(value) > MAX_LIST_LENGTH:
                raise ValueError(f"audit data {key!r}: list longer than {MAX_LIST_LENGTH}")
            for item in value:
                _check_value(key, item)
            data[key] = list(value)
        else:
            _check_value(key, value)
    return data


def _lock_head(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_ID])
    # SQLite: the IMMEDIATE transaction mode already holds the database's write lock.


def audit_record(*, action: str, actor=None, actor_kind: str | None = None,
                 object_type: str = "", object_id: str | int = "", ip: str = "",
                 data: dict | None = None, at: dt.datetime | None = None) -> AuditEntry:
    """Append one entry to the audit chain and return it.

    ``actor`` is a user (only its ``pk`` is stored) or ``None``. ``actor_kind`` defaults
    to ``staff`` when there is an authenticated actor and ``system`` otherwise. ``ip``
    defaults to the address of the request being served (see ``middleware``). ``at``
    defaults to now. See the module docstring for what ``data`` may hold.
    """
    return audit_record_many([dict(action=action, actor=actor, actor_kind=actor_kind,
                                   object_type=object_type, object_id=object_id, ip=ip,
                                   data=data, at=at)])[0]


def audit_defer(pending: list[dict] | None, **record) -> None:
    """Append ``record`` (the keyword arguments of ``audit_record``) to ``pending``, for
    the outermost action to write last with ``audit_record_many``; with ``pending=None``
    write it at once (a caller that has no list of its own).

    Services that run inside another action (the ``*_inner`` functions) take such a list:
    the chain's lock is then taken once, by the outermost action, after all its other
    writes, so it is held for the shortest stretch and never while a row lock is awaited
    or a letter is rendered."""
    if pending is None:
        audit_record(**record)
    else:
        pending.append(record)


def audit_record_many(records: list[dict]) -> list[AuditEntry]:
    """Append several entries to the audit chain, in order, with one lock and one insert.
    Each record holds the keyword arguments of ``audit_record``.

    Inside a management command that names its operator (``operator.command_operator``),
    every entry records the operator's user id and the process's OS user id in ``data``,
    and an entry without an actor of its own becomes the operator's (actor kind
    ``command``)."""
    if not records:
        return []
    operator = current_operator.get()
    cleaned = []
    for record in records:
        actor, actor_kind = record.get("actor"), record.get("actor_kind")
        actor_id = None
        if actor is not None and getattr(actor, "is_authenticated", True):
            actor_id = actor.pk
        data = record.get("data")
        if operator is not None:
            if actor_id is None and actor_kind in (None, ActorKind.SYSTEM):
                actor_id, actor_kind = operator.user_id, ActorKind.COMMAND
            data = {**(data or {}), "operator": operator.user_id, "os_uid": operator.os_uid}
        if actor_kind is None:
            actor_kind = ActorKind.STAFF if actor_id is not None else ActorKind.SYSTEM
        actor_kind = str(actor_kind)
        object_type = record.get("object_type", "")
        object_id = str(record.get("object_id", ""))
        ip = record.get("ip") or current_ip.get()
        action = record["action"]
        data = _clean(action=action, actor_kind=actor_kind, object_type=object_type,
                      object_id=object_id, ip=ip, data=data)
        at = record.get("at")
        if at is not None and timezone.is_naive(at):
            raise ValueError("audit times must be timezone-aware")
        cleaned.append(dict(at=at, actor_id=actor_id, actor_kind=actor_kind, action=action,
                            object_type=object_type, object_id=object_id, ip=ip, data=data))

    using = router.db_for_write(AuditEntry)
    # No savepoint: nothing recovers from a failed audit write and carries on, and inside
    # the caller's transaction this runs with the chain locked, where every statement
    # counts (a failure here fails the caller's whole transaction, which is what we want).
    with transaction.atomic(using=using, savepoint=False):
        _lock_head(using)
        head = (AuditEntry.objects.using(using).order_by("-seq")
                .values_list("seq", "hash").first())
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        now = timezone.now()  # taken under the lock: the chain's order is the time order
        entries = []
        for fields in cleaned:
            fields = dict(seq=seq, **{**fields, "at": fields["at"] or now},
                          prev_hash=prev_hash)
            entry = AuditEntry(**fields, hash_version=HASH_VERSION,
                               hash=entry_hash(version=HASH_VERSION, **fields))
            entries.append(entry)
            seq, prev_hash = seq + 1, entry.hash
        if len(entries) == 1:
            entries[0].save(using=using, force_insert=True)
        else:
            bulk.create(entries, using=using)
    _checkpoint_soon(using)
    return entries


# When this process last queued an automatic checkpoint (time.monotonic()).
_checkpoint_queued_at: float | None = None


def _checkpoint_soon(using: str) -> None:
    """Queue a checkpoint (``tasks.checkpoint_write_task``) after this transaction commits,
    at most once per ``CASEDESK_AUDIT_CHECKPOINT_SECONDS`` per process (0: never; the
    ``audit_checkpoint`` command from cron then does it alone)."""
    if _checkpoint_due():
        transaction.on_commit(_checkpoint_enqueue, using=using)


def _checkpoint_due() -> bool:
    seconds = settings.CASEDESK_AUDIT_CHECKPOINT_SECONDS
    if seconds <= 0:
        return False
    return _checkpoint_queued_at is None or time.monotonic() - _checkpoint_queued_at >= seconds


def _checkpoint_enqueue() -> None:
    global _checkpoint_queued_at
    if not _checkpoint_due():  # another entry of the same transaction queued it
        return
    _checkpoint_queued_at = time.monotonic()
    try:
        from .tasks import checkpoint_write_task

        checkpoint_write_task.enqueue()
    except Exception as exc:  # the change that wrote the entry is committed whatever happens
        logger.error("audit checkpoint not queued: error=%s", type(exc).__name__)
