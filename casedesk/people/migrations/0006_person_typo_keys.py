"""``Person.typo_keys``: the keyed one-letter forms of the name's words (a misspelt name
is still found), apart from ``search_keys`` so that the case search rows that copy those
(cases.0017_case_people) stay small; a GIN index over its words on PostgreSQL. Filled for
existing rows by ``manage.py person_search_rebuild``."""

import casedesk.core.fields
from django.db import migrations

INDEX = "person_typo_keys"
EXPRESSION = "(COALESCE(typo_keys, ''))::tsvector"  # people.models.PERSON_TYPO_EXPRESSION


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
        ('people', '0005_person_merge_units'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='typo_keys',
            field=casedesk.core.fields.PersonTypoKeysField(blank=True, default='', editable=False, sources=('full_name',)),
            preserve_default=False,
        ),
        migrations.RunPython(index_create, index_drop),
    ]
