"""Handlers queue tasks after commit only, with ids and the sealed code only; the database
backend's worker sends them.

The tests run inside the test transaction and fire the after-commit hooks with
``django_capture_on_commit_callbacks`` (an inner ``atomic`` that rolls back discards its
hooks, as in production). Not ``transaction=True``: its flush deletes the regions loaded
by migrations, and with ``serialized_rollback`` it collides with the content types that an
earlier flushing test re-created under new ids.
"""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from casedesk.cases.models import Case
from casedesk.core import secrets
from casedesk.notifications import handlers

from .conftest import APPEAL_TEXT, DATABASE, IMMEDIATE, MOTHER, MOTHER_NAME, SOLDIER_NAME, text_of


@contextmanager
def worker_signals_restored():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    names = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {name: signal.getsignal(name) for name in names}
    try:
        yield
    finally:
        for name, handler in saved.items():
            signal.signal(name, handler)


def run_worker(monkeypatch) -> None:
    """``manage.py db_worker --batch``: runs every queued task, then returns. Its
    close_old_connections would close the test transaction's connection (autocommit is off
    inside it), so it is switched off here."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    with worker_signals_restored():
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def test_only_committed_appeals_are_acknowledged(smtp, submit, settings,
                                                 django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE

    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        submit(key="rolled-back-1")
        raise RuntimeError("something after the appeal failed")

    assert callbacks == []
    assert not Case.objects.exists()
    assert smtp.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(key="committed-1")

    [message] = smtp.messages
    assert receipt.access_code in text_of(message)


def test_database_backend_queues_ids_and_the_worker_sends(smtp, submit, settings, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()

    case = Case.objects.get(number=receipt.case_number)
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "casedesk.notifications.tasks.send_acknowledgement"
    assert row.status == "READY"
    kwargs = row.args_kwargs["kwargs"]
    assert row.args_kwargs["args"] == [] and set(kwargs) == {"case_id", "sealed_code"}
    assert kwargs["case_id"] == case.pk
    assert secrets.unseal(kwargs["sealed_code"]) == receipt.access_code
    stored = json.dumps(row.args_kwargs, ensure_ascii=False)
    for personal in (MOTHER, MOTHER_NAME, SOLDIER_NAME, APPEAL_TEXT, receipt.access_code):
        assert personal not in stored
    assert smtp.messages == []  # nothing is sent until a worker runs

    run_worker(monkeypatch)

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    [message] = smtp.messages
    assert message["To"] == MOTHER
    assert receipt.access_code in text_of(message)


def test_appeals_written_together_queue_one_task_each_in_one_insert(
        smtp, submit, settings, monkeypatch, django_capture_on_commit_callbacks):
    """intake.batching writes appeals together and emits them together (hooks.emit_many):
    one insert (a COPY, core.bulk) queues every acknowledgement, each its own task, as
    ``enqueue`` does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casedesk.core import hooks

    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=False):  # not queued one by one
        receipts = [submit(key=f"together-{n}", email=f"m{n}@example.org") for n in range(3)]
    cases = [Case.objects.get(number=r.case_number) for r in receipts]
    payloads = [{"case_id": case.pk, "sealed_code": secrets.seal(receipt.access_code)}
                for case, receipt in zip(cases, receipts, strict=True)]
    with (CaptureQueriesContext(connection) as queries,
          django_capture_on_commit_callbacks(execute=True), transaction.atomic()):
        hooks.emit_many("appeal_acknowledged", payloads)
    inserts = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith(("INSERT", "COPY"))]
    assert len(inserts) == 1 and "django_tasks_database_dbtaskresult" in inserts[0]
    rows = DBTaskResult.objects.order_by("enqueued_at", "id")
    assert sorted(r.args_kwargs["kwargs"]["case_id"] for r in rows) == sorted(c.pk for c in cases)
    assert all(r.status == "READY" and r.args_kwargs["args"] == [] and
               r.task_path == "casedesk.notifications.tasks.send_acknowledgement"
               for r in rows)

    run_worker(monkeypatch)

    assert sorted(m["To"] for m in smtp.messages) == [f"m{n}@example.org" for n in range(3)]
    for receipt in receipts:
        assert any(receipt.access_code in text_of(m) for m in smtp.messages)
    assert {r.status for r in DBTaskResult.objects.all()} == {"SUCCESSFUL"}


def test_failed_delivery_is_recorded_without_the_address(smtp, submit, settings, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE
    smtp.refuse = True  # SMTPRecipientsRefused quotes the address in its message

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()
    run_worker(monkeypatch)

    [row] = DBTaskResult.objects.all()
    assert row.status == "FAILED"
    assert row.exception_class_path == "casedesk.notifications.notices.DeliveryFailed"
    assert "SMTPRecipientsRefused" in row.traceback
    assert MOTHER not in row.traceback
    assert Case.objects.filter(number=receipt.case_number).exists()


def test_other_transitions_queue_nothing(monkeypatch):
    queued = []
    monkeypatch.setattr(handlers, "_enqueue", lambda task, **kw: queued.append(task.name))

    for transition in ("register", "start_review", "information_received", "close", "reopen"):
        handlers.on_case_moved(case_id=1, transition=transition)
    handlers.on_case_moved(case_id=1, transition="request_information")
    handlers.on_case_moved(case_id=1, transition="answer")  # the answer's own hook mails
    handlers.on_answer_signed(case_id=1, answer_id=2)

    assert queued == ["send_information_request", "send_answer_ready"]


def test_a_task_that_cannot_be_queued_does_not_fail_the_request(settings, caplog):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["elsewhere"]}}  # the default queue is refused

    handlers.on_answer_signed(case_id=7, answer_id=1)

    assert "notice not queued: task=send_answer_ready case=7 error=InvalidTaskError" in caplog.text


def test_a_recovered_access_code_is_queued_sealed_and_the_worker_sends_it(
        smtp, submit, settings, monkeypatch, django_capture_on_commit_callbacks):
    from casedesk.intake.public import access_code_recover

    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(language="en")
    DBTaskResult.objects.all().delete()  # (the acknowledgement)
    with django_capture_on_commit_callbacks(execute=True):
        assert access_code_recover(case_number=receipt.case_number, email=MOTHER.upper())
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "casedesk.notifications.tasks.send_access_code"
    kwargs = row.args_kwargs["kwargs"]
    assert set(kwargs) == {"case_id", "sealed_code"}
    code = secrets.unseal(kwargs["sealed_code"])
    assert code and code != receipt.access_code
    assert code not in json.dumps(row.args_kwargs) and MOTHER not in json.dumps(row.args_kwargs)

    run_worker(monkeypatch)

    [message] = smtp.messages
    assert message["To"] == MOTHER
    assert code in text_of(message) and receipt.access_code not in text_of(message)
    assert "A new access code" in str(message["Subject"])
    case = Case.objects.get(number=receipt.case_number)
    assert secrets.access_code_matches(code, case.access_code_hash)
    assert not secrets.access_code_matches(receipt.access_code, case.access_code_hash)
