"""An import whose database connection dies mid-write (issue 15, finding 18) ends with a
message, not a traceback, in the command and on the browser job's page; it writes
nothing and gives back the case numbers it reserved, so the numbering keeps no gap."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case, CaseNumberCounter
from casedesk.cases.services import case_numbers_reserve
from casedesk.core.errors import ApplicationError
from casedesk.intake import bulk_import, import_jobs
from casedesk.intake.bulk_import import appeals_import
from casedesk.intake.models import ImportJob
from casedesk.intake.tests.test_bulk_import import WIFE, WRITERS, counts

ROWS = [{**WIFE, "external_id": f"w{i}"} for i in range(5)]


def lose_the_connection_in_the_third_batch(monkeypatch, use_copy: bool) -> None:
    """The connection dies while the import writes its third batch (of two rows)."""
    calls = []
    error = OperationalError("server closed the connection unexpectedly")
    if use_copy:
        original = bulk_import._CopyTable.write

        def write(self, raw, rows):  # runs in the sender thread
            calls.append(self.model)
            if len(calls) > 12:  # six tables per batch
                raise error
            original(self, raw, rows)

        monkeypatch.setattr(bulk_import._CopyTable, "write", write)
    else:
        original = bulk_import._BulkCreateEmitter.emit

        def emit(self, batch):
            calls.append(batch)
            if len(calls) > 2:
                raise error
            return original(self, batch)

        monkeypatch.setattr(bulk_import._BulkCreateEmitter, "emit", emit)


@WRITERS
def test_a_lost_connection_ends_with_a_message_and_gives_the_numbers_back(
        csv_file, clerk, office, monkeypatch, use_copy):
    before = counts()
    path = csv_file(ROWS)
    with monkeypatch.context() as patch:
        lose_the_connection_in_the_third_batch(patch, use_copy)
        with pytest.raises(ApplicationError) as info:
            appeals_import(actor=clerk, office=office, path=path, batch=2,
                           use_copy=use_copy)
    assert info.value.code == "import_interrupted"
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with translation.override("en"):
        assert "nothing was imported, and the case numbers reserved for it were given " \
            "back" in str(info.value)
    after = counts()
    assert after.pop("CaseNumberCounter") == 1
    before.pop("CaseNumberCounter")
    assert after == before
    assert CaseNumberCounter.objects.get().last == 0  # given back

    # Run again: the numbers start at 1, no gap.
    result = appeals_import(actor=clerk, office=office, path=path, batch=2,
                            use_copy=use_copy)
    assert result.imported == 5
    assert sorted(Case.objects.values_list("number", flat=True)) == [
        f"MSK-2026-00000{i}" for i in range(1, 6)]


def test_numbers_reserved_by_someone_else_meanwhile_are_never_given_back(
        csv_file, clerk, office, monkeypatch):
    """An appeal from the portal took the next number while the import was writing: the
    import's numbers cannot be given back without giving that one twice. They stay unused,
    and the message says how many."""
    reserve = bulk_import.case_numbers_reserve

    def and_one_more(**kwargs):
        first = reserve(**kwargs)
        case_numbers_reserve(office=kwargs["office"], year=kwargs["year"])  # the portal's
        return first

    monkeypatch.setattr(bulk_import, "case_numbers_reserve", and_one_more)
    lose_the_connection_in_the_third_batch(monkeypatch, use_copy=False)
    with pytest.raises(ApplicationError) as info:
        appeals_import(actor=clerk, office=office, path=csv_file(ROWS), batch=2,
                       use_copy=False)
    assert CaseNumberCounter.objects.get().last == 6
    with translation.override("ru"):
        assert "5 номеров дел" in str(info.value)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Соединение с базой данных прервалось во время импорта"),
    ("en", "The connection to the database was lost during the import")])
def test_the_command_ends_with_the_message_not_a_traceback(csv_file, office, clerk,
                                                           monkeypatch, language, words):
    lose_the_connection_in_the_third_batch(monkeypatch, use_copy=True)
    path = csv_file(ROWS)
    monkeypatch.setattr(bulk_import.appeals_import, "__kwdefaults__",
                        {**bulk_import.appeals_import.__kwdefaults__, "batch": 2})
    with pytest.raises(CommandError) as info:
        call_command("import_appeals", str(path), office=office.code, language=language,
                     operator=clerk.username)
    assert words in str(info.value)
    assert Case.objects.count() == 0


def test_the_command_names_an_unavailable_database(csv_file, office, clerk, monkeypatch):
    def gone(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("casedesk.intake.management.commands.import_appeals.appeals_import",
                        gone)
    with pytest.raises(CommandError, match="The database is not available"):
        call_command("import_appeals", str(csv_file(ROWS)), office=office.code,
                     language="en", operator=clerk.username)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Соединение с базой данных прервалось во время импорта"),
    ("en", "The connection to the database was lost during the import")])
def test_the_browser_job_fails_with_the_message(client, staff, office, monkeypatch, language,
                                                words):
    clerk = staff[Role.INTAKE_CLERK]
    data = csv_file_bytes()
    _result, job = import_jobs.import_check(actor=clerk, office=office, data=data)
    import_jobs.import_start(actor=clerk, job_id=job.pk)
    lose_the_connection_in_the_third_batch(monkeypatch, use_copy=True)
    monkeypatch.setattr(bulk_import.appeals_import, "__kwdefaults__",
                        {**bulk_import.appeals_import.__kwdefaults__, "batch": 2})
    job = import_jobs.import_run(job_id=job.pk)
    assert (job.state, job.failure) == (ImportJob.State.FAILED, "import_interrupted")
    assert job.sealed is None  # the file is dropped as after any end
    client.force_login(clerk)
    with translation.override(language):
        page = client.get(reverse("staff:import_job", args=[job.pk]))
    text = page.content.decode()
    assert words in text
    assert "Traceback" not in text and "OperationalError" not in text


def test_a_job_whose_run_died_is_ended_when_its_task_runs_again(client, staff, office):
    clerk = staff[Role.INTAKE_CLERK]
    _result, job = import_jobs.import_check(actor=clerk, office=office,
                                            data=csv_file_bytes())
    import_jobs.import_start(actor=clerk, job_id=job.pk)
    # The first run claimed the job, then its worker was killed.
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    job = import_jobs.import_run(job_id=job.pk)
    assert (job.state, job.failure) == (ImportJob.State.FAILED, "interrupted")
    client.force_login(clerk)
    with translation.override("en"):
        text = client.get(reverse("staff:import_job", args=[job.pk])).content.decode()
    assert "The import stopped before it finished" in text
    assert "Nothing was imported." not in text  # it may have been


def csv_file_bytes() -> bytes:
    """The CSV of ``ROWS`` as the browser uploads it."""
    from casedesk.intake.tests.test_bulk_import import write_csv

    class Target:
        def write_text(self, text, encoding):
            self.data = text.encode(encoding)

    target = Target()
    write_csv(target, ROWS)
    return target.data


def test_a_connection_lost_during_the_commit_gives_nothing_back(csv_file, clerk, office,
                                                                monkeypatch):
    """The commit may have gone through: the numbers may be in use, so they are kept, and
    the message says the import may have been saved (running it again is safe)."""
    from django.db import connections

    data = connections["default"]
    commit, emit = data.savepoint_commit, bulk_import.hooks.emit
    armed, failed = [], []

    def last_step(*args, **kwargs):  # the import's last statement before its commit
        armed.append(True)
        return emit(*args, **kwargs)

    def lost_once(sid):
        if armed and not failed:
            failed.append(sid)
            raise OperationalError("server closed the connection unexpectedly")
        return commit(sid)

    monkeypatch.setattr(bulk_import.hooks, "emit", last_step)
    monkeypatch.setattr(data, "savepoint_commit", lost_once)  # the tests' commit
    with pytest.raises(ApplicationError) as info:
        appeals_import(actor=clerk, office=office, path=csv_file(ROWS), use_copy=False)
    assert failed
    with translation.override("en"):
        assert "it may have been saved" in str(info.value)
    assert CaseNumberCounter.objects.get().last == 5  # not given back
