"""``people_search_keys_exist(search, typo)``: whether any person has keys matching the
tsquery ``search`` (in ``search_keys``) and ``typo`` (in ``typo_keys``; either may be
NULL), read from the GIN indexes whatever the planner guesses.

The person search first asks whether anybody has the keys of a query
(``cases.search._person_groups``). Asked as ``EXISTS``/``LIMIT 1``, PostgreSQL reads the
people in order when it expects many matches, which is quick when there are and reads all
two million people (seconds at 1M cases) when the query names nobody: a misspelt name.
This function runs the same test with sequential scans off (a ``SET`` of the function's
own, undone when it returns), so it is always a lookup in an index that stops at the
first match. PostgreSQL only.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION people_search_keys_exist(search tsquery, typo tsquery)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
AS $$
BEGIN
    IF typo IS NULL THEN
        RETURN EXISTS (SELECT 1 FROM people_person
                       WHERE (COALESCE(search_keys, ''))::tsvector @@ search);
    ELSIF search IS NULL THEN
        RETURN EXISTS (SELECT 1 FROM people_person
                       WHERE (COALESCE(typo_keys, ''))::tsvector @@ typo);
    END IF;
    RETURN EXISTS (SELECT 1 FROM people_person
                   WHERE (COALESCE(search_keys, ''))::tsvector @@ search
                     AND (COALESCE(typo_keys, ''))::tsvector @@ typo);
END
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS people_search_keys_exist(tsquery, tsquery)")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_case_people'),
        ('people', '0006_person_typo_keys'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
