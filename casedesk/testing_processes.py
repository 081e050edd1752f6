"""Helpers for tests that run casedesk as separate processes: app servers
(``manage.py runserver``) and task workers (``manage.py db_worker``) against the test
databases, the way several machines share one PostgreSQL in production
(docs/deployment.md).

``Processes`` starts them with the test databases' URLs and stops every one of them when
the ``with`` block ends, whatever happened; each process writes its output to a log file
whose last lines are quoted when it fails to start.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections

MANAGE = Path(settings.BASE_DIR) / "manage.py"
# Variables of the developer's or CI's shell that must not reach the children: mail goes
# to files in the test's own folder, never to a real server.
DROPPED = ("EMAIL_HOST", "DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER",
           "PYTEST_CURRENT_TEST")


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(alias: str) -> str:
    """A DATABASE_URL for the database behind ``alias`` as the tests use it (the test
    database's name, not the configured one)."""
    db = connections[alias].settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("separate processes need PostgreSQL: SQLite is one machine's")
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path
    port: int | None = None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Processes:
    """App servers and task workers sharing the test databases; a context manager that
    stops them all on exit."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items() if k not in DROPPED}
        base.update({
            "DATABASE_URL": database_url("default"),
            "CASEDESK_KEYSTORE_URL": database_url("keys"),
            "DJANGO_ENV": "test",
            "DJANGO_DEBUG": "0",
            # One connection per request: runserver starts a thread per request, and a
            # kept connection would outlive its thread.
            "DATABASE_CONN_MAX_AGE": "0",
            "CASEDESK_VAR_DIR": str(self.folder / "var"),
            "PYTHONUNBUFFERED": "1",
        })
        base.update(env or {})
        self.env = base
        self.children: list[Child] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self, name: str, args: list[str], port: int | None = None) -> Child:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
                [sys.executable, str(MANAGE), *args], env=self.env, cwd=MANAGE.parent,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        child = Child(name=name, process=process, log=log, port=port)
        self.children.append(child)
        return child

    def app_server(self, name: str) -> Child:
        """``manage.py runserver`` on a free loopback port (threaded, no autoreload)."""
        port = free_port()
        return self._start(name, ["runserver", "--noreload", "--skip-checks",
                                  f"127.0.0.1:{port}"], port=port)

    def worker(self, name: str, *, interval: float = 0.2) -> Child:
        """``manage.py db_worker`` with ``name`` as its worker id."""
        return self._start(name, ["db_worker", "--no-reload", "--interval", str(interval),
                                  "--worker-id", name])

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every app server answers HTTP and every child is still running."""
        deadline = time.monotonic() + timeout
        waiting = [c for c in self.children if c.port is not None]
        while waiting:
            for child in self.children:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited with {child.process.returncode}:"
                                       f"\n{child.tail()}")
            for child in list(waiting):
                if _answers(child.port):
                    waiting.remove(child)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"{waiting[0].name} did not start in {timeout} s:\n"
                                   f"{waiting[0].tail()}")
            if waiting:
                time.sleep(0.2)

    def alive(self) -> list[str]:
        return [c.name for c in self.children if c.process.poll() is None]

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to every child (a worker finishes its task first), SIGKILL after
        ``timeout`` seconds; waits for all."""
        for child in self.children:
            if child.process.poll() is None:
                _signal(child.process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(child.process, signal.SIGKILL)
                child.process.wait()


def _signal(process: subprocess.Popen, sig: int) -> None:
    # The child leads a process group of its own (start_new_session): that group only.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/v1/openapi.json")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
