"""``people_search_keys_exist(query)``: whether any person has keys matching a tsquery,
read from the GIN index of ``people_person.search_keys`` whatever the planner guesses.

The person search first asks whether anybody has the keys of a query
(``cases.search._person_groups``). Asked as ``EXISTS``/``LIMIT 1``, PostgreSQL reads the
people in order when it expects many matches, which is quick when there are and reads all
two million people (seconds at 1M cases) when the query names nobody: a misspelt name.
This function runs the same test with sequential scans off (a ``SET`` of the function's
own, undone when it returns), so it is always a lookup in the index that stops at the
first match. PostgreSQL only.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION people_search_keys_exist(query tsquery) RETURNS boolean
LANGUAGE sql STABLE
SET enable_seqscan = off
AS $$
    SELECT EXISTS (SELECT 1 FROM people_person
                   WHERE (COALESCE(search_keys, ''))::tsvector @@ query)
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS people_search_keys_exist(tsquery)")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_case_search_people'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
