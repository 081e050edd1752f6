"""Handlers record each notice as an outbox row in the transaction that owes it (ids, codes
and the sealed access code only); after the commit a task is queued as the fast path, and
the worker's loop sends whatever the fast path did not.

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
from casedesk.notifications import handlers, outbox
from casedesk.notifications.models import Outbox

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


def test_database_backend_queues_keys_and_the_worker_sends(smtp, submit, settings, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()

    case = Case.objects.get(number=receipt.case_number)
    [notice] = Outbox.objects.all()
    assert (notice.kind, notice.case_id, notice.key, notice.state) == (
        "acknowledgement", case.pk, f"acknowledgement:{case.pk}", "pending")
    assert secrets.unseal(notice.sealed) == receipt.access_code
    # The notices' task, and the checks after the receipt (ids only): a repeated appeal,
    # duplicate people, and issue 19's urgency, facts and category suggestions.
    checks = ("casedesk.intake.tasks.repeats_flag", "casedesk.intake.tasks.duplicates_flag",
              "casedesk.urgency.tasks.urgency_evaluate", "casedesk.facts.tasks.facts_extract",
              "casedesk.triage.tasks.triage_suggest")
    [row] = DBTaskResult.objects.exclude(task_path__in=checks)
    for path in checks:
        [check] = DBTaskResult.objects.filter(task_path=path)
        assert check.args_kwargs == {"args": [], "kwargs": {"case_ids": [case.pk]}}
    assert row.task_path == "casedesk.notifications.tasks.send_notices"
    assert row.status == "READY"
    assert row.args_kwargs == {"args": [], "kwargs": {"keys": [notice.key]}}
    stored = json.dumps([row.args_kwargs, list(Outbox.objects.values())], default=str,
                        ensure_ascii=False)
    for personal in (MOTHER, MOTHER_NAME, SOLDIER_NAME, APPEAL_TEXT, receipt.access_code):
        assert personal not in stored
    assert smtp.messages == []  # nothing is sent until a worker runs

    run_worker(monkeypatch)

    row.refresh_from_db()
    notice.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert (notice.state, notice.attempts, notice.sealed) == ("sent", 1, "")
    [message] = smtp.messages
    assert message["To"] == MOTHER
    assert message["Message-ID"] == outbox.message_id(notice.key)
    assert receipt.access_code in text_of(message)


def test_appeals_written_together_are_recorded_in_one_copy_and_queued_in_one_task(
        smtp, submit, settings, monkeypatch, django_capture_on_commit_callbacks):
    """intake.batching writes appeals together and emits them together (hooks.emit_many):
    one COPY (core.bulk) records every acknowledgement in the batch's transaction, and one
    task sends them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casedesk.core import hooks

    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=False):
        receipts = [submit(key=f"together-{n}", email=f"m{n}@example.org") for n in range(3)]
    cases = [Case.objects.get(number=r.case_number) for r in receipts]
    Outbox.objects.all().delete()  # (recorded one by one by submit)
    payloads = [{"case_id": case.pk, "sealed_code": secrets.seal(receipt.access_code)}
                for case, receipt in zip(cases, receipts, strict=True)]
    with CaptureQueriesContext(connection) as queries, \
            django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.emit_many("appeal_acknowledged", payloads)
        assert Outbox.objects.count() == 3  # in the transaction, before the commit
    inserts = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith(("INSERT", "COPY"))]
    assert [sql.split()[0] for sql in inserts] == ["COPY", "INSERT"]
    assert "notifications_outbox" in inserts[0]
    assert "django_tasks_database_dbtaskresult" in inserts[1]
    [task] = DBTaskResult.objects.all()
    assert sorted(task.args_kwargs["kwargs"]["keys"]) == sorted(
        f"acknowledgement:{c.pk}" for c in cases)

    run_worker(monkeypatch)

    assert sorted(m["To"] for m in smtp.messages) == [f"m{n}@example.org" for n in range(3)]
    for receipt in receipts:
        assert any(receipt.access_code in text_of(m) for m in smtp.messages)
    assert set(Outbox.objects.values_list("state", flat=True)) == {"sent"}


def test_failed_delivery_is_kept_for_a_retry_without_the_address(
        smtp, submit, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE
    smtp.refuse = True  # SMTPRecipientsRefused quotes the address in its message

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()
    run_worker(monkeypatch)

    [notice] = Outbox.objects.all()
    assert (notice.state, notice.attempts, notice.last_error) == (
        "pending", 1, "SMTPRecipientsRefused")
    assert MOTHER not in json.dumps(list(Outbox.objects.values()), default=str)
    assert Case.objects.filter(number=receipt.case_number).exists()

    smtp.refuse = False
    Outbox.objects.update(next_attempt_at=notice.created_at)  # the back-off has passed
    outbox.outbox_send()
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_error) == ("sent", 2, "")
    assert len(smtp.messages) == 1


def test_other_transitions_record_nothing(monkeypatch):
    recorded = []
    monkeypatch.setattr(outbox, "record", lambda kind, **kw: recorded.append(kind))
    monkeypatch.setattr(outbox, "key_information_request", lambda case_id: ("k", []))

    for transition in ("register", "start_review", "information_received", "close", "reopen"):
        handlers.on_case_moved(case_id=1, transition=transition)
    handlers.on_case_moved(case_id=1, transition="request_information")
    handlers.on_case_moved(case_id=1, transition="answer")  # the answer's own hook mails
    handlers.on_answer_signed(case_id=1, answer_id=2)

    assert recorded == ["information_request", "answer_ready"]


def test_a_notice_whose_task_cannot_be_queued_is_still_sent(
        smtp, submit, settings, caplog, django_capture_on_commit_callbacks):
    """Issue 15, finding 14: the acknowledgement was queued after the commit and dropped
    when queueing failed (41 of 85,517 appeals never got theirs). Now the notice is a row
    of the appeal's transaction; queueing is only the fast path, and the worker's loop
    (here ``manage.py notices_send``) sends what it missed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["elsewhere"]}}  # the default queue is refused

    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit()

    assert "notices not queued, the worker will send them" in caplog.text
    assert smtp.messages == []
    call_command("notices_send", verbosity=0)
    [message] = smtp.messages
    assert receipt.access_code in text_of(message)
    assert Outbox.objects.get().state == "sent"


def test_a_recovered_access_code_is_recorded_sealed_and_the_worker_sends_it(
        smtp, submit, settings, monkeypatch, django_capture_on_commit_callbacks):
    from casedesk.intake.public import access_code_recover

    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(language="en")
    outbox.outbox_send()  # (the acknowledgement)
    smtp.envelopes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert access_code_recover(case_number=receipt.case_number, email=MOTHER.upper())
    [notice] = Outbox.objects.filter(kind="access_code")
    code = secrets.unseal(notice.sealed)
    assert code and code != receipt.access_code
    stored = json.dumps(list(Outbox.objects.values()), default=str)
    assert code not in stored and MOTHER not in stored

    run_worker(monkeypatch)

    [message] = smtp.messages
    assert message["To"] == MOTHER
    assert code in text_of(message) and receipt.access_code not in text_of(message)
    assert "A new access code" in str(message["Subject"])
    case = Case.objects.get(number=receipt.case_number)
    assert secrets.access_code_matches(code, case.access_code_hash)
    notice.refresh_from_db()
    assert (notice.state, notice.sealed) == ("sent", "")
