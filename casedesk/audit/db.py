"""The audit table is append-only in PostgreSQL itself, not only in the ORM.

Two layers, installed by migration ``0004_append_only`` (PostgreSQL only):

- **Triggers** on ``audit_auditentry``: a row trigger that raises on every UPDATE and
  DELETE, and a statement trigger that raises on TRUNCATE unless the session has set
  ``casedesk.audit_maintenance = 'on'``. The switch exists for one purpose: wiping a
  whole database (the test suite's flush between transactional tests sets it on its
  connections, ``config/settings.py``; by hand, ``SET casedesk.audit_maintenance = on``
  before ``manage.py flush`` on a staging copy). It never allows UPDATE or DELETE. Any
  role may set a custom setting, so the switch is a guard against accidents, not a
  permission: the permission is the grant below.
- **Grants** for the application's database role, named by ``CASEDESK_DB_APP_ROLE``:
  ``app_role_restrict`` grants it SELECT and INSERT on the table and revokes UPDATE,
  DELETE, TRUNCATE, REFERENCES and TRIGGER. The role must not own the table (the owner
  can drop triggers and grant itself anything): run migrations as another role. It runs
  after every ``manage.py migrate`` (``apps.AuditConfig``), so a DBA's later
  ``GRANT ALL ON ALL TABLES`` is undone by the next migrate.

A superuser, or the table's owner, can still change the table (``ALTER TABLE … DISABLE
TRIGGER``, ``session_replication_role``): what catches that is the keyed hash
(``keys.py``) and the checkpoints kept outside the database (``checkpoints.py``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

TABLE = "audit_auditentry"
MAINTENANCE_SETTING = "casedesk.audit_maintenance"

INSTALL = f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE};
CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE};
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""

UNINSTALL = f"""
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE};
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def append_only_install(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(INSTALL)


def append_only_uninstall(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(UNINSTALL)


def app_role_restrict(connection, role: str) -> bool:
    """Let ``role`` read and append to the audit table and nothing else; False (and a
    warning) when the role does not exist or the database is not PostgreSQL."""
    if connection.vendor != "postgresql" or not role:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            logger.warning("CASEDESK_DB_APP_ROLE names no existing role; audit grants "
                           "not applied")
            return False
        quoted = connection.ops.quote_name(role)
        cursor.execute(f"GRANT SELECT, INSERT ON {TABLE} TO {quoted}")
        cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {TABLE} "
                       f"FROM {quoted}")
    return True


def app_role_restrict_configured(using: str = "default") -> bool:
    """``app_role_restrict`` for the role named by ``CASEDESK_DB_APP_ROLE``, if any."""
    role = settings.CASEDESK_DB_APP_ROLE
    if not role:
        return False
    return app_role_restrict(connections[using], role)
