"""What every benchmark script shares: its databases and a description of the machine.
No side effects on import."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def databases_ensure(url: str) -> None:
    """Create the database of ``url`` and its key store ("<name>_keys") if missing."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for db in (name, f"{name}_keys"):  # the data and the key store
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                [db]).fetchone():
                conn.execute(f'CREATE DATABASE "{db}"')


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}
