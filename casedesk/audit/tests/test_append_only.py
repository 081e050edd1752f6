"""Issue 15, finding 8a: the audit table is append-only in PostgreSQL itself.

Before: ``UPDATE``, ``DELETE`` and ``TRUNCATE`` of ``audit_auditentry`` simply worked for
the application's role. Now triggers refuse them (TRUNCATE only with the maintenance
switch, which the test connections set for the flush between transactional tests), and
the application's role keeps only SELECT and INSERT.
"""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from casedesk.audit import receivers
from casedesk.audit.db import TABLE, app_role_restrict
from casedesk.audit.models import AuditEntry
from casedesk.audit.selectors import verify_chain
from casedesk.audit.services import audit_record

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers and roles"),
]


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def entries():
    return [audit_record(action="case.read", object_type="case", object_id=str(n))
            for n in range(1, 4)]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET action = 'login' WHERE seq = 2",
    "UPDATE audit_auditentry SET hash = hash",  # even a change to nothing
    "DELETE FROM audit_auditentry WHERE seq = 3",
    "DELETE FROM audit_auditentry",
])
def test_update_and_delete_are_refused(entries, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(statement)
    assert verify_chain()[0]
    assert AuditEntry.objects.count() == 3


def test_the_orm_cannot_update_or_delete_either(entries):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()
    assert AuditEntry.objects.count() == 3


def test_truncate_is_refused_without_the_maintenance_switch(entries):
    # The test connections switch maintenance on for the suite's flush: switch it off, as
    # every production connection is.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("SET LOCAL casedesk.audit_maintenance = 'off'")
        sql(f"TRUNCATE {TABLE}")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("SET LOCAL casedesk.audit_maintenance = ''")
        sql(f"TRUNCATE {TABLE} CASCADE")
    assert AuditEntry.objects.count() == 3


def test_the_maintenance_switch_allows_truncate_only(entries):
    with transaction.atomic():
        sql("SET LOCAL casedesk.audit_maintenance = 'on'")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql("DELETE FROM audit_auditentry")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql("UPDATE audit_auditentry SET ip = '10.0.0.9'")
        with transaction.atomic():
            sql(f"TRUNCATE {TABLE}")
            assert AuditEntry.objects.count() == 0
            transaction.set_rollback(True)
    assert AuditEntry.objects.count() == 3


@pytest.fixture
def app_role():
    """A role like the application's: not a superuser, not the owner, granted everything on
    every table by a well-meaning DBA. CREATE ROLE is transactional: the test's rollback
    removes it."""
    role = f"casedesk_app_{uuid.uuid4().hex[:8]}"
    sql(f"CREATE ROLE {role} NOSUPERUSER NOCREATEROLE NOLOGIN")
    sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    assert sql("SELECT has_table_privilege(%s, %s, 'UPDATE')", [role, TABLE]) == [(True,)]
    return role


def privileges(role):
    return {p: sql("SELECT has_table_privilege(%s, %s, %s)", [role, TABLE, p])[0][0]
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")}


def test_the_app_role_may_only_read_and_append(app_role):
    assert app_role_restrict(connection, app_role)
    assert privileges(app_role) == {"SELECT": True, "INSERT": True, "UPDATE": False,
                                    "DELETE": False, "TRUNCATE": False, "TRIGGER": False}
    # and PostgreSQL holds it to that, whatever the switch says
    audit_record(action="case.read")
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        sql(f"SET LOCAL ROLE {app_role}")
        sql("SET LOCAL casedesk.audit_maintenance = 'on'")
        sql(f"TRUNCATE {TABLE}")
    with transaction.atomic():
        sql(f"SET LOCAL ROLE {app_role}")
        assert sql(f"SELECT count(*) FROM {TABLE}") == [(1,)]  # noqa: S608 - a constant


def test_every_migrate_takes_update_and_delete_back(app_role, settings):
    """post_migrate applies the grants for CASEDESK_DB_APP_ROLE; an unknown role is no
    error (the setting may name a role of another environment)."""
    settings.CASEDESK_DB_APP_ROLE = app_role
    receivers.on_post_migrate(sender=None, using="default")
    assert privileges(app_role)["UPDATE"] is False
    assert privileges(app_role)["INSERT"] is True
    settings.CASEDESK_DB_APP_ROLE = "no_such_role_here"
    receivers.on_post_migrate(sender=None, using="default")
    assert not app_role_restrict(connection, "no_such_role_here")
