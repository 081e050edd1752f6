"""Public appeals written in batches (intake.batching, public.submissions_write): the same
rows as one at a time, in a fixed number of statements, and a bad appeal fails alone."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain
from casedesk.cases.models import Appeal, Case, CaseApplicant, CaseEvent
from casedesk.cases.search import case_search
from casedesk.core import hooks
from casedesk.core.errors import ApplicationError
from casedesk.intake import batching, public
from casedesk.intake.models import PublicSubmission
from casedesk.intake.public import appeal_submit, case_open_public, submissions_write
from casedesk.intake.services import PersonData
from casedesk.people.models import Person


def args(n: int, **changes) -> dict:
    base = dict(
        channel="api", idempotency_key=f"batch-key-{n:04d}", payload={"n": n},
        applicant=PersonData(full_name=f"Петрова Анна {n}", email=f"a{n}@example.org",
                             phone=f"+7 900 000-00-{n % 100:02d}"),
        relation="mother",
        service_member=PersonData(full_name=f"Петров Иван {n}", unit="12345",
                                  region_code="RU-MOW", service_type="mobilized"),
        text=f"Сына {n} записали в СОЧ, хотя он лежит в госпитале.",
        request="Исправить запись.", category="record_error_awol", language="ru",
        consent=True)
    base.update(changes)
    return base


def prepared(n: int, **changes) -> public.Submission:
    """A checked submission, as appeal_submit hands it to the registrar."""
    captured = {}

    def keep(submission):
        captured["s"] = submission
        raise LookupError  # stop before writing

    original = batching.submit
    batching.submit = keep
    try:
        with pytest.raises(LookupError):
            appeal_submit(**args(n, **changes))
    finally:
        batching.submit = original
    return captured["s"]


def shape(case: Case) -> dict:
    """What a case written through either path must hold, numbers and times aside."""
    appeal = case.appeals.get()
    applicant = CaseApplicant.objects.get(case=case)
    return {
        "state": case.state, "category": case.category, "procedure": case.procedure,
        "next_due_on": case.next_due_on, "deadline_flag": case.deadline_flag,
        "rulebook": case.rulebook_version,
        "deadlines": sorted((d.rule, d.starts_on, d.due_on, d.closed_on)
                            for d in case.deadlines.all()),
        "events": [(e.kind, e.public, e.data) for e in case.events.order_by("id")],
        "appeal": (appeal.channel, appeal.language, appeal.request, bool(appeal.search_tokens)),
        "relation": applicant.relation,
        "member": (case.service_member.unit, case.service_member.region.code,
                   case.service_member.service_type, bool(case.service_member.name_unit_index)),
        "audit": [(action, kind, {**data, "case": data["case"] == case.pk})
                  for action, kind, data in AuditEntry.objects.filter(
                      object_type="appeal", object_id=str(appeal.pk))
                  .values_list("action", "actor_kind", "data")],
        "answer_due": PublicSubmission.objects.get(appeal=appeal).answer_due,
        # Found by a word of its appeal (on PostgreSQL through the per-case search table,
        # which its trigger fills from the case row: the appeal must come after the case).
        "searchable": case_search(Case.objects.filter(pk=case.pk), "госпитале").exists(),
    }


@pytest.mark.smoke
def test_a_batch_writes_what_one_at_a_time_writes(office, django_capture_on_commit_callbacks):
    single = public.submission_write(prepared(0))
    batch = [prepared(n) for n in range(1, 6)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receipts = submissions_write(batch)
    assert all(isinstance(r, public.Receipt) for r in receipts), receipts
    numbers = [r.case_number for r in receipts]
    sequences = [int(n.rsplit("-", 1)[1]) for n in numbers]
    first = int(single.case_number.rsplit("-", 1)[1])
    assert sequences == list(range(first + 1, first + 6))  # consecutive, in arrival order
    reference = shape(Case.objects.get(number=single.case_number))
    assert reference["searchable"]
    for n, receipt in enumerate(receipts, start=1):
        case = Case.objects.get(number=receipt.case_number)
        assert shape(case) == reference
        assert receipt.answer_due == single.answer_due
        # The applicant can follow the case with the code the receipt gives...
        assert case_open_public(case_number=receipt.case_number,
                                access_code=receipt.access_code) == case
        # ...and the texts and names are those sent, stored encrypted.
        appeal = case.appeals.get()
        assert appeal.text == f"Сына {n} записали в СОЧ, хотя он лежит в госпитале."
        assert case.service_member.full_name == f"Петров Иван {n}"
        assert appeal.submitter.email == f"a{n}@example.org"
        with connection.cursor() as cursor:
            cursor.execute("SELECT full_name FROM people_person WHERE id = %s",
                           [case.service_member_id])
            assert "Петров" not in cursor.fetchone()[0]
    # Each applicant gets an acknowledgement, queued after the commit, all in one go;
    # and the checks after the receipt (repeats, duplicates and the apps subscribed to
    # cases_opened) are queued once for the batch: all in ONE transaction after the
    # commit (core.hooks.queued_together).
    assert [c.__qualname__ for c in callbacks] == ["_Queued.run"]
    kinds = sorted(c.__qualname__.split(".")[0] for c in callbacks[0].__self__.calls)
    assert kinds == ["_kick", "after_receipt"]
    assert not hooks._handlers["cases_opened"]  # every subscriber runs in that transaction
    assert len(hooks._now["cases_opened"]) >= 3  # urgency, facts, triage (issue 19)
    assert verify_chain()[0]


def test_a_batch_takes_a_fixed_number_of_statements(office):
    submissions_write([prepared(0)])  # the year's counter exists
    for size in (2, 20):
        batch = [prepared(n) for n in range(100 * size, 100 * size + size)]
        with CaptureQueriesContext(connection) as queries:
            receipts = submissions_write(batch)
        assert all(isinstance(r, public.Receipt) for r in receipts)
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) <= 17, "\n".join(sql[:120] for sql in statements)
        # From the number counter's lock to the commit: the cases, the appeals (the search
        # trigger needs the case), the submissions, the acknowledgements' outbox rows
        # (they need the case ids, and must be in this transaction) and the audit entries
        # only; events, deadlines and applicants were written before the lock.
        locked = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
        assert len(statements) - locked <= 10, "\n".join(statements[locked:])
        audit = next(i for i, sql in enumerate(statements) if "pg_advisory_xact_lock" in sql)
        assert not any("notifications_outbox" in sql for sql in statements[audit:])
        for table in ("cases_caseevent", "cases_deadline", "cases_caseapplicant"):
            assert not any(sql.startswith(f'INSERT INTO "{table}"')
                           for sql in statements[locked:]), table


def test_a_bad_or_repeated_submission_fails_alone(office):
    stored = prepared(1)
    first = public.submission_write(stored)
    reused = prepared(1, payload={"n": "other"})   # the stored key, another body
    repeat = prepared(1)                            # the stored key, the same body
    twice = [prepared(2), prepared(2)]              # one key twice in the batch
    unknown = prepared(3, category="no_such_category")
    good = prepared(4)
    results = submissions_write([reused, repeat, *twice, unknown, good])
    assert isinstance(results[0], ApplicationError)
    assert results[0].code == "idempotency_key_reused"
    assert results[1] == first
    assert isinstance(results[2], public.Receipt) and results[3] == results[2]
    assert isinstance(results[4], ApplicationError) and results[4].code == "unknown_category"
    assert isinstance(results[5], public.Receipt)
    assert Case.objects.count() == 3  # 1, 2 and 4


def test_when_the_batch_fails_each_appeal_is_written_alone(office, monkeypatch):
    calls = []
    real = public.public_appeals_register

    def failing(**kwargs):
        calls.append(len(kwargs["drafts"]))
        appeals = real(**kwargs)
        if len(calls) == 1:  # the batch writes, then fails: everything is rolled back
            raise RuntimeError("database went away")
        return appeals

    monkeypatch.setattr(public, "public_appeals_register", failing)
    batch = [prepared(n) for n in range(3)]
    results = submissions_write(batch)
    assert calls == [3, 1, 1, 1]  # then each alone, by the same writer
    assert all(isinstance(r, public.Receipt) for r in results), results
    assert Case.objects.count() == Appeal.objects.count() == 3
    assert Person.objects.count() == 6
    numbers = sorted(int(r.case_number.rsplit("-", 1)[1]) for r in results)
    assert numbers == [1, 2, 3]  # the failed batch's numbers were rolled back with it
    assert CaseEvent.objects.filter(kind="case_opened").count() == 3
    assert verify_chain()[0]


@pytest.mark.smoke
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submissions_are_written_in_batches_by_the_registrar(settings):
    """Appeals queued while the registrar writes are written together in the next batch;
    each request gets its own receipt after the commit."""
    from casedesk.accounts.models import Office

    Office.objects.create(code="MSK", name_ru="Москва", name_en="Moscow")
    settings.CASEDESK_INTAKE_BATCH = 50
    registrar = batching.registrar()
    release, sizes = threading.Event(), []
    write_many = registrar.write_many

    def held(items):
        sizes.append(len(items))
        release.wait(10)  # the first batch waits until every other request has queued
        return write_many(items)

    registrar.write_many = held
    receipts, errors = {}, []

    def send(n: int) -> None:
        try:
            receipts[n] = appeal_submit(**args(n))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(12)]
    threads[0].start()
    while not sizes:
        threading.Event().wait(0.01)
    for thread in threads[1:]:
        thread.start()
    while registrar._queue.qsize() < 11:
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(20)
    registrar.write_many = write_many
    assert not errors, errors
    assert sizes == [1, 11]
    numbers = sorted(int(r.case_number.rsplit("-", 1)[1]) for r in receipts.values())
    assert numbers == list(range(1, 13))
    assert Case.objects.count() == 12
    assert verify_chain()[0]
    # A repeat through the registrar gets the first receipt.
    assert appeal_submit(**args(3)) == receipts[3]
    assert Case.objects.count() == 12
    registrar.stop()
    assert not registrar._thread.is_alive()


def _pdf(name: str = "scan.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from casedesk.testing import pdf_bytes

    return SimpleUploadedFile(name, pdf_bytes(name), "application/pdf")


def test_an_appeal_with_files_is_a_batch_of_one_whose_files_are_stored_first(
        office, settings, tmp_path):
    """The files are hashed, encrypted and stored before the transaction that takes the
    number counter and the audit chain; the audit entries come last, appeal first."""
    from casedesk.cases.documents import file_read

    settings.MEDIA_ROOT = tmp_path
    with CaptureQueriesContext(connection) as queries:
        receipt = appeal_submit(**args(7, attachments=[(_pdf(), "")]))
    case = Case.objects.get(number=receipt.case_number)
    document = case.documents.get()
    assert file_read(document) == _pdf().read()
    assert (document.public, document.uploaded_by_id, document.appeal_id) == (
        True, None, case.appeals.get().pk)
    assert [(e.kind, e.data.get("by")) for e in case.events.order_by("at", "id")] == [
        ("case_opened", None), ("document_added", "applicant")]
    statements = [q["sql"] for q in queries.captured_queries]
    locked = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
    assert not any('"cases_document"' in sql for sql in statements[locked:])
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["appeal.register", "document.added"]
    assert PublicSubmission.objects.get(appeal__case=case).answer_due == receipt.answer_due


def test_a_refused_file_writes_nothing_and_leaves_no_file(office, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    bad = SimpleUploadedFile("x.exe", b"MZ" + b"\0" * 100, "application/pdf")
    with pytest.raises(ApplicationError):
        appeal_submit(**args(8, attachments=[(_pdf(), ""), (bad, "")]))
    assert not Case.objects.exists() and not Person.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_the_write_is_the_outermost_action_and_refuses_to_nest(office):
    """``transaction.atomic(durable=True)``: a caller's transaction around the writer
    fails loudly (a test's own transaction is allowed)."""
    from django.db import transaction

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        public.submission_write(prepared(9))
    assert not Case.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_batch_queues_its_tasks_in_one_transaction_and_a_failed_check_loses_no_notice(
        monkeypatch, caplog):
    """After the batch's commit, the acknowledgements' task and the checks after the
    receipt are queued in ONE more transaction (hooks.queued_together); if queueing the
    checks fails, that part is rolled back alone and the acknowledgements still go."""
    from types import SimpleNamespace

    from django_tasks_db.models import DBTaskResult

    from casedesk.accounts.models import Office
    from casedesk.intake import tasks

    Office.objects.create(code="MSK", name_ru="Москва", name_en="Moscow")
    batch = [prepared(n) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        receipts = submissions_write(batch)
    assert all(isinstance(r, public.Receipt) for r in receipts), receipts
    paths = {p.rsplit(".", 1)[1] for p in DBTaskResult.objects.values_list("task_path",
                                                                           flat=True)}
    assert {"send_notices", "repeats_flag", "duplicates_flag"} <= paths
    statements = [q["sql"] for q in queries.captured_queries]
    # The batch's own commit and one more for every task it queued (no autocommitted
    # INSERT of a task on its own).
    assert statements.count("COMMIT") == 2
    outside = False
    for sql in statements:
        outside = {"BEGIN": False, "COMMIT": True}.get(sql, outside)
        assert not (outside and "dbtaskresult" in sql and "checkpoint" not in sql), sql

    DBTaskResult.objects.all().delete()

    def broken(**kwargs):
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(tasks, "duplicates_flag", SimpleNamespace(enqueue=broken))
    receipts = submissions_write([prepared(n) for n in range(3, 5)])
    assert all(isinstance(r, public.Receipt) for r in receipts), receipts
    paths = {p.rsplit(".", 1)[1] for p in DBTaskResult.objects.values_list("task_path",
                                                                           flat=True)}
    assert "send_notices" in paths and "duplicates_flag" not in paths
    assert "checks after the receipt not queued: count=2 error=RuntimeError" in caplog.text
    assert Case.objects.count() == 5
