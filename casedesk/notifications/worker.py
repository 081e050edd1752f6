"""The worker (``manage.py worker``): one loop that beats, sends the outbox and keeps the
django-tasks worker (``manage.py db_worker``) running, and survives the database going away.

Each round: write the heartbeat (``Heartbeat``, read by ``/health/``); mark failed the
django-tasks tasks left ``RUNNING`` by a ``db_worker`` that died (they would stay running
forever; the notices they carried are in the outbox and are sent by this loop anyway);
send every due notice (``outbox.outbox_send``); restart ``db_worker`` if it exited.

When the database is away (``OperationalError``, ``InterfaceError``) the round is
abandoned, the connections are closed (a broken one is never reused), and the loop waits,
doubling the wait up to ``CASEDESK_WORKER_BACKOFF_MAX`` seconds, and tries again. It stops
on SIGTERM or SIGINT, after the round it is in, and stops its ``db_worker`` with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone

from . import outbox
from .models import Heartbeat

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)


class WorkerDied(Exception):
    """What a task left running by a dead ``db_worker`` is failed with."""


def beat(name: str, *, tidy: bool = False) -> None:
    """This worker is alive. ``tidy``: also forget workers silent for a week (each restart
    under a default name, host:pid, adds a row)."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name[:100], defaults={"beat_at": now})
    if tidy:
        Heartbeat.objects.filter(beat_at__lt=now - dt.timedelta(days=7)).delete()


def tasks_reclaim(worker_ids: list[str]) -> int:
    """Mark failed the django-tasks tasks still ``RUNNING`` under ``worker_ids`` (workers
    known to be dead), through the task model's own public methods. Returns how many."""
    if not worker_ids:
        return 0
    from django_tasks_db.models import DBTaskResult

    count = 0
    for worker_id in worker_ids:
        for result in DBTaskResult.objects.running().filter(worker_ids__contains=[worker_id]):
            result.set_failed(WorkerDied(f"worker {worker_id} died while running the task"))
            logger.error("task left running by a dead worker marked failed: task=%s",
                         result.task_path)
            count += 1
    return count


def orphans_of_this_host() -> list[str]:
    """The ids of this machine's ``db_worker`` children whose loop (the pid in the id) is
    gone: a worker killed with its children, or before it could reclaim their tasks."""
    from django_tasks_db.models import DBTaskResult

    host = socket.gethostname()
    dead = set()
    for ids in DBTaskResult.objects.running().values_list("worker_ids", flat=True):
        for worker_id in ids or ():
            parts = worker_id.split(":")
            if len(parts) == 3 and parts[0] == host and parts[1].isdigit() \
                    and not _alive(int(parts[1])):
                dead.add(worker_id)
    return sorted(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Worker:
    """The loop. ``tasks``: also run (and restart) a ``db_worker`` child. ``sleep`` is
    injectable so that tests need not wait."""

    def __init__(self, *, name: str | None = None, interval: float | None = None,
                 backoff_max: float | None = None, tasks: bool = True,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.interval = settings.CASEDESK_WORKER_INTERVAL if interval is None else interval
        self.backoff_max = (settings.CASEDESK_WORKER_BACKOFF_MAX if backoff_max is None
                            else backoff_max)
        self.tasks = tasks
        self.sleep = sleep
        self.stopping = False
        self.failures = 0  # rounds in a row the database was away
        self.rounds = 0
        self.child: subprocess.Popen | None = None
        self.children_started = 0
        self.dead_children: list[str] = []  # worker ids whose tasks are still to reclaim

    # -------------------------------------------------------------------------- loop

    def run(self, *, rounds: int | None = None) -> None:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM,
                                                                      signal.SIGINT)}
        logger.info("worker started: %s", self.name)
        try:
            while not self.stopping and (rounds is None or self.rounds < rounds):
                self.sleep(self.round())
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._child_stop()
            logger.info("worker stopped: %s", self.name)

    def round(self) -> float:
        """One round; returns how long to wait before the next."""
        self.rounds += 1
        try:
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()
            beat(self.name, tidy=self.rounds == 1)
            if self.rounds == 1 or self.failures:
                self.dead_children.extend(orphans_of_this_host())
            if self.dead_children:
                tasks_reclaim(self.dead_children)
                self.dead_children = []
            result = outbox.outbox_send(worker=self.name)
        except DATABASE_DOWN as exc:
            self.failures += 1
            self._close_connections()
            wait = min(self.backoff_max, self.interval * 2 ** self.failures)
            logger.warning("database unavailable, retrying in %.1f s: error=%s", wait,
                           type(exc).__name__)
            self._child_check()
            return wait
        if self.failures:
            logger.info("database back after %s failed rounds", self.failures)
        self.failures = 0
        self._child_check()
        # A full batch: more may be due, go on at once.
        return 0 if result.handled >= 100 else self.interval

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    @staticmethod
    def _close_connections() -> None:
        for connection in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):
                connection.close()

    # -------------------------------------------------------------------------- db_worker

    def _child_id(self) -> str:
        # host:pid of this loop, then the child's number (db_worker allows 63 characters)
        return f"{self.name[:50]}:t{self.children_started}"

    def _child_check(self) -> None:
        if not self.tasks or self.stopping:
            return
        if self.child is not None and self.child.poll() is None:
            return
        if self.child is not None:
            logger.warning("db_worker exited with %s; restarting", self.child.returncode)
            self.dead_children.append(self._child_id())
        self.children_started += 1
        manage = Path(settings.BASE_DIR) / "manage.py"
        self.child = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, str(manage), "db_worker", "--no-reload",
             "--worker-id", self._child_id()], cwd=manage.parent)

    def _child_stop(self) -> None:
        if self.child is None or self.child.poll() is not None:
            return
        self.child.terminate()  # db_worker finishes its task first
        try:
            self.child.wait(30)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
