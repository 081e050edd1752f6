"""The person search (issue 18): ``Person.search_keys``, keyed hashes of the normal forms
of a person's name, birth date, unit, phone and email, and on PostgreSQL a GIN index over
its words. Existing rows are filled by ``manage.py person_search_rebuild`` (their fields
are encrypted: a migration has no business decrypting every person)."""

import casedesk.core.fields
from django.db import migrations

INDEX = "person_search_keys"
# people.models.PERSON_SEARCH_EXPRESSION: the keys cast, not parsed (one lexeme each).
EXPRESSION = "(COALESCE(search_keys, ''))::tsvector"


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON people_person USING gin (({EXPRESSION}))")


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0003_lean_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='search_keys',
            field=casedesk.core.fields.PersonKeysField(blank=True, default='', editable=False, sources=('full_name', 'birth_date', 'unit', 'phone', 'email')),
            preserve_default=False,
        ),
        migrations.RunPython(index_create, index_drop),
    ]
