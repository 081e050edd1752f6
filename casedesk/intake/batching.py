"""Group commit for public appeals: the appeals that arrive at the same moment are written
together.

Writing one appeal costs about twenty statements, and two of them (the office's case-number
counter and the head of the audit chain) hold locks until the commit, so one appeal at a
time cannot go fast. Here each server process has one *registrar*: a thread that takes the
appeals waiting when it is free (at most CASEDESK_INTAKE_BATCH of them, without waiting for
more) and writes them with ``public.submissions_write``: one transaction, one reservation
of consecutive numbers, one audit lock, one COPY per table (``core.bulk``: Django's
multi-row INSERT would cost more Python than all the rest of the batch). Under light load
every batch holds one appeal; under heavy load the batches grow by themselves. Each appeal
was routed to its office in the request (``routing``); a batch holding appeals for several
offices writes each office's appeals in a transaction of their own, with its numbers.

The request thread has already checked the appeal (errors go back at once, in the
applicant's language); it waits for its own receipt, which exists only once the batch has
committed, so an answered appeal is a stored one, exactly as without batching. If a batch
fails, each of its appeals is written alone (``submissions_write``), so that a bad one fails
alone.

The web server must run requests in threads (gunicorn ``--worker-class gthread``, or
runserver) for batches to form; under one thread per process every batch holds one appeal.
CASEDESK_INTAKE_BATCH=0 writes every appeal in its request's own transaction, as a batch
of one through the same writer (``public.submissions_write``).

This module imports nothing of ``intake``: ``public`` hands it its writer
(``writer_set``), and an import-linter contract forbids the import back.
"""

from __future__ import annotations

import logging
import os
import queue
import threading

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

_STOP = object()
# How long a request waits for its batch before giving up (the appeal may still be
# written: the idempotency key makes the retry safe).
WAIT_SECONDS = 60


class _Slot:
    __slots__ = ("done", "item", "outcome")

    def __init__(self, item) -> None:
        self.item = item
        self.done = threading.Event()
        self.outcome = None


class Registrar:
    """One writer thread per process, fed by a queue. ``write_many(items)`` returns one
    result or exception per item, in order."""

    def __init__(self, write_many, *, size: int) -> None:
        self.write_many = write_many
        self.size = size
        self._queue: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._start_lock = threading.Lock()
        self.batches = 0  # counted for the tests and the benchmark

    def submit(self, item, timeout: float = WAIT_SECONDS):
        self._ensure_running()
        slot = _Slot(item)
        self._queue.put(slot)
        if not slot.done.wait(timeout):
            raise TimeoutError("the registrar did not answer in time")
        if isinstance(slot.outcome, BaseException):
            raise slot.outcome
        return slot.outcome

    def stop(self, timeout: float = 10) -> None:
        """Let the thread finish the batches queued, close its connections and end."""
        if self._thread is None or not self._thread.is_alive():
            return
        slot = _Slot(_STOP)
        self._queue.put(slot)
        slot.done.wait(timeout)
        self._thread.join(timeout)

    def _ensure_running(self) -> None:
        # A forked worker inherits the object but not the thread: start one per process.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="casedesk-registrar",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.size and batch[-1].item is not _STOP:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = batch[-1] if batch[-1].item is _STOP else None
            if stop is not None:
                batch.pop()
            try:
                self._write(batch)
            except BaseException:  # noqa: BLE001 - the thread must go on serving
                logger.exception("intake registrar")
                for slot in batch:
                    if not slot.done.is_set():
                        slot.outcome = RuntimeError("intake registrar failed")
                        slot.done.set()
            if stop is not None:
                connections.close_all()
                stop.done.set()
                return

    def _write(self, batch: list[_Slot]) -> None:
        if not batch:
            return
        close_old_connections()  # as at the start of a request: drop broken connections
        logger.debug("intake batch of %d", len(batch))
        try:
            outcomes = self.write_many([slot.item for slot in batch])
        except BaseException as exc:  # noqa: BLE001 - given to every waiting request
            logger.error("intake batch failed: %s", type(exc).__name__)
            outcomes = [exc] * len(batch)
        else:
            if len(outcomes) != len(batch):
                outcomes = [RuntimeError("intake batch lost track of its items")] * len(batch)
        finally:
            self.batches += 1
            for alias in ("default", "keys"):
                # No transaction is left open between batches.
                if alias in connections and connections[alias].in_atomic_block:
                    logger.error("intake batch left a transaction open on %s", alias)
        for slot, outcome in zip(batch, outcomes, strict=True):
            slot.outcome = outcome
            slot.done.set()


_registrar: Registrar | None = None
_registrar_lock = threading.Lock()
# The writer of the items (``public.submissions_write``), given by ``writer_set``: this
# module imports nothing of intake, so that no import runs back up (import-linter).
_write_many = None


def writer_set(write_many) -> None:
    """Name the function that writes a batch: ``write_many(items)`` returns one result
    or exception per item, in order (``public`` gives ``submissions_write`` at import)."""
    global _write_many, _registrar
    with _registrar_lock:
        _write_many, _registrar = write_many, None


def registrar() -> Registrar:
    global _registrar
    with _registrar_lock:
        if _write_many is None:
            raise RuntimeError("intake.batching: no writer (import casedesk.intake.public)")
        if _registrar is None or _registrar.size != settings.CASEDESK_INTAKE_BATCH:
            _registrar = Registrar(_write_many, size=settings.CASEDESK_INTAKE_BATCH)
        return _registrar


def registrar_stop() -> None:
    """Stop this process's registrar, if one runs (its connections closed): at the end
    of a test session, before the test database is dropped."""
    with _registrar_lock:
        running = _registrar
    if running is not None:
        running.stop()


def submit(submission):
    """Write ``submission`` (``public.Submission``) and return its receipt: through the
    registrar when CASEDESK_INTAKE_BATCH > 0, else in this thread, as a batch of one, by
    the same writer. A caller inside a transaction (a script, a test) is written in this
    thread too: the registrar's connection could not see that transaction's rows, and its
    rollback must take the appeal with it (the writer's durable transaction refuses to
    nest in a caller's own: only a test's transaction is allowed around it)."""
    if settings.CASEDESK_INTAKE_BATCH <= 0 or connections["default"].in_atomic_block:
        if _write_many is None:
            raise RuntimeError("intake.batching: no writer (import casedesk.intake.public)")
        outcome = _write_many([submission])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
    return registrar().submit(submission)
