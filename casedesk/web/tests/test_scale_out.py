"""Scaling out, in a test: two app servers and two task workers, each a process of its own,
on one PostgreSQL (the test databases), as several machines would share it
(docs/deployment.md).

The public API takes 40 appeals through both servers at once; ten of them are sent twice
at the same moment with the same idempotency key, one copy to each server. Meanwhile a
supervisor (a real session cookie, over HTTP) moves some of the new cases: each round
sends two moves on one case at the same moment, one through each server, either two
moves that compete for the same state or one that only makes sense after the other.

Then, with the processes stopped:

- every acknowledged appeal exists once, with the receipt's number and access code; the
  same key gave one appeal and the same receipt on both servers;
- case numbers are unique and run 1, 2, 3… without a gap per office and year;
- each pair of moves ended as if the two had run one after the other (in some order),
  and every case's timeline is one chain of moves from ``received`` to its state, with
  exactly the moves that answered "done" (no lost update, no move recorded twice);
- the audit chain verifies;
- every notice owed was recorded once in the outbox and sent exactly once, by one of the
  two workers, and at most one statistics refresh is waiting.
"""

from __future__ import annotations

import http.client
import json
import queue
import random
import re
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection, connections
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain
from casedesk.cases.events import EventKind
from casedesk.cases.models import Appeal, Case, CaseEvent, CaseNumberCounter
from casedesk.cases.workflow import TRANSITIONS, allowed_for
from casedesk.intake.models import PublicSubmission
from casedesk.intake.public import case_open_public
from casedesk.notifications.models import Outbox
from casedesk.testing import arguments_for
from casedesk.testing_processes import Processes

pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="several processes on one database need PostgreSQL"),
]

APPEALS = 40
DOUBLED = 10  # sent twice at the same moment with one key, a copy to each server
SUBMITTERS = 6  # client threads sending appeals
MOVERS = 4  # client threads moving cases, each on cases of its own
CASES_EACH = 2
ROUNDS = 5  # per case: two simultaneous moves, one through each server
WORKERS = ("worker-1", "worker-2")
# The statistics refresh task (by name: web and stats are sibling layers).
REFRESH = "casedesk.stats.tasks.refresh_figures"
# What each notice of the outbox follows: the appeal, or a move.
NOTICES = {"acknowledgement": "acknowledgement", "information_request": "request_information",
           "answer_ready": "answer", "forwarding_notice": "forward",
           "unanswered_notice": "leave_unanswered", "extension_notice": "extend"}


# --- talking to the servers -----------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    location: str = ""


def call(port: int, method: str, path: str, body: bytes = b"",
         headers: dict | None = None) -> Reply:
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection_.request(method, path, body=body, headers=headers or {})
        response = connection_.getresponse()
        return Reply(response.status, response.read(), response.getheader("Location", ""))
    finally:
        connection_.close()


def at_once(*calls):
    """Run the callables in threads of their own, released together; their results (or
    the exception each raised), in order."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, function):
        try:
            start.wait(timeout=30)
            results[index] = function()
        except BaseException as error:  # reported by the caller
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def appeal_body(n: int) -> bytes:
    return json.dumps({
        "applicant": {"name": "Иванова Анна Петровна", "relation": "mother",
                      "email": f"applicant{n}@example.org",
                      "postal_address": "Москва, ул. Примерная, 1"},
        "service_member": {"name": "Иванов Пётр Сергеевич", "birth_date": "1990-05-01",
                           "unit": "12345", "region": "RU-MOW",
                           "service_type": "mobilized"},
        "text": f"Сына записали в СОЧ, хотя он лежит в госпитале. Обращение {n}.",
        "category": "record_error_awol",
        "consent": True,
    }).encode()


def submit(port: int, n: int) -> Reply:
    return call(port, "POST", "/api/v1/public/appeals", appeal_body(n),
                {"Content-Type": "application/json", "Idempotency-Key": f"scale-out-{n:04d}"})


def staff_session(user) -> dict[str, str]:
    """Headers of a signed-in staff member: a session stored in the database (which every
    app server reads) and a CSRF cookie with its header."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    csrf = get_random_string(32)
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
                      f"{settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded"}


def move(port: int, headers: dict, number: str, transition: str) -> Reply:
    """The staff case page's form for one move: a redirect when done, 400 when refused."""
    with translation.override("ru"):
        path = reverse("staff:transition", kwargs={"number": number, "transition": transition})
    form = {f"{transition}-transition": transition}
    form.update({f"{transition}-{name}": value
                 for name, value in arguments_for(transition).items()})
    return call(port, "POST", path, urlencode(form).encode(), headers)


def supervisor_moves(state: str) -> list[str]:
    return [t.name for t in allowed_for(state, Role.SUPERVISOR)]


def serially(state: str, moves: list[str]) -> tuple[list[bool], str]:
    """What ``moves`` do when run one after the other from ``state``: which are done, and
    the state at the end."""
    done = []
    for name in moves:
        spec = TRANSITIONS[name]
        done.append(state in spec.sources)
        if done[-1]:
            state = spec.target
    return done, state


@dataclass(frozen=True)
class Round:
    number: str
    before: str
    moves: tuple[str, str]
    statuses: tuple[int, int]
    after: str

    def done(self) -> list[bool]:
        return [status == 302 for status in self.statuses]

    def serializable(self) -> bool:
        """The outcome of one of the two orders of running the moves one by one."""
        first, second = self.moves
        done_12, end_12 = serially(self.before, [first, second])
        done_21, end_21 = serially(self.before, [second, first])
        return ((self.done(), self.after) == (done_12, end_12)
                or (self.done(), self.after) == (done_21[::-1], end_21))


def mail_recipients(folder) -> Counter:
    """How many messages the file email backend wrote to each address."""
    found: Counter = Counter()
    for path in folder.glob("*.log") if folder.exists() else ():
        found.update(re.findall(r"^To: (\S+)$", path.read_text(errors="replace"), re.M))
    return found


def timeline(case: Case) -> str:
    """The moves of ``case`` in the order they were written (ids), with their times."""
    rows = (CaseEvent.objects.filter(case=case, kind=EventKind.STATE_CHANGED).order_by("id")
            .values_list("id", "at", "data__source", "data__target"))
    return f"{case.number}: timeline out of order: " + "; ".join(
        f"#{pk} {at.isoformat()} {source}->{target}" for pk, at, source, target in rows)


def wait_for_workers(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = Outbox.objects.filter(state="pending")
    while pending.exists():
        assert time.monotonic() < deadline, f"emails still queued after {timeout} s"
        time.sleep(0.3)


# --- the test ------------------------------------------------------------------------


def test_two_app_servers_and_two_workers_keep_intake_and_moves_correct(
        tmp_path, office, make_user):
    supervisor = make_user(Role.SUPERVISOR, office, username="supervisor")
    headers = staff_session(supervisor)
    rng = random.Random(20260408)
    replies: dict[int, list[Reply]] = defaultdict(list)
    rounds: list[Round] = []
    failures: list[BaseException] = []
    acknowledged: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    limits = {"CASEDESK_RATE_SUBMIT": "100000/h", "CASEDESK_RATE_STATUS": "100000/h",
              "CASEDESK_RATE_STATUS_FAILURES": "100000/h"}

    with Processes(tmp_path, env=limits) as processes:
        ports = [processes.app_server(f"app-{i}").port for i in (1, 2)]
        for name in WORKERS:
            processes.worker(name)
        processes.wait_ready()

        def send(n: int) -> None:
            if n < DOUBLED:  # the same key to both servers at the same moment
                results = at_once(partial(submit, ports[0], n), partial(submit, ports[1], n))
            else:
                results = [submit(ports[n % 2], n)]
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            replies[n].extend(results)
            if results[0].status == 201:
                acknowledged.put(json.loads(results[0].body)["case_number"])

        def mover(seed: int) -> None:
            mine = random.Random(seed)
            try:
                numbers = [acknowledged.get(timeout=60) for _ in range(CASES_EACH)]
                for _ in range(ROUNDS):
                    for number in numbers:
                        if stop.is_set():
                            return
                        before = Case.objects.values_list("state", flat=True).get(number=number)
                        first = mine.choice(supervisor_moves(before))
                        if mine.random() < 0.5:  # two moves competing for the same state
                            second = mine.choice(supervisor_moves(before))
                        else:  # the second only makes sense once the first is done
                            second = mine.choice(supervisor_moves(TRANSITIONS[first].target))
                        results = at_once(partial(move, ports[0], headers, number, first),
                                          partial(move, ports[1], headers, number, second))
                        for result in results:
                            if isinstance(result, BaseException):
                                raise result
                            if result.status == 302:  # done: back to the case page
                                assert result.location.endswith(f"/cases/{number}/"), result
                        after = Case.objects.values_list("state", flat=True).get(number=number)
                        rounds.append(Round(number, before, (first, second),
                                            (results[0].status, results[1].status), after))
            except BaseException as error:
                failures.append(error)
            finally:
                connections.close_all()

        started = time.monotonic()
        movers = [threading.Thread(target=mover, args=(rng.random(),)) for _ in range(MOVERS)]
        for thread in movers:
            thread.start()
        order = list(range(APPEALS))
        rng.shuffle(order)
        try:
            with ThreadPoolExecutor(SUBMITTERS) as pool:
                for future in [pool.submit(send, n) for n in order]:
                    future.result()
        finally:
            if len(replies) < APPEALS:  # a submission failed: the movers need not wait
                stop.set()
                for _ in range(MOVERS * CASES_EACH):
                    acknowledged.put("none")
            for thread in movers:
                thread.join()
        assert failures == []
        wait_for_workers(timeout=60)
        load_seconds = time.monotonic() - started
        assert processes.alive() == ["app-1", "app-2", *WORKERS], "a process died"
    print(f"load and emails: {load_seconds:.1f} s, {len(rounds)} rounds of two moves")

    # Every acknowledged submission exists exactly once; one key, one appeal and receipt.
    statuses = Counter(r.status for rs in replies.values() for r in rs)
    assert statuses == {201: APPEALS + DOUBLED}, statuses
    receipts = {}
    for n, rs in replies.items():
        bodies = {json.loads(r.body)["case_number"]: json.loads(r.body) for r in rs}
        assert len(bodies) == 1, f"key {n} gave {len(bodies)} different receipts"
        assert len({r.body for r in rs}) == 1
        receipts[n] = next(iter(bodies.values()))
    assert Case.objects.count() == Appeal.objects.count() == APPEALS
    assert PublicSubmission.objects.count() == APPEALS
    assert len({r["case_number"] for r in receipts.values()}) == APPEALS
    for receipt in receipts.values():
        case = case_open_public(case_number=receipt["case_number"],
                                access_code=receipt["access_code"])
        assert case.appeals.count() == 1

    # Case numbers: unique, and 1, 2, 3… without a gap per office and year.
    sequences = defaultdict(list)
    for office_id, year, sequence, number in Case.objects.values_list(
            "office_id", "year", "sequence", "number"):
        sequences[office_id, year].append(sequence)
        assert number.endswith(f"-{year}-{sequence:06d}")
    for (office_id, year), found in sequences.items():
        assert sorted(found) == list(range(1, len(found) + 1))
        assert CaseNumberCounter.objects.get(office_id=office_id, year=year).last == len(found)

    # Moves: each pair ended as one of its serial orders would; no move lost or doubled.
    assert len(rounds) == MOVERS * CASES_EACH * ROUNDS
    assert {s for r in rounds for s in r.statuses} <= {302, 400}, Counter(
        s for r in rounds for s in r.statuses)
    wrong = [r for r in rounds if not r.serializable()]
    assert wrong == [], wrong
    done = Counter((r.number, m) for r in rounds
                   for m, ok in zip(r.moves, r.done(), strict=True) if ok)
    assert sum(done.values()) >= len(rounds)  # at least one move of every pair
    events = defaultdict(list)
    for number, data in (CaseEvent.objects.filter(kind=EventKind.STATE_CHANGED)
                         .order_by("at", "id").values_list("case__number", "data")):
        events[number].append(data)
    recorded = Counter((number, d["transition"]) for number, ds in events.items() for d in ds)
    assert recorded == done
    for case in Case.objects.all():
        state = "received"
        for data in events[case.number]:
            assert data["source"] == state, timeline(case)
            state = data["target"]
        assert case.state == state, case.number
    assert AuditEntry.objects.filter(action="case.transition").count() == sum(done.values())
    ok, bad_entry, message = verify_chain()
    assert ok, (bad_entry, message)

    # Emails: each recorded once, sent once by one of the workers.
    expected = Counter({("acknowledgement", r["case_number"]): 1 for r in receipts.values()})
    # The test's ground ("unreadable", casedesk.testing) owes the applicant a notice.
    expected.update((kind, number) for (number, kind) in done.elements()
                    if kind in ("request_information", "answer", "forward",
                                "leave_unanswered"))
    numbers = dict(Case.objects.values_list("pk", "number"))
    notices = list(Outbox.objects.all())
    assert Counter((NOTICES[n.kind], numbers[n.case_id]) for n in notices) == expected
    assert {(n.state, n.attempts) for n in notices} == {("sent", 1)}
    assert all(n.claimed_by in WORKERS for n in notices)
    by_worker = Counter(n.claimed_by for n in notices)
    print(f"emails sent by worker: {dict(by_worker)}")
    assert set(by_worker) == set(WORKERS), by_worker  # both took their share
    sent = mail_recipients(tmp_path / "var" / "mail")
    assert sum(sent.values()) == len(notices)
    by_case = Counter(number for _kind, number in expected.elements())
    for n, receipt in receipts.items():
        assert sent[f"applicant{n}@example.org"] == by_case[receipt["case_number"]]
    # Every move asked for a statistics refresh; at most one waits (deferred, not run).
    refreshes = DBTaskResult.objects.filter(task_path=REFRESH)
    assert list(refreshes.values_list("status", flat=True)) == ["READY"]
