"""The worker survives the database going away and reclaims what a killed db_worker left
running (issue 15, findings 14 and 15)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connections
from django_tasks_db.models import DBTaskResult

from casedesk.notifications import tasks
from casedesk.notifications.models import Heartbeat, Outbox
from casedesk.notifications.worker import Worker, orphans_of_this_host

from .conftest import DATABASE, free_port


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_loop_survives_the_database_going_away(smtp, submit, settings):
    """db_worker exited on every PostgreSQL restart. The loop abandons the round, closes the
    connection, backs off (doubling) and carries on; when the database is back it sends."""
    settings.TASKS = DATABASE  # the fast path is queued, not run: the loop must send
    receipt = submit()
    database = connections["default"]
    port = database.settings_dict["PORT"]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if len(waits) == 1:  # the database goes away: a port where nothing listens
            database.close()
            database.settings_dict["PORT"] = str(free_port())
        if len(waits) == 3:  # and comes back
            database.settings_dict["PORT"] = port

    worker = Worker(name="test-worker", interval=1, backoff_max=30, tasks=False,
                    sleep=sleep)
    try:
        worker.run(rounds=5)
    finally:
        database.settings_dict["PORT"] = port

    assert worker.rounds == 5 and not worker.stopping
    assert waits == [1, 2, 4, 1, 1]  # two failed rounds backed off, then normal again
    assert worker.failures == 0
    [message] = smtp.messages
    assert receipt.access_code in message.get_body(("plain",)).get_content()
    assert Outbox.objects.get().state == "sent"
    assert Heartbeat.objects.filter(name="test-worker").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tasks_left_running_by_a_killed_db_worker_are_failed(settings):
    """A killed db_worker left its task RUNNING forever. The worker marks failed the tasks
    of its dead children (their notices are in the outbox and sent by the loop)."""
    import socket

    settings.TASKS = DATABASE
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],  # noqa: S603
                          capture_output=True, text=True, check=True)
    dead_id = f"{socket.gethostname()}:{gone.stdout.strip()}:t1"
    tasks.send_notices.enqueue(keys=["acknowledgement:1"])
    result = DBTaskResult.objects.get()
    result.claim(dead_id)  # a db_worker took it and was killed
    alive = DBTaskResult.objects.create(
        task_path=result.task_path, args_kwargs=result.args_kwargs,
        backend_name=result.backend_name, queue_name=result.queue_name,
        priority=result.priority, run_after=result.run_after)
    alive.claim(f"{socket.gethostname()}:1:t1")  # pid 1 is alive

    assert orphans_of_this_host() == [dead_id]
    Worker(name="test-worker", tasks=False, sleep=lambda s: None).run(rounds=1)

    result.refresh_from_db()
    alive.refresh_from_db()
    assert result.status == "FAILED"
    assert "died while running" in result.traceback or result.exception_class_path.endswith(
        "WorkerDied")
    assert alive.status == "RUNNING"
