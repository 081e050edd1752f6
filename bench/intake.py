"""Web intake throughput: appeals per second end to end through the public API.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_bench \\
        .venv/bin/python bench/intake.py [--clients 32] [--seconds 20]

Creates (or reuses) the database named by BENCH_DATABASE_URL and its key store
(``<name>_keys``), migrates both and makes sure its own office (INT) takes public appeals
(the appeals of the run are deleted from it afterwards, so that runs do not pile up); then
starts the app under gunicorn on loopback (BENCH_INTAKE_WORKERS gthread workers, by
default one per CPU, of BENCH_INTAKE_THREADS threads, by default 64, as docs/deployment.md
advises: appeals arriving together are written together, see casedesk.intake.batching;
DEBUG off; rate limits raised so that they count but never refuse) and lets
BENCH_INTAKE_CLIENTS concurrent clients POST valid, varied appeals to
``/api/v1/public/appeals``, each with a new idempotency key, for BENCH_INTAKE_SECONDS.
Every request takes the whole path: parsing, rate limit, people and texts encrypted with
new data keys (key store inserts), search tokens and blind indexes, case number,
deadlines, audit chain entry, access code and the acknowledgement email task.

The load generator (BENCH_INTAKE_CLIENT=wrk|aiohttp; by default wrk when it is on PATH,
Debian package ``wrk``, which .ci/run installs):

- wrk: the C load generator in a child process, two threads, one connection a client
  (``wrk -t2 -c<clients> -d<seconds>s --timeout 60s``; whole seconds). It cycles through
  BENCH_INTAKE_WRK_BODIES (4000) bodies made beforehand by ``Appeals`` and handed over in
  a file; a generated Lua script gives every request its own Idempotency-Key (run nonce,
  thread, counter), counts the answers by status and prints one JSON line at the end.
  It costs about a quarter of the CPU per request of the aiohttp one, which matters on a
  small machine the server shares. Its CPU time is the wrk process's.
- aiohttp: an asyncio load generator in this process (the fallback); its CPU time is this
  process's.

A success is a 201 with a case number; everything else is an error, counted by status (or
by exception, or by wrk's socket errors: "socket connect|read|write|timeout"). Latency
percentiles are over every answered request. Afterwards the new API appeals in the
database must match the successes ("verified"). The aiohttp generator waits for every
request it started, so they must be equal. wrk abandons the requests still under way
when its time is up, at most one per connection, and the server may still store them:
once the count has stopped changing (waited for up to 10 s) it must be between the
successes and the successes plus the clients. The server, the load generator and
PostgreSQL share the machine: the summary gives its CPU count and where the CPU time went.

``run(clients, seconds)`` returns {"clients", "seconds", "appeals", "appeals_per_s",
"errors", "p50_ms", "p95_ms"} (plus details, among them "load_generator") for the bench
orchestrator; "seconds" is the time measured and appeals_per_s is over that time. With
aiohttp it runs from the start to the last answer (requests under way at the end of the
requested time are waited for and counted); with wrk it is wrk's own duration (abandoned
requests are not counted).

BENCH_REDIS_URL (optional) counts the rate limits in Redis, as production does; without
it each worker counts in its own memory. ``--profile FILE`` records one server worker with
py-spy during the run (``py-spy`` must be installed and allowed to ptrace).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from common import cpu_seconds, databases_ensure, machine, office_cases_remove

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgres://postgres@127.0.0.1:5432/casedesk_bench")
CLIENTS = int(os.environ.get("BENCH_INTAKE_CLIENTS", "128"))
SECONDS = float(os.environ.get("BENCH_INTAKE_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_INTAKE_WORKERS", str(os.cpu_count() or 1)))
THREADS = int(os.environ.get("BENCH_INTAKE_THREADS", "64"))
WARMUP_SECONDS = 1.5
# wrk cycles through this many pre-generated bodies (each request has its own key).
WRK_BODIES = int(os.environ.get("BENCH_INTAKE_WRK_BODIES", "4000"))
PATH = "/api/v1/public/appeals"
# Its own office, emptied after each run (``--remove``): the appeals of repeated runs
# do not pile up in the offices whose pages bench/pages.py measures.
OFFICE = "INT"
# Counted like any limit, never reached by the benchmark.
UNLIMITED = "100000000/h"


# --- the databases ----------------------------------------------------------------------


def prepare() -> None:
    """Migrate both databases and make sure an active office takes public appeals (runs in
    its own process: ``bench/intake.py --prepare``)."""
    import django

    django.setup()
    from django.core.management import call_command

    from casedesk.accounts.models import Office

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database="keys")
    from casedesk.core.models import Region

    Office.objects.get_or_create(
        code=OFFICE, defaults={"name_ru": "Приём (бенчмарк)", "name_en": "Intake (benchmark)",
                               "region": Region.objects.filter(code="RU-MOW").first()})


def remove() -> dict:
    """Delete what the runs wrote into the bench's office (``bench/intake.py --remove``,
    after each run)."""
    import django

    django.setup()
    from casedesk.accounts.models import Office

    office = Office.objects.filter(code=OFFICE).first()
    return office_cases_remove(office) if office else {}


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench databases (the app's persistent
    connections), when the server runs on this machine: their CPU time is the database's
    share of the work."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname IN (%s, %s) "
                            "AND pid <> pg_backend_pid()", [name, f"{name}_keys"]).fetchall()
    return [pid for (pid,) in rows if Path(f"/proc/{pid}/stat").exists()]


def api_appeal_count(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM cases_appeal WHERE channel = 'api'"
                            ).fetchone()[0]


# --- the server -------------------------------------------------------------------------


def server_env(url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE":
           "casedesk.config.settings", "DJANGO_DEBUG": "0",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "CASEDESK_PUBLIC_OFFICE": OFFICE,
           "CASEDESK_RATE_SUBMIT": UNLIMITED, "CASEDESK_RATE_STATUS": UNLIMITED,
           "CASEDESK_LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_ENV", None)
    env.pop("CASEDESK_KEYSTORE_URL", None)  # the key store beside the bench database
    if os.environ.get("BENCH_REDIS_URL"):
        env["CASEDESK_REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    # The settings docs/deployment.md gives (BENCH_GUNICORN_CONFIG= to leave them out).
    config = os.environ.get("BENCH_GUNICORN_CONFIG", "python:casedesk.config.gunicorn")
    command = [sys.executable, "-m", "gunicorn", "casedesk.config.wsgi:application",
               *(["--config", config] if config else []),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(THREADS),
               "--backlog", "2048", "--timeout", "60",
               # gunicorn's advice: worker heartbeats in memory, not on a slow disk
               "--graceful-timeout", "5", "--worker-tmp-dir", "/dev/shm",  # noqa: S108
               "--log-level", "warning", "--error-logfile", str(log)]
    return subprocess.Popen(command, cwd=ROOT, env=server_env(url),  # noqa: S603 - our argv
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def server_wait(server: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json",
                                        timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout:.0f} s:\n{log.read_text()}")


def server_stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # the master stops its workers
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: only what we started
        server.wait()


def worker_pids(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [int(pid) for pid in path.read_text().split()]
    except OSError:
        return []


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / tick, sum(values) / tick


# --- the appeals ------------------------------------------------------------------------


def _regions() -> list[str]:
    with (ROOT / "casedesk" / "core" / "data" / "regions.csv").open(encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(f)]


class Appeals:
    """Valid, varied appeal bodies (JSON bytes) from the demo texts."""

    RELATIONS = ["self", "mother", "father", "wife", "husband", "sibling", "child",
                 "other_relative", "lawyer", "other"]
    SERVICE_TYPES = ["mobilized", "contract", "conscript", "volunteer"]

    def __init__(self, seed: int) -> None:
        sys.path.insert(0, str(ROOT))
        from casedesk.demo import texts

        self.texts = texts
        self.random = random.Random(seed)
        self.regions = _regions()

    def _name(self, female: bool) -> str:
        t, r = self.texts, self.random
        surname = r.choice(t.SURNAMES_M)
        if female:
            return f"{surname}а {r.choice(t.FIRST_F)} {r.choice(t.PATRONYMIC_F)}"
        return f"{surname} {r.choice(t.FIRST_M)} {r.choice(t.PATRONYMIC_M)}"

    def body(self) -> bytes:
        t, r = self.texts, self.random
        language = "en" if r.random() < 0.2 else "ru"
        index = 1 if language == "en" else 0
        category = r.choice(list(t.SITUATIONS))
        unit = str(r.randint(10000, 99999))
        day = dt.date(2025, 1, 1) + dt.timedelta(days=r.randint(0, 400))
        text = t.SITUATIONS[category][index].format(unit=unit, date=day.isoformat(),
                                                    place=r.choice(t.PLACES))
        relation = r.choice(self.RELATIONS)
        member_name = self._name(female=False)
        applicant_name = member_name if relation == "self" else self._name(
            female=relation in ("mother", "wife") or r.random() < 0.3)
        latin = applicant_name.translate(t.LATIN).split()
        body = {
            "applicant": {
                "name": applicant_name, "relation": relation,
                "email": f"{latin[1].lower()}.{latin[0].lower()}{r.randint(1, 999)}"
                         "@example.org",
                "phone": f"+7 9{r.randint(0, 99):02d} {r.randint(0, 999):03d}-"
                         f"{r.randint(0, 99):02d}-{r.randint(0, 99):02d}",
                "postal_address": f"{r.choice(t.PLACES)}, ул. Примерная, "
                                  f"{r.randint(1, 200)}, кв. {r.randint(1, 300)}",
            },
            "service_member": {
                "birth_date": (dt.date(1965, 1, 1) + dt.timedelta(
                    days=r.randint(0, 14000))).isoformat(),
                "unit": unit, "region": r.choice(self.regions),
                "service_type": r.choice(self.SERVICE_TYPES),
            },
            "text": text,
            "request": r.choice(t.REQUESTS[index]),
            "category": category,
            "language": language,
            "consent": True,
        }
        if relation != "self":
            body["service_member"]["name"] = member_name
        return json.dumps(body, ensure_ascii=False).encode()


# --- the load generator -----------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.successes = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.latencies: list[float] = []
        self.last_done = 0.0
        # Set when the run is over (by either load generator).
        self.elapsed = 0.0
        self.p50_ms = 0.0
        self.p95_ms = 0.0
        self.cpu = 0.0  # CPU seconds of the load generator
        self.abandoned_max = 0  # requests possibly stored but never answered


async def _client(session, url: str, appeals: Appeals, until: float, tally: Tally) -> None:
    import aiohttp

    while time.perf_counter() < until:
        headers = {"Content-Type": "application/json", "Accept-Language": "ru",
                   "Idempotency-Key": str(uuid.uuid4())}
        body = appeals.body()
        started = time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers) as response:
                content = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            tally.errors[type(exc).__name__] += 1
            tally.last_done = time.perf_counter()
            continue
        done = time.perf_counter()
        tally.latencies.append((done - started) * 1000)
        tally.last_done = done
        if status == 201 and b'"case_number"' in content:
            tally.successes += 1
        else:
            tally.errors[str(status)] += 1


async def _load(port: int, clients: int, seconds: float, appeals: Appeals) -> tuple[Tally,
                                                                                  float]:
    import aiohttp

    url = f"http://127.0.0.1:{port}{PATH}"
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        tally = Tally()
        await asyncio.gather(*(_client(session, url, appeals, started + seconds, tally)
                               for _ in range(clients)))
        return tally, started


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def load_aiohttp(port: int, clients: int, seconds: float, appeals: Appeals) -> Tally:
    """The asyncio load generator in this process (CPU: this process's time)."""
    own0 = time.process_time()
    tally, started = asyncio.run(_load(port, clients, seconds, appeals))
    tally.cpu = time.process_time() - own0
    tally.elapsed = tally.last_done - started
    tally.p50_ms = statistics.median(tally.latencies) if tally.latencies else 0.0
    tally.p95_ms = _percentile(tally.latencies, 0.95)
    return tally


# wrk (https://github.com/wg/wrk) in a child process. Every thread has its own Lua state:
# ``setup`` numbers the threads (thread:set) and keeps them for ``done``; ``init`` reads the
# bodies (one JSON document a line) and the run's nonce from the arguments after ``--``;
# ``response`` counts per status; ``done`` sums the threads (thread:get) and prints one
# JSON line. Latencies are wrk's, in microseconds.
WRK_SCRIPT = r"""-- generated by bench/intake.py
local threads = {}
local bodies, count, nonce, path = {}, 0, "", "/"
tid = 0
successes = 0
statuses = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  for line in file:lines() do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  file:close()
  nonce, path = args[2], args[3]
end

function request()
  count = count + 1
  local body = bodies[(tid * 997 + count) % #bodies + 1]
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Accept-Language"] = "ru",
    ["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. count,
  }, body)
end

function response(status, headers, body)
  if status == 201 and string.find(body, '"case_number"', 1, true) then
    successes = successes + 1
  else
    local key = tostring(status)
    if status == 201 then key = "201 without case_number" end
    statuses[key] = (statuses[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local ok, errors = 0, {}
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("successes")
    for key, n in pairs(thread:get("statuses")) do errors[key] = (errors[key] or 0) + n end
  end
  local parts = {}
  for key, n in pairs(errors) do parts[#parts + 1] = string.format('"%s": %d', key, n) end
  local e = summary.errors
  io.write(string.format(
    '{"wrk": 1, "successes": %d, "errors_by_status": {%s}, "socket_errors": ' ..
    '{"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"requests": %d, "duration_s": %.6f, "p50_ms": %.3f, "p95_ms": %.3f}\n',
    ok, table.concat(parts, ", "), e.connect, e.read, e.write, e.timeout, e.status,
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def wrk_prepare(directory: Path, appeals: Appeals, count: int = WRK_BODIES) -> tuple[Path,
                                                                                      Path]:
    """Write the Lua script and ``count`` bodies (one a line: JSON escapes every newline)
    into ``directory``; returns (script, bodies)."""
    lines = []
    for _ in range(count):
        body = appeals.body()
        if b"\n" in body or b"\r" in body:
            raise ValueError("an appeal body spans lines")
        lines.append(body)
    bodies = directory / "bodies.jsonl"
    bodies.write_bytes(b"\n".join(lines) + b"\n")
    script = directory / "intake.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    return script, bodies


def load_wrk(port: int, clients: int, seconds: float, files: tuple[Path, Path]) -> Tally:
    """wrk with ``clients`` connections on two threads for ``seconds`` (whole seconds, at
    least one). Requests still under way when the time is up are abandoned (at most one a
    connection): ``abandoned_max``. CPU: the wrk child's (getrusage of reaped children)."""
    script, bodies = files
    duration = max(1, round(seconds))
    command = ["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{duration}s",
               "--timeout", "60s", "-s", str(script), f"http://127.0.0.1:{port}",
               "--", str(bodies), uuid.uuid4().hex, PATH]
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True,  # noqa: S603 - our argv
                          timeout=duration + 120, check=False)
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = None
    for line in done.stdout.splitlines():
        if line.startswith('{"wrk": 1,'):
            summary = json.loads(line)
    if done.returncode or summary is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-2000:]}")
    tally = Tally()
    tally.successes = summary["successes"]
    tally.errors.update(summary["errors_by_status"])
    for kind, n in summary["socket_errors"].items():
        if n and kind != "status":  # "status" (>= 400) is counted by status already
            tally.errors[f"socket {kind}"] += n
    tally.elapsed = summary["duration_s"]
    tally.p50_ms, tally.p95_ms = summary["p50_ms"], summary["p95_ms"]
    tally.cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    tally.abandoned_max = clients
    return tally


def client_kind() -> str:
    """BENCH_INTAKE_CLIENT (wrk or aiohttp); by default wrk when it is on PATH."""
    forced = os.environ.get("BENCH_INTAKE_CLIENT", "").strip().lower()
    if forced not in ("", "wrk", "aiohttp"):
        raise ValueError(f"BENCH_INTAKE_CLIENT={forced!r}: wrk or aiohttp")
    if forced == "wrk" and not shutil.which("wrk"):
        raise RuntimeError("BENCH_INTAKE_CLIENT=wrk but wrk is not on PATH (apt-get install "
                           "wrk)")
    return forced or ("wrk" if shutil.which("wrk") else "aiohttp")


def settled_count(url: str, limit: float = 10.0, quiet: float = 1.0) -> int:
    """The API appeal count once it has not changed for ``quiet`` seconds (at most
    ``limit`` seconds): requests a load generator abandoned may still be stored."""
    deadline = time.monotonic() + limit
    count, since = api_appeal_count(url), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = api_appeal_count(url)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return count


# --- the run ----------------------------------------------------------------------------


def run(clients: int = CLIENTS, seconds: float = SECONDS, *, workers: int = WORKERS,
        profile: str | None = None, verbose: bool = True) -> dict:
    """Serve the app under gunicorn, load it with ``clients`` concurrent clients for
    ``seconds`` and return the figures (see the module docstring)."""
    databases_ensure(DB_URL)
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--prepare"],  # noqa: S603
                   cwd=ROOT,
                   env={**server_env(DB_URL), "PYTHONPATH": str(ROOT)}, check=True)
    appeals = Appeals(seed=int(time.time()))
    kind = client_kind()
    wrk_dir = tempfile.TemporaryDirectory(prefix="bench-intake-wrk-")
    wrk_files = wrk_prepare(Path(wrk_dir.name), appeals) if kind == "wrk" else None

    def load(load_clients: int, load_seconds: float) -> Tally:
        if wrk_files is not None:
            return load_wrk(port, load_clients, load_seconds, wrk_files)
        return load_aiohttp(port, load_clients, load_seconds, appeals)

    port = free_port()
    log = Path(tempfile.mkstemp(prefix="bench-intake-", suffix=".log")[1])
    server = server_start(DB_URL, port, workers, log)
    spy = None
    try:
        server_wait(server, port, log)
        # Warm-up: every worker loads the rulebook, URL resolvers, catalogues, connections.
        warm = load(min(clients, workers * 2), WARMUP_SECONDS)
        if warm.successes == 0:
            raise RuntimeError(f"no appeal got through the warm-up: {dict(warm.errors)}\n"
                               f"{log.read_text()[-3000:]}")
        # wrk abandons what is under way at its end: count once that is stored.
        before = settled_count(DB_URL) if warm.abandoned_max else api_appeal_count(DB_URL)
        workers_now = worker_pids(server.pid)
        if profile and workers_now:
            py_spy = Path(sys.executable).with_name("py-spy")
            spy_format = "speedscope" if profile.endswith(".json") else (
                "raw" if profile.endswith(".txt") else "flamegraph")
            spy = subprocess.Popen([str(py_spy) if py_spy.exists() else "py-spy",  # noqa: S603
                                    "record",
                                    "--pid", str(workers_now[0]),
                                    "--duration", str(int(seconds)), "--rate", "200",
                                    "--format", spy_format, "--output", profile,
                                    "--nonblocking", "--threads",
                                    *os.environ.get("BENCH_PROFILE_FLAGS", "").split()],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        backends = backend_pids(DB_URL)
        server_cpu0 = cpu_seconds(workers_now)
        db_cpu0 = cpu_seconds(backends)
        busy0, total0 = machine_busy()
        tally = load(clients, seconds)
        elapsed = tally.elapsed
        busy1, total1 = machine_busy()
        server_cpu = cpu_seconds(workers_now) - server_cpu0
        db_cpu = cpu_seconds(backends) - db_cpu0
        after = settled_count(DB_URL) if tally.abandoned_max else api_appeal_count(DB_URL)
        if spy is not None:
            _, spy_err = spy.communicate(timeout=60)
            if spy.returncode:
                print(f"py-spy failed: {spy_err.decode(errors='replace')[-500:]}",
                      file=sys.stderr)
    finally:
        if spy is not None and spy.poll() is None:
            spy.terminate()
        server_stop(server)
        wrk_dir.cleanup()
        # The run's appeals go (counted above): the next run starts from the same data.
        removal = subprocess.run(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve()), "--remove"], cwd=ROOT,
            env={**server_env(DB_URL), "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True)
        removed = (json.loads(removal.stdout.strip().splitlines()[-1])
                   if removal.returncode == 0 and removal.stdout.strip() else
                   {"failed": removal.stderr[-500:]})
    server_log = log.read_text(errors="replace")
    log.unlink(missing_ok=True)

    errors = sum(tally.errors.values())
    stored = after - before
    machine_cpu = busy1 - busy0
    result = {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "appeals": tally.successes,
        "appeals_per_s": round(tally.successes / elapsed, 1) if elapsed > 0 else 0.0,
        "errors": errors,
        "p50_ms": round(tally.p50_ms, 1),
        "p95_ms": round(tally.p95_ms, 1),
        "errors_by_status": dict(tally.errors),
        "stored": stored,
        "verified": tally.successes <= stored <= tally.successes + tally.abandoned_max,
        "load_generator": kind,
        "workers": workers,
        "threads": THREADS,
        "batch": int(server_env(DB_URL).get("CASEDESK_INTAKE_BATCH", "64")),
        # CPU milliseconds per appeal: the app workers, the PostgreSQL backends serving
        # them (when local), this load generator, and the whole machine (anything else
        # running on it is the difference).
        "cpu_ms_per_appeal": {
            "server": round(server_cpu * 1000 / max(1, tally.successes), 2),
            "postgres": round(db_cpu * 1000 / max(1, tally.successes), 2) if backends
            else None,
            "client": round(tally.cpu * 1000 / max(1, tally.successes), 2),
            "machine": round(machine_cpu * 1000 / max(1, tally.successes), 2),
        },
        "machine_busy": round(machine_cpu / max(1e-9, total1 - total0), 2),
        "redis": bool(os.environ.get("BENCH_REDIS_URL")),
        "removed": removed,
        "machine": machine(),
    }
    if verbose:
        _print(result, server_log)
    return result


def _print(r: dict, server_log: str) -> None:
    m = r["machine"]
    print(json.dumps({**m, "database": DB_URL.rsplit("/", 1)[1],
                      "date": time.strftime("%Y-%m-%d")}, ensure_ascii=False))
    print(f"gunicorn gthread workers: {r['workers']} x {r['threads']} threads   "
          f"clients: {r['clients']} ({r['load_generator']})   "
          f"rate limits in: {'redis' if r['redis'] else 'worker memory'}")
    print(f"appeals: {r['appeals']} in {r['seconds']} s = {r['appeals_per_s']} appeals/s   "
          f"errors: {r['errors']} {r['errors_by_status'] or ''}")
    print(f"latency p50 {r['p50_ms']} ms   p95 {r['p95_ms']} ms")
    cpu = r["cpu_ms_per_appeal"]
    print(f"CPU ms per appeal: server workers {cpu['server']}, postgres backends "
          f"{cpu['postgres']}, load generator {cpu['client']}, whole machine {cpu['machine']} "
          f"(machine busy {r['machine_busy']:.0%} of {m['cpus']} CPUs)")
    check = "ok" if r["verified"] else "MISMATCH"
    extra = (f" (up to {r['clients']} more allowed: requests wrk abandoned at its end)"
             if r["load_generator"] == "wrk" else "")
    print(f"database: {r['stored']} new API appeals for {r['appeals']} successes{extra}: "
          f"{check}")
    if server_log.strip():
        print("server log (tail):\n" + server_log[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--remove", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--profile", help="py-spy output of one server worker: .svg "
                        "(flame graph), .txt (collapsed stacks) or .json (speedscope)")
    args = parser.parse_args()
    if args.prepare:
        sys.path.insert(0, str(ROOT))
        prepare()
        return
    if args.remove:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(remove()))
        return
    result = run(args.clients, args.seconds, workers=args.workers, profile=args.profile)
    out = ROOT / "bench" / "intake-latest.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    if result["errors"] or not result["verified"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
