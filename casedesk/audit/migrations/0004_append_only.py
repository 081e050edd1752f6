"""The audit table refuses UPDATE, DELETE and TRUNCATE (PostgreSQL; see audit/db.py), and
the application's role (CASEDESK_DB_APP_ROLE) may only read and append. SQLite, the
embedded development default, has no roles; nothing is installed there."""

from django.db import migrations

from casedesk.audit import db


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    db.append_only_install(connection)
    db.app_role_restrict_configured(connection.alias)


def uninstall(apps, schema_editor):
    db.append_only_uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_keyed_chain"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
