"""Analytics read from the replica (docs/deployment.md, "A streaming replica"): with a
``replica`` database and CASEDESK_STATS_DATABASE naming it, the dashboard, the public
statistics page and the annual report read every statistics row, the refresh stamp of
their cache key included, through that connection and none through the primary's; and
CASEDESK_REPLICA_URL is what makes the alias.

The replica here is the test database reached as a role whose transactions are read-only,
as a hot standby's are: every read it serves works there, and a write is refused. The
data is committed (``transactional_db``) so that the second connection sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.intake.services import PersonData
from casedesk.stats.models import MonthlyFigures

ROLE = "casedesk_replica_reader"
REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="a replica is PostgreSQL's")


@pytest.fixture
def replica(transactional_db, settings):
    """A ``replica`` connection to the test database as a read-only role, and the
    statistics pointed at it; removed afterwards."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("making the read-only role needs a superuser")
        # The role is the cluster's, shared by parallel test processes: one at a time.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [ROLE])
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {ROLE} LOGIN")
        cursor.execute(f"ALTER ROLE {ROLE} SET default_transaction_read_only = on")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE}")
    # Made here rather than in DATABASES (settings are read once per test run): a
    # connection object of its own, as the "replica" alias.
    replica_settings = {**connections["default"].settings_dict, "USER": ROLE, "PASSWORD": "",
                        "CONN_MAX_AGE": 0}
    replica = load_backend(replica_settings["ENGINE"]).DatabaseWrapper(replica_settings,
                                                                       "replica")
    connections["replica"] = replica
    settings.CASEDESK_STATS_DATABASE = "replica"
    try:
        yield replica
    finally:
        replica.close()
        del connections["replica"]


@pytest.fixture
def figures(register, staff):
    now = timezone.now()
    for i in range(6):
        register(at=now - timezone.timedelta(days=2 * i),
                 service_member=PersonData(full_name=f"Сидоров {i}", service_type="mobilized"))
    call_command("stats_refresh", verbosity=0)  # on the primary: it writes


def stats_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if "stats_" in q["sql"] or "accounts_office" in q["sql"]]


def test_the_replica_refuses_writes(replica):
    with replica.cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        assert cursor.fetchone()[0] == "on"
    with pytest.raises(DatabaseError):
        MonthlyFigures.objects.using("replica").update(received=1)


def test_the_pages_read_the_figures_from_the_replica(replica, figures, client, staff):
    client.force_login(staff[Role.SUPERVISOR])
    pages = []
    with translation.override("en"):
        pages += [reverse("stats:dashboard"), reverse("stats:public")]
    for page in pages:
        with CaptureQueriesContext(connection) as primary, \
                CaptureQueriesContext(replica) as read:
            response = client.get(page)
        assert response.status_code == 200, page
        assert stats_queries(read), page  # the figures and the refresh stamp
        assert not [sql for sql in primary.captured_queries if "stats_" in sql["sql"]], page
        assert b"<table" in response.content


def test_the_annual_report_reads_the_replica(replica, figures, tmp_path):
    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(replica) as read:
        call_command("annual_report", "--year", str(timezone.localdate().year),
                     "--office", "MSK", "--output", str(tmp_path))
    assert stats_queries(read)
    assert not [q for q in primary.captured_queries if "stats_" in q["sql"]]
    assert list(tmp_path.glob("*.csv"))


@pytest.mark.parametrize(("url", "alias"), [("", "default"),
                                            ("postgres://reader@replica.example/casedesk",
                                             "replica")])
def test_casedesk_replica_url_makes_the_alias(url, alias):
    env = {k: v for k, v in os.environ.items() if k not in ("CASEDESK_REPLICA_URL",
                                                              "CASEDESK_STATS_DATABASE")}
    env.update({"DJANGO_SETTINGS_MODULE": "casedesk.config.settings",
                "DATABASE_URL": "postgres://app@primary.example/casedesk"})
    if url:
        env["CASEDESK_REPLICA_URL"] = url
    code = ("import json; from django.conf import settings as s; d = s.DATABASES; "
            "print(json.dumps([s.CASEDESK_STATS_DATABASE, sorted(d), "
            "d.get('replica', {}).get('HOST'), d.get('replica', {}).get('TEST')]))")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,  # noqa: S603
                          capture_output=True, text=True, check=True)
    stats_db, aliases, host, test = json.loads(done.stdout)
    assert stats_db == alias
    if url:
        assert aliases == ["default", "keys", "replica"]
        assert host == "replica.example" and test == {"MIRROR": "default"}
    else:
        assert aliases == ["default", "keys"]
