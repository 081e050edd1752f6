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
import shutil
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

    def loop_worker(self, name: str, *, tasks: bool = True) -> Child:
        """``manage.py worker`` (the outbox loop, which runs and restarts a db_worker)."""
        return self._start(name, ["worker", "--name", name, *([] if tasks else ["--no-tasks"])])

    def kill(self, child: Child) -> None:
        """SIGKILL to ``child`` and its own children (its process group), as a crash."""
        _signal(child.process, signal.SIGKILL)
        child.process.wait()

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


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary folder, on a free port: one
    that a test may kill (SIGKILL to the postmaster and every backend) and start again
    without touching the shared server the other tests use. As root the server runs as
    the ``postgres`` user. ``available()`` says why it cannot be had.

    ``load(name, source_url)`` creates a database and copies ``source_url``'s schema and
    rows into it (pg_dump | psql): the migrated test database, with its reference data,
    in a second or two instead of running every migration again."""

    def __init__(self) -> None:
        import glob
        import tempfile

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        self.bin = Path(found[-1]).parent if found else None
        self.folder = Path(tempfile.mkdtemp(prefix="casedesk-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.as_postgres = os.geteuid() == 0

    def available(self) -> str:
        """Empty when a cluster can be started here, else the reason it cannot."""
        if self.bin is None:
            return "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
        if self.as_postgres:
            import pwd

            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no postgres user to run the server"
        return ""

    def _user(self) -> dict:
        # The server is our own child (not runuser's), so that we reap it when it is
        # killed: a container's first process may never reap an orphan, and the zombie's
        # pid in postmaster.pid would stop the next start.
        return {"user": "postgres", "group": "postgres"} if self.as_postgres else {}

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), check=True, capture_output=True,  # noqa: S603
                              cwd=self.folder, **self._user(), **kwargs)

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")

    def start(self, timeout: float = 30) -> None:
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - the server binary, fixed arguments
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1",
             "-c", "fsync=off", "-c", "max_connections=60"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.folder, **self._user())
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            ready = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1",  # noqa: S603
                                    "-p", str(self.port), "-U", "postgres"],
                                   capture_output=True)
            if ready.returncode == 0:
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start:\n" + (
                    self.folder / "server.log").read_text(errors="replace")[-2000:])
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the postmaster and all its backends at once, as a crash."""
        if self.process is not None and self.process.poll() is None:
            _signal(self.process, signal.SIGKILL)
            self.process.wait()  # reaped: its pid in postmaster.pid is free again

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def load(self, name: str, source_url: str) -> None:
        psql = str(self.bin / "psql")
        subprocess.run([psql, "-q", "-d", self.url("postgres"), "-c",  # noqa: S603
                        f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
        dump = subprocess.run([str(self.bin / "pg_dump"), "--no-owner",  # noqa: S603
                               "--no-privileges", "-d", source_url],
                              check=True, capture_output=True)
        subprocess.run([psql, "-q", "-d", self.url(name)], input=dump.stdout,  # noqa: S603
                       check=True, capture_output=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _signal(self.process, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
