"""One search vector per case (``cases_casesearch``), kept by PostgreSQL triggers.

Full-text search (cases.search) used to test every case for an appeal or a note whose
``search_tokens`` hold the words: a common word made PostgreSQL visit ~100k appeals and
then test every case. Now each case with searchable texts has one row holding a
``tsvector`` of all the ``search_tokens`` of its appeals and notes, with a GIN index, so a
word is one index lookup that yields case ids.

The words of the n-th text of the case (appeals first, then notes, each by id) are at
position n, so that ``a <0> b`` ("a and b at the same position") means "a and b in one
text", as the search promises. A tsvector keeps at most 256 positions per word, so a case
with more than 256 texts is searched through its texts instead (``documents``, and a
partial index that finds those cases).

The row is rebuilt from the texts by statement-level triggers on insert, update and
delete of ``cases_appeal`` and ``cases_casenote``: every write path (services,
``bulk_create``, COPY imports, ``update()``, SQL copies) keeps it right. The trigger
locks the case rows first (``FOR NO KEY UPDATE``) and then reads the texts, so two
transactions adding texts to one case cannot overwrite each other's words.

The per-text GIN indexes of cases.0006 are no longer read and are dropped (the reverse
migration makes them again). PostgreSQL only: on SQLite the table is made and stays
empty, and the search reads the texts.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

# The rows of cases_casesearch for the cases chosen by {where} (a condition on case_id).
# Only texts with words count; regexp_replace puts each token at the text's position
# (tokens are "t" and hex digits: casedesk.core.tokens).
VECTORS = """
SELECT case_id,
       string_agg(regexp_replace(search_tokens, '(\\S+)', '\\1:' || n, 'g'), ' ')::tsvector
           AS vector,
       count(*) AS documents
FROM (
    SELECT case_id, search_tokens,
           row_number() OVER (PARTITION BY case_id ORDER BY kind, id) AS n
    FROM (
        SELECT 0 AS kind, id, case_id, search_tokens FROM cases_appeal
        WHERE search_tokens <> '' AND {where}
        UNION ALL
        SELECT 1 AS kind, id, case_id, search_tokens FROM cases_casenote
        WHERE search_tokens <> '' AND {where}
    ) AS texts
) AS numbered
GROUP BY case_id
"""

REFRESH = """
CREATE FUNCTION cases_casesearch_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT case_id) INTO ids FROM new_rows
        WHERE search_tokens <> '';
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT case_id) INTO ids FROM old_rows
        WHERE search_tokens <> '';
    ELSE
        SELECT array_agg(DISTINCT changed.case_id) INTO ids FROM (
            SELECT unnest(ARRAY[o.case_id, n.case_id]) AS case_id
            FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
            WHERE n.search_tokens IS DISTINCT FROM o.search_tokens
               OR n.case_id IS DISTINCT FROM o.case_id
        ) AS changed;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- One writer per case at a time; the statements below see what the others committed.
    PERFORM 1 FROM cases_case WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM cases_casesearch WHERE case_id = ANY(ids);
    INSERT INTO cases_casesearch (case_id, vector, documents)
    """ + VECTORS.format(where="case_id = ANY(ids)") + """;
    RETURN NULL;
END
$$
"""

# A tsvector keeps at most this many positions of one word (cases.search.POSITIONS).
POSITIONS = 256
TABLES = ("cases_appeal", "cases_casenote")
TRIGGERS = {
    "insert": "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
}
TEXT_INDEXES = {"cases_appeal_tokens": "cases_appeal", "cases_casenote_tokens": "cases_casenote"}
TEXT_EXPRESSION = "to_tsvector('simple'::regconfig, COALESCE(search_tokens, ''))"


def triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(REFRESH)
    for table in TABLES:
        for event, spec in TRIGGERS.items():
            execute(f"CREATE TRIGGER {table}_search_{event} {spec.format(table=table)} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION cases_casesearch_refresh()")
    # The triggers hold off other writers until this migration commits: the backfill
    # misses nothing.
    execute("INSERT INTO cases_casesearch (case_id, vector, documents) "
            + VECTORS.format(where="true"))
    execute("CREATE INDEX case_search_vector ON cases_casesearch USING gin (vector)")
    # The cases whose texts are searched instead (cases.search.POSITIONS): usually none.
    execute("CREATE INDEX case_search_large ON cases_casesearch (case_id) "
            f"WHERE documents > {POSITIONS}")
    for name in TEXT_INDEXES:
        execute(f"DROP INDEX IF EXISTS {name}")
    execute("ANALYZE cases_casesearch")


def triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for name, table in TEXT_INDEXES.items():
        execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({TEXT_EXPRESSION})")
    for table in TABLES:
        for event in TRIGGERS:
            execute(f"DROP TRIGGER IF EXISTS {table}_search_{event} ON {table}")
    execute("DROP FUNCTION IF EXISTS cases_casesearch_refresh()")
    execute("DROP INDEX IF EXISTS case_search_large")
    execute("DROP INDEX IF EXISTS case_search_vector")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_encrypted_texts'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseSearch',
            fields=[
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='cases.case')),
                ('vector', django.contrib.postgres.search.SearchVectorField()),
                ('documents', models.IntegerField()),
            ],
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
