"""core.hooks.queue_after_commit: what a transaction queues runs after its commit, in a
transaction of its own, never after a rollback; inside ``queued_together`` all of it in
ONE transaction (one commit, not one per task); a failure there is logged and leaves the
committed change alone."""

from __future__ import annotations

import logging

import pytest
from django.db import connection, transaction

from casedesk.core import hooks
from casedesk.core.models import Region

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _txid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        return cursor.fetchone()[0]


def _record(seen: list, name: str):
    def call():
        seen.append((name, connection.in_atomic_block, _txid()))
    return call


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")


def test_calls_run_after_the_commit_together_in_one_transaction(postgres):
    seen: list = []
    with hooks.queued_together(), transaction.atomic():
        hooks.queue_after_commit(_record(seen, "notices"))
        with transaction.atomic():  # a savepoint inside
            hooks.queue_after_commit(_record(seen, "checks"))
        assert seen == []  # not before the commit
        writer = _txid()
    assert [name for name, _atomic, _id in seen] == ["notices", "checks"]
    assert all(atomic for _name, atomic, _id in seen)
    ids = {txid for _name, _atomic, txid in seen}
    assert len(ids) == 1 and writer not in ids  # one transaction of their own


def test_nothing_runs_after_a_rollback_and_the_next_transaction_starts_afresh(postgres):
    seen: list = []
    with pytest.raises(ZeroDivisionError), hooks.queued_together(), transaction.atomic():
        hooks.queue_after_commit(_record(seen, "lost"))
        1 / 0  # noqa: B018
    with hooks.queued_together(), transaction.atomic():
        hooks.queue_after_commit(_record(seen, "kept"))
    assert [name for name, _atomic, _id in seen] == ["kept"]


def test_without_the_block_each_call_has_a_transaction_of_its_own(postgres):
    seen: list = []
    with transaction.atomic():
        hooks.queue_after_commit(_record(seen, "one"))
        hooks.queue_after_commit(_record(seen, "two"))
        assert seen == []
    assert [name for name, _atomic, _id in seen] == ["one", "two"]
    assert len({txid for _name, _atomic, txid in seen}) == 2


def test_outside_a_transaction_it_runs_at_once_in_one(postgres):
    seen: list = []
    hooks.queue_after_commit(_record(seen, "now"))
    assert [(name, atomic) for name, atomic, _id in seen] == [("now", True)]


def test_a_failure_is_logged_and_the_change_stays(caplog):
    def broken():
        raise RuntimeError("the task table is gone")

    seen: list = []
    with caplog.at_level(logging.WARNING, logger="casedesk.core.hooks"), \
            hooks.queued_together(), transaction.atomic():
        Region.objects.create(code="RU-XXX", name_ru="Тест", name_en="Test")
        hooks.queue_after_commit(broken)
        hooks.queue_after_commit(lambda: seen.append("after"))
    assert Region.objects.filter(code="RU-XXX").exists()
    assert seen == []  # the group failed as a whole: logged, counts only
    assert "tasks not queued after the commit: count=2 error=RuntimeError" in caplog.text
