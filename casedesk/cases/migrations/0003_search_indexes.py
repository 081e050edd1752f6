"""GIN indexes for the full-text search of casedesk.cases.search, on PostgreSQL only.

Each index expression must be exactly the expression that ``cases.search`` filters on
(``appeal_vector`` and ``note_vector``), or PostgreSQL will not use it. On SQLite, which
has no such search, this migration does nothing.
"""

from django.db import migrations

APPEAL = "to_tsvector('{config}'::regconfig, COALESCE(text, '') || ' ' || COALESCE(request, ''))"
NOTE = "to_tsvector('{config}'::regconfig, COALESCE(text, ''))"
INDEXES = [
    # name, table, expression
    ("cases_appeal_fts_russian", "cases_appeal", APPEAL.format(config="russian")),
    ("cases_casenote_fts_russian", "cases_casenote", NOTE.format(config="russian")),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0002_case_notes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
