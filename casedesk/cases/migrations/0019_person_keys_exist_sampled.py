"""``people_search_keys_exist`` looks at a few hundred people in order before it asks the
GIN indexes.

cases.0018 made the test a lookup in the GIN indexes whatever the planner guesses, so that
a misspelt name no longer reads all two million people. But a bitmap lookup of a common
surname builds a bitmap of all its holders first: at 1M cases, 54,000 people and 15-25 ms,
for a name that the first few hundred people in the table very likely include (one person
in 70 is a Kuznetsov). So the function reads the first ``SAMPLE`` (300) people first
(about 1.5 ms, all of them at most) and goes to the indexes only if none of them matches:
a rare or misspelt name costs 1.5 ms more, a common one 15-25 ms less. JIT compilation is
off inside it: with sequential scans off, the first rows' scan is priced so high that
PostgreSQL would compile it (50 ms) to save microseconds. PostgreSQL only.
"""

from importlib import import_module

from django.db import migrations

SAMPLE = 300

FUNCTION = """
CREATE OR REPLACE FUNCTION people_search_keys_exist(search tsquery, typo tsquery)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET jit = off
AS $$
BEGIN
    IF typo IS NULL AND EXISTS (
            SELECT 1 FROM (SELECT search_keys FROM people_person LIMIT %(sample)s) AS first
            WHERE (COALESCE(first.search_keys, ''))::tsvector @@ search) THEN
        RETURN true;
    END IF;
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
""".replace("%(sample)s", str(SAMPLE))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            import_module("casedesk.cases.migrations.0018_person_keys_exist").FUNCTION)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0018_person_keys_exist'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
