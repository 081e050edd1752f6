"""After-commit hooks: handlers run after the commit only, one call per payload, or one
call for all payloads of ``emit_many`` when subscribed with ``many``."""

from __future__ import annotations

import pytest
from django.db import transaction

from casedesk.core import hooks


@pytest.fixture
def name(monkeypatch):
    monkeypatch.setattr(hooks, "_handlers", hooks.defaultdict(list))
    monkeypatch.setattr(hooks, "_many", {})
    monkeypatch.setattr(hooks, "_now", hooks.defaultdict(list))
    return "thing_happened"


def test_emit_many_calls_a_plain_handler_once_per_payload(db, name,
                                                          django_capture_on_commit_callbacks):
    calls = []
    hooks.subscribe(name, lambda **payload: calls.append(payload))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.emit_many(name, [{"n": 1}, {"n": 2}])
        assert calls == []  # not before the commit
    assert calls == [{"n": 1}, {"n": 2}]


def test_emit_many_gives_a_many_handler_every_payload_at_once(
        db, name, django_capture_on_commit_callbacks):
    single, batches = [], []
    hooks.subscribe(name, lambda **payload: single.append(payload), many=batches.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.emit_many(name, [{"n": 1}, {"n": 2}])
        hooks.emit(name, n=3)
    assert batches == [[{"n": 1}, {"n": 2}]]
    assert single == [{"n": 3}]


def test_nothing_runs_when_the_transaction_rolls_back(db, name,
                                                      django_capture_on_commit_callbacks):
    calls = []
    hooks.subscribe(name, lambda **payload: calls.append(payload), many=calls.append)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        hooks.emit_many(name, [{"n": 1}])
        raise RuntimeError
    assert calls == []


def test_an_in_transaction_handler_runs_at_once_before_the_after_commit_ones(
        db, name, django_capture_on_commit_callbacks):
    calls = []
    hooks.subscribe(name, lambda **payload: calls.append(("after", payload)))
    hooks.subscribe(name, lambda **payload: calls.append(("now", payload)), in_transaction=True)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.emit(name, n=1)
        assert calls == [("now", {"n": 1})]  # inside the transaction
    assert calls == [("now", {"n": 1}), ("after", {"n": 1})]


def test_an_in_transaction_handler_that_fails_fails_the_change(db, name):
    def broken(**payload):
        raise ValueError("cannot write")

    hooks.subscribe(name, broken, in_transaction=True)
    with pytest.raises(ValueError), transaction.atomic():
        hooks.emit(name, n=1)
