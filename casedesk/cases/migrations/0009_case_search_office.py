"""The case search rows carry the case's office and are stored narrow, by office.

A search count (the staff queue's "N cases") counts every matching case of the actor's
offices. With one ~400-byte row per case the matching rows of one office were spread over
the whole table (~50k pages at 1M cases, beyond shared_buffers), and the office of each
match had to be read from ``cases_case``. Now:

- ``office_id`` is on the row: written by the refresh trigger from ``cases_case`` and kept
  by a trigger on ``cases_case`` when a case moves to another office, so the search can
  limit the rows to the actor's offices itself (``cases.search``).
- The table is partitioned by ``HASH (office_id)`` (``PARTITIONS`` parts): the rows of an
  office are in one part, and a search limited to offices reads only their parts.
- The vector is stored out of line (``STORAGE EXTERNAL``, ``toast_tuple_target = 128``).
  PostgreSQL only moves values to TOAST when a row is longer than ~2 kB
  (``TOAST_TUPLE_THRESHOLD``, fixed at build time; ``toast_tuple_target`` only sets how far
  it then shrinks the row), and a case vector is ~400 bytes. So each row carries
  ``toast_pad``, 2,100 equal characters by default that compress to ~35 bytes: every row
  is then long enough to be toasted, the pad is compressed and the vector moved out of
  line, and the heap row is ~100 bytes (~75 per page instead of ~20). A GIN match for
  words without positions (``a & b``) needs no recheck, so counting does not read the
  vectors; the ``<0>`` test of a multi-word query reads them for the cases having every
  word only. Not in the model: nothing but this column's default writes it.

The table is rebuilt (a new partitioned table, the rows copied with their office, the old
one dropped), so every row is written once in the new layout. PostgreSQL only; on SQLite
the column is added to the empty table.
"""

import django.db.models.deletion
from django.db import migrations, models

PARTITIONS = 8
# A tsvector keeps at most this many positions of one word (cases.search.POSITIONS).
POSITIONS = 256
FK = "cases_casesearch_case_id_8c3ed311_fk_cases_case_id"
PAD = "repeat('x', 2100)"

def _vectors(where):
    from importlib import import_module
    return import_module("casedesk.cases.migrations.0007_case_search").VECTORS.format(
        where=where)


def _refresh_function(with_office: bool) -> str:
    """The refresh trigger's function of cases.0007, writing the case's office too."""
    if with_office:
        insert = ("INSERT INTO cases_casesearch (case_id, office_id, vector, documents)\n"
                  "    SELECT v.case_id, c.office_id, v.vector, v.documents FROM ("
                  + _vectors("case_id = ANY(ids)")
                  + ") AS v JOIN cases_case AS c ON c.id = v.case_id;")
    else:
        insert = ("INSERT INTO cases_casesearch (case_id, vector, documents)\n"
                  + _vectors("case_id = ANY(ids)") + ";")
    return """
CREATE OR REPLACE FUNCTION cases_casesearch_refresh() RETURNS trigger
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
    -- One writer per case at a time; the statements below see what the others committed
    -- (a move to another office too: it locks the case row as well).
    PERFORM 1 FROM cases_case WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM cases_casesearch WHERE case_id = ANY(ids);
    """ + insert + """
    RETURN NULL;
END
$$
"""


# A case moved to another office: its search row follows (into the office's part).
OFFICE_FUNCTION = """
CREATE FUNCTION cases_casesearch_office() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases_casesearch SET office_id = NEW.office_id
    WHERE case_id = NEW.id AND office_id IS DISTINCT FROM NEW.office_id;
    RETURN NULL;
END
$$
"""
OFFICE_TRIGGER = (
    "CREATE TRIGGER cases_case_search_office AFTER UPDATE OF office_id ON cases_case "
    "FOR EACH ROW WHEN (OLD.office_id IS DISTINCT FROM NEW.office_id) "
    "EXECUTE FUNCTION cases_casesearch_office()")


def _indexes(execute):
    execute("CREATE INDEX case_search_vector ON cases_casesearch USING gin (vector)")
    # The cases whose texts are searched instead (cases.search.POSITIONS): usually none.
    execute("CREATE INDEX case_search_large ON cases_casesearch (case_id) "
            f"WHERE documents > {POSITIONS}")
    execute(f"ALTER TABLE cases_casesearch ADD CONSTRAINT {FK} FOREIGN KEY (case_id) "
            "REFERENCES cases_case (id) DEFERRABLE INITIALLY DEFERRED")


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    # No text may change while the rows are copied (the triggers write this table).
    execute("LOCK TABLE cases_appeal, cases_casenote, cases_casesearch IN SHARE MODE")
    execute("CREATE TABLE cases_casesearch_new ("
            " case_id bigint NOT NULL, office_id bigint NOT NULL,"
            " vector tsvector NOT NULL, documents integer NOT NULL,"
            f" toast_pad text NOT NULL DEFAULT {PAD},"
            " PRIMARY KEY (case_id, office_id)"
            ") PARTITION BY HASH (office_id)")
    for n in range(PARTITIONS):
        part = f"cases_casesearch_{n}"
        execute(f"CREATE TABLE {part} PARTITION OF cases_casesearch_new "
                f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n}) "
                "WITH (toast_tuple_target = 128)")
        execute(f"ALTER TABLE {part} ALTER COLUMN vector SET STORAGE EXTERNAL")
    execute("ALTER TABLE cases_casesearch_new ALTER COLUMN vector SET STORAGE EXTERNAL")
    execute("INSERT INTO cases_casesearch_new (case_id, office_id, vector, documents) "
            "SELECT s.case_id, c.office_id, s.vector, s.documents "
            "FROM cases_casesearch AS s JOIN cases_case AS c ON c.id = s.case_id "
            "ORDER BY c.office_id, s.case_id")
    execute("DROP TABLE cases_casesearch")
    execute("ALTER TABLE cases_casesearch_new RENAME TO cases_casesearch")
    execute("ALTER TABLE cases_casesearch RENAME CONSTRAINT cases_casesearch_new_pkey "
            "TO cases_casesearch_pkey")
    _indexes(execute)
    execute(_refresh_function(with_office=True))
    execute(OFFICE_FUNCTION)
    execute(OFFICE_TRIGGER)
    execute("ANALYZE cases_casesearch")


def unbuild(apps, schema_editor):
    """Back to one plain table (with ``office_id``, which the field's removal drops)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("DROP TRIGGER IF EXISTS cases_case_search_office ON cases_case")
    execute("DROP FUNCTION IF EXISTS cases_casesearch_office()")
    execute("LOCK TABLE cases_appeal, cases_casenote, cases_casesearch IN SHARE MODE")
    execute("CREATE TABLE cases_casesearch_old (case_id bigint PRIMARY KEY,"
            " vector tsvector NOT NULL, documents integer NOT NULL,"
            " office_id bigint NOT NULL DEFAULT 0)")
    execute("INSERT INTO cases_casesearch_old (case_id, vector, documents, office_id) "
            "SELECT case_id, vector, documents, office_id FROM cases_casesearch")
    execute("DROP TABLE cases_casesearch")
    execute("ALTER TABLE cases_casesearch_old RENAME TO cases_casesearch")
    execute("ALTER TABLE cases_casesearch RENAME CONSTRAINT cases_casesearch_old_pkey "
            "TO cases_casesearch_pkey")
    _indexes(execute)
    execute(_refresh_function(with_office=False))
    execute("ANALYZE cases_casesearch")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('cases', '0008_case_office_order'),
    ]

    operations = [
        migrations.AddField(
            model_name='casesearch',
            name='office',
            field=models.ForeignKey(db_constraint=False, db_index=False, default=0,
                                    on_delete=django.db.models.deletion.DO_NOTHING,
                                    related_name='+', to='accounts.office'),
            preserve_default=False,
        ),
        migrations.RunPython(rebuild, unbuild),
    ]
