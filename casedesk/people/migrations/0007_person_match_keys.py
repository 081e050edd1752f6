"""``Person.match_keys``: keyed hashes of the pairs the duplicate check looks a person up
by (two name words, a name word with the birth date or the unit; the phone, the email),
with a GIN index over its words on PostgreSQL. Filled for existing rows by
``manage.py person_search_rebuild``; until then the check finds no one among them."""

import casedesk.core.fields
from django.db import migrations

INDEX = "person_match_keys"
EXPRESSION = "(COALESCE(match_keys, ''))::tsvector"  # people.models.PERSON_MATCH_EXPRESSION


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
        ('people', '0006_person_typo_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='match_keys',
            field=casedesk.core.fields.PersonMatchKeysField(blank=True, default='', editable=False, sources=('full_name', 'birth_date', 'unit', 'phone', 'email')),
            preserve_default=False,
        ),
        migrations.RunPython(index_create, index_drop),
    ]
