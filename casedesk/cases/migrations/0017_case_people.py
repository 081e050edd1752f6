"""The people's search keys of each case in one row (``cases_casepeople``), kept by
PostgreSQL triggers (issue 18).

A person search (a surname, a unit, a phone) used to find the people in their own GIN
index and then the cases whose service member or applicant they are. A surname shared by
tens of thousands of people made that a hash of all of them, and the queue then tested
every case against it: 0.5 to 4 s at 1M cases. Now each case has one row holding the
``search_keys`` of its service member (at position 1, each key marked ``m`` instead of
``k``) and of its n-th applicant (at position n + 1, marked ``a``), with a GIN index, so
that a person search is one lookup yielding case ids, counted from the rows of the
actor's offices as a text search is (cases.0009):

- every group of the query (a name word with its alternatives, a date, a unit…) must be
  a key of one person: ``g1 & g2`` finds the rows, ``g1 <0> g2`` (at one position) checks
  they are one person's;
- the mark tells whether the service member or an applicant matched (ranking, and "where
  it matched" on the queue), from the index alone.

The keys are not added to the texts' vectors (``cases_casesearch``): those are read row by
row when a queue is searched for a word, and twice their size made that slower.

The rows are rebuilt by one function, ``cases_casepeople_rebuild(ids)``, called by
triggers on cases (a new case, its service member replaced), applicants (added, changed,
removed) and people (``search_keys`` changed: a person edited, merged or erased — erasure
blanks the keys, so the person is no longer found); the office follows the case like the
texts' row (cases.0009). PostgreSQL only; on SQLite the table stays empty and the search
reads the people's keys.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

# The rows of cases_casepeople for the cases chosen by {where} (a condition on case_id).
KEYS = r"""
SELECT case_id, string_agg(part, ' ')::tsvector AS keys
FROM (
    SELECT case_id, regexp_replace(search_keys, 'k(\S+)', 'm\1:1', 'g') AS part
    FROM (
        SELECT c.id AS case_id, p.search_keys
        FROM cases_case AS c JOIN people_person AS p ON p.id = c.service_member_id
    ) AS members
    WHERE search_keys <> '' AND {where}
    UNION ALL
    SELECT case_id, regexp_replace(search_keys, 'k(\S+)', 'a\1:' || (1 + LEAST(n, 16382)), 'g')
    FROM (
        SELECT case_id, search_keys,
               row_number() OVER (PARTITION BY case_id ORDER BY id) AS n
        FROM (
            SELECT a.id, a.case_id, p.search_keys
            FROM cases_caseapplicant AS a JOIN people_person AS p ON p.id = a.person_id
        ) AS linked
        WHERE search_keys <> '' AND {where}
    ) AS applicants
) AS parts
GROUP BY case_id
"""

REBUILD = """
CREATE FUNCTION cases_casepeople_rebuild(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- One writer per case at a time; the statements below see what the others committed.
    PERFORM 1 FROM cases_case WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM cases_casepeople WHERE case_id = ANY(ids);
    INSERT INTO cases_casepeople (case_id, office_id, keys)
    SELECT v.case_id, c.office_id, v.keys FROM (
    """ + KEYS.format(where="case_id = ANY(ids)") + """
    ) AS v JOIN cases_case AS c ON c.id = v.case_id;
END
$$
"""

# Statement-level: which cases changed, then one rebuild. For applicants and for new cases.
CHANGED = """
CREATE FUNCTION cases_casepeople_{name}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT {id}) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT {id}) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT changed.case_id) INTO ids FROM (
            SELECT unnest(ARRAY[o.{id}, n.{id}]) AS case_id
            FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
            WHERE {changed}
        ) AS changed;
    END IF;
    PERFORM cases_casepeople_rebuild(ids);
    RETURN NULL;
END
$$
"""
APPLICANTS = CHANGED.format(
    name="applicants", id="case_id",
    changed="n.person_id IS DISTINCT FROM o.person_id OR n.case_id IS DISTINCT FROM o.case_id")
NEW_CASES = CHANGED.format(name="cases", id="id", changed="false")
STATEMENT = "REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION cases_casepeople_{name}()"
TRIGGERS = [
    "CREATE TRIGGER cases_caseapplicant_people_insert AFTER INSERT ON cases_caseapplicant "
    + STATEMENT.format(tables="NEW TABLE AS new_rows", name="applicants"),
    "CREATE TRIGGER cases_caseapplicant_people_update AFTER UPDATE ON cases_caseapplicant "
    + STATEMENT.format(tables="OLD TABLE AS old_rows NEW TABLE AS new_rows", name="applicants"),
    "CREATE TRIGGER cases_caseapplicant_people_delete AFTER DELETE ON cases_caseapplicant "
    + STATEMENT.format(tables="OLD TABLE AS old_rows", name="applicants"),
    "CREATE TRIGGER cases_case_people_insert AFTER INSERT ON cases_case "
    + STATEMENT.format(tables="NEW TABLE AS new_rows", name="cases"),
    # Row-level, with a column list (a statement trigger with transition tables may not
    # have one): only an update that replaces the service member.
    "CREATE TRIGGER cases_case_people_member AFTER UPDATE OF service_member_id ON cases_case "
    "FOR EACH ROW WHEN (OLD.service_member_id IS DISTINCT FROM NEW.service_member_id) "
    "EXECUTE FUNCTION cases_casepeople_member()",
    "CREATE TRIGGER cases_case_people_office AFTER UPDATE OF office_id ON cases_case "
    "FOR EACH ROW WHEN (OLD.office_id IS DISTINCT FROM NEW.office_id) "
    "EXECUTE FUNCTION cases_casepeople_office()",
    "CREATE TRIGGER people_person_case_people AFTER UPDATE OF search_keys ON people_person "
    "FOR EACH ROW WHEN (OLD.search_keys IS DISTINCT FROM NEW.search_keys) "
    "EXECUTE FUNCTION cases_casepeople_person()",
]
ROW_FUNCTIONS = [
    """
CREATE FUNCTION cases_casepeople_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cases_casepeople_rebuild(ARRAY[NEW.id]);
    RETURN NULL;
END
$$
""", """
CREATE FUNCTION cases_casepeople_office() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases_casepeople SET office_id = NEW.office_id
    WHERE case_id = NEW.id AND office_id IS DISTINCT FROM NEW.office_id;
    RETURN NULL;
END
$$
""", """
CREATE FUNCTION cases_casepeople_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cases_casepeople_rebuild(ARRAY(
        SELECT id FROM cases_case WHERE service_member_id = NEW.id
        UNION
        SELECT case_id FROM cases_caseapplicant WHERE person_id = NEW.id));
    RETURN NULL;
END
$$
"""]
DROP = [
    "DROP TRIGGER IF EXISTS cases_caseapplicant_people_insert ON cases_caseapplicant",
    "DROP TRIGGER IF EXISTS cases_caseapplicant_people_update ON cases_caseapplicant",
    "DROP TRIGGER IF EXISTS cases_caseapplicant_people_delete ON cases_caseapplicant",
    "DROP TRIGGER IF EXISTS cases_case_people_insert ON cases_case",
    "DROP TRIGGER IF EXISTS cases_case_people_member ON cases_case",
    "DROP TRIGGER IF EXISTS cases_case_people_office ON cases_case",
    "DROP TRIGGER IF EXISTS people_person_case_people ON people_person",
    "DROP FUNCTION IF EXISTS cases_casepeople_applicants()",
    "DROP FUNCTION IF EXISTS cases_casepeople_cases()",
    "DROP FUNCTION IF EXISTS cases_casepeople_member()",
    "DROP FUNCTION IF EXISTS cases_casepeople_office()",
    "DROP FUNCTION IF EXISTS cases_casepeople_person()",
    "DROP FUNCTION IF EXISTS cases_casepeople_rebuild(bigint[])",
]


# The row goes with its case in the database itself: deleting a case's applicants first
# (as any delete of a case must) makes the trigger write the row again, with the service
# member's keys, before the case is deleted.
CASCADE = (
    "ALTER TABLE cases_casepeople ADD CONSTRAINT cases_casepeople_case_cascade "
    "FOREIGN KEY (case_id) REFERENCES cases_case (id) ON DELETE CASCADE "
    "DEFERRABLE INITIALLY DEFERRED")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(CASCADE)
    execute(REBUILD)
    execute(APPLICANTS)
    execute(NEW_CASES)
    for function in ROW_FUNCTIONS:
        execute(function)
    for trigger in TRIGGERS:
        execute(trigger)
    # Nothing may write cases, applicants or people meanwhile (the triggers would add rows
    # this backfill then adds again).
    execute("LOCK TABLE cases_case, cases_caseapplicant, people_person IN SHARE MODE")
    execute("INSERT INTO cases_casepeople (case_id, office_id, keys) "
            "SELECT v.case_id, c.office_id, v.keys FROM (" + KEYS.format(where="true")
            + ") AS v JOIN cases_case AS c ON c.id = v.case_id")
    execute("CREATE INDEX case_people_keys ON cases_casepeople USING gin (keys)")
    execute("CREATE INDEX case_people_office ON cases_casepeople (office_id)")
    execute("ANALYZE cases_casepeople")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_office_procedure_kind'),
        ('cases', '0016_campaigns'),
        ('people', '0004_person_search_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='CasePeople',
            fields=[
                ('case', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='cases.case')),
                ('office', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.office')),
                ('keys', django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
