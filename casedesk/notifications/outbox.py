"""The notices the law or the receipt promises the applicant: recorded in the transaction of
the change that owes them, sent at least once, never twice for one key.

Recording (``record``, ``record_many``; called by ``handlers``, subscribed with
``in_transaction=True``): one ``Outbox`` row per notice, in the emitter's transaction, so
the appeal and its acknowledgement (the move and its notice) commit or roll back together.
After the commit a ``tasks.send_notices`` task is queued as the fast path; if queueing
fails, or its worker dies, the row is still there and the worker's loop sends it.

Sending (``outbox_send``): a worker takes one due row at a time with
``SELECT … FOR UPDATE SKIP LOCKED`` (two workers never take the same row), marks it
claimed until ``now + CASEDESK_OUTBOX_CLAIM_SECONDS`` and commits, sends, then marks it
sent. A worker killed between the claim and the mark leaves a claim that runs out: the row
is taken again. A failed send is retried with a doubling delay, and given up (``failed``)
after ``CASEDESK_OUTBOX_MAX_ATTEMPTS``.

At least once, deduplicated by key. The row's unique ``key`` means one notice is recorded
once whatever retries the change makes, and a row marked sent is never taken again. The
one window left is between the mail server accepting a message and the row being marked
sent: if the database is down at that moment, the worker remembers the key in memory
(``_unconfirmed``) and marks it sent before anything else once the database is back,
without sending again; only a process that ends inside that window (killed, or a
``db_worker`` running the fast path, which exits when the database goes away) leaves the
row to be sent a second time once its claim runs out. Every message carries a Message-ID
made from its key, the same on every attempt, so a mail server or a client that
deduplicates by Message-ID shows it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Min, Q
from django.utils import timezone

from casedesk.cases import timeline
from casedesk.cases.events import EventKind
from casedesk.cases.models import Case, CaseEvent
from casedesk.core import bulk, hooks, secrets

from . import notices
from .models import Outbox, OutboxState

logger = logging.getLogger(__name__)

ACKNOWLEDGEMENT = "acknowledgement"
ACCESS_CODE = "access_code"
ACCESS_CODE_REISSUED = "access_code_reissued"
INFORMATION_REQUEST = "information_request"
ANSWER_READY = "answer_ready"
# Letters the law requires the office to send the applicant around a move (written by
# ``letters.notices``): the email says a letter is waiting on the status page.
LETTER_NOTICES = ("forwarding_notice", "extension_notice", "unanswered_notice")
KINDS = (ACKNOWLEDGEMENT, ACCESS_CODE, ACCESS_CODE_REISSUED, INFORMATION_REQUEST,
         ANSWER_READY, *LETTER_NOTICES)

# Keys whose message went out but whose row could not be marked sent (the database went
# away in between): marked before anything else is sent, never sent again by this process.
_unconfirmed: dict[str, str] = {}


# ------------------------------------------------------------------------------ record


def _row(kind: str, case_id: int, key: str, *, target_ids=(), sealed: str = "",
         now: dt.datetime) -> Outbox:
    if kind not in KINDS:
        raise ValueError(f"not a notice: {kind}")
    return Outbox(kind=kind, case_id=case_id, key=key, target_ids=list(target_ids),
                  sealed=sealed, next_attempt_at=now, created_at=now)


def record(kind: str, *, case_id: int, key: str, target_ids=(), sealed: str = "") -> None:
    """Record one notice in the current transaction (a second record of the same key is
    ignored); after the commit, queue the fast path."""
    now = timezone.now()
    Outbox.objects.bulk_create(
        [_row(kind, case_id, key, target_ids=target_ids, sealed=sealed, now=now)],
        ignore_conflicts=True)
    _kick([key])


def record_many(kind: str, items: list[dict]) -> None:
    """Notices for rows written together (appeals of one batch: new cases, so new keys):
    one COPY. ``items``: dicts of ``case_id``, ``key`` and optionally ``sealed``."""
    if not items:
        return
    now = timezone.now()
    bulk.create([_row(kind, item["case_id"], item["key"], sealed=item.get("sealed", ""),
                      now=now) for item in items], ids=False)
    _kick([item["key"] for item in items])


def _kick(keys: list[str]) -> None:
    # With the other tasks this transaction queues, in one commit after it.
    hooks.queue_after_commit(lambda: _enqueue(keys))


def _enqueue(keys: list[str]) -> None:
    # After the commit: the rows are stored whatever happens here, and the worker's loop
    # sends them if this task is never queued or never run.
    from . import tasks

    try:
        tasks.send_notices.enqueue(keys=keys)
    except Exception as exc:
        logger.warning("notices not queued, the worker will send them: count=%s error=%s",
                       len(keys), type(exc).__name__)


def key_acknowledgement(case_id: int) -> str:
    return f"{ACKNOWLEDGEMENT}:{case_id}"


def key_access_code(case_id: int) -> str:
    # Every recovery is a notice of its own (a new code each time).
    return f"{ACCESS_CODE}:{case_id}:{uuid.uuid4().hex}"


def key_access_code_reissued(case_id: int) -> str:
    # Every replacement by staff is a notice of its own.
    return f"{ACCESS_CODE_REISSUED}:{case_id}:{uuid.uuid4().hex}"


def key_information_request(case_id: int) -> tuple[str, list[int]]:
    """The key of the request for information just written (its event, in this
    transaction)."""
    event = (CaseEvent.objects.filter(case_id=case_id, kind=EventKind.STATE_CHANGED,
                                      data__transition="request_information")
             .order_by("-id").values_list("pk", flat=True).first())
    return f"{INFORMATION_REQUEST}:{case_id}:{event}", [event] if event else []


# ------------------------------------------------------------------------------ send


@dataclass
class SendResult:
    sent: int = 0
    skipped: int = 0  # nobody to write to (no address)
    retry: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.retry + self.failed


def outbox_send(*, keys: list[str] | None = None, limit: int = 100,
                worker: str = "") -> SendResult:
    """Send up to ``limit`` due notices (only those of ``keys`` when given), one claimed
    row at a time. Database errors propagate (the worker's loop backs off and comes
    back); a failed send is recorded on its row."""
    result = SendResult()
    _confirm()
    for _n in range(limit):
        row = _claim(keys, worker)
        if row is None:
            break
        _send(row, result)
    return result


def _claim(keys: list[str] | None, worker: str) -> Outbox | None:
    now = timezone.now()
    with transaction.atomic():
        due = (Outbox.objects.select_for_update(skip_locked=True)
               .filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))
        if keys is not None:
            due = due.filter(key__in=keys)
        row = due.order_by("next_attempt_at", "id").first()
        if row is None:
            return None
        row.claimed_until = now + dt.timedelta(seconds=settings.CASEDESK_OUTBOX_CLAIM_SECONDS)
        row.claimed_by = worker[:100]
        row.attempts += 1
        row.save(update_fields=["claimed_until", "claimed_by", "attempts"])
    return row


def message_id(key: str) -> str:
    """The same Message-ID on every attempt of one notice (nothing personal: a hash)."""
    digest = hashlib.sha256(f"casedesk-notice:{key}".encode()).hexdigest()[:40]
    return f"<{digest}@casedesk.notice>"


def _send(row: Outbox, result: SendResult) -> None:
    if row.key in _unconfirmed:  # sent before the database went away: mark, do not resend
        _mark_sent(row, delivered=True)
        result.sent += 1
        return
    case = Case.objects.select_related("office").filter(pk=row.case_id).first()
    try:
        if case is None:
            raise notices.DeliveryFailed(f"{row.kind} for case {row.case_id}: no_case",
                                         code="no_case")
        delivered = notices.deliver(kind=row.kind, case=case, context=_context(row, case),
                                    task_name=row.kind, message_id=message_id(row.key))
    except DatabaseError:
        raise
    except notices.DeliveryFailed as exc:
        _mark_retry(row, exc.code)
        result.failed += row.state == OutboxState.FAILED
        result.retry += row.state == OutboxState.PENDING
        return
    except Exception as exc:  # a bug in a template or a context: keep the row, retry later
        logger.exception("notice not sent: kind=%s case=%s", row.kind, row.case_id)
        _mark_retry(row, type(exc).__name__)
        result.failed += row.state == OutboxState.FAILED
        result.retry += row.state == OutboxState.PENDING
        return
    _unconfirmed[row.key] = row.kind
    _mark_sent(row, delivered=delivered)
    if delivered:
        result.sent += 1
    else:
        result.skipped += 1


def _context(row: Outbox, case: Case) -> dict:
    if row.kind == ACKNOWLEDGEMENT:
        from casedesk.intake.public import answer_due

        # None if the code cannot be unsealed (the key rotated): the letter says so.
        return {"access_code": secrets.unseal(row.sealed) if row.sealed else None,
                "answer_due": answer_due(case)}
    if row.kind == ACCESS_CODE:
        return {"access_code": secrets.unseal(row.sealed) if row.sealed else None}
    if row.kind == INFORMATION_REQUEST:
        return {"question": timeline.latest_question(case)}
    return {}


def _mark_sent(row: Outbox, *, delivered: bool) -> None:
    values = {"state": OutboxState.SENT, "sent_at": timezone.now(), "sealed": "",
              "claimed_until": None, "last_error": ""}
    if not delivered:  # nobody to write to: nothing will ever be sent
        values.update(state=OutboxState.FAILED, sent_at=None, last_error="no_address")
    Outbox.objects.filter(pk=row.pk, state=OutboxState.PENDING).update(**values)
    _unconfirmed.pop(row.key, None)
    row.state = values["state"]


def _mark_retry(row: Outbox, code: str) -> None:
    code = (code or "error")[:100]
    if row.attempts >= settings.CASEDESK_OUTBOX_MAX_ATTEMPTS:
        Outbox.objects.filter(pk=row.pk, state=OutboxState.PENDING).update(
            state=OutboxState.FAILED, claimed_until=None, last_error=code, sealed="")
        row.state = OutboxState.FAILED
        logger.error("notice given up: kind=%s case=%s attempts=%s error=%s", row.kind,
                     row.case_id, row.attempts, code)
        return
    delay = min(settings.CASEDESK_OUTBOX_RETRY_SECONDS * 2 ** (row.attempts - 1),
                settings.CASEDESK_OUTBOX_RETRY_MAX_SECONDS)
    Outbox.objects.filter(pk=row.pk, state=OutboxState.PENDING).update(
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay), claimed_until=None,
        last_error=code)
    logger.warning("notice not sent, will retry: kind=%s case=%s attempts=%s error=%s",
                   row.kind, row.case_id, row.attempts, code)


def _confirm() -> None:
    """Mark sent what went out while the database was away (see the module docstring)."""
    for key in list(_unconfirmed):
        Outbox.objects.filter(key=key, state=OutboxState.PENDING).update(
            state=OutboxState.SENT, sent_at=timezone.now(), sealed="", claimed_until=None,
            last_error="")
        _unconfirmed.pop(key, None)


# ------------------------------------------------------------------------------ read


def outbox_oldest_pending_seconds(*, now: dt.datetime | None = None) -> float | None:
    """How long the oldest notice still to send has waited (None: nothing waits)."""
    oldest = (Outbox.objects.filter(state=OutboxState.PENDING)
              .aggregate(oldest=Min("created_at"))["oldest"])
    if oldest is None:
        return None
    return max(0.0, ((now or timezone.now()) - oldest).total_seconds())


def outbox_counts() -> dict[str, int]:
    pending = Outbox.objects.filter(state=OutboxState.PENDING)
    return {"pending": pending.count(),
            "retrying": pending.filter(attempts__gt=0).exclude(last_error="").count(),
            "failed": Outbox.objects.filter(state=OutboxState.FAILED)
            .exclude(last_error="no_address").count()}



def outbox_forget(*, case_ids: list[int]) -> int:
    """Blank the sealed codes of the notices of ``case_ids`` and give up those still
    pending (``erased``); in the caller's transaction. Returns how many rows changed."""
    rows = Outbox.objects.filter(case_id__in=case_ids)
    given_up = rows.filter(state=OutboxState.PENDING).update(
        state=OutboxState.FAILED, sealed="", claimed_until=None, last_error="erased")
    return given_up + rows.exclude(sealed="").update(sealed="")
