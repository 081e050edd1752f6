"""The case search rows also carry the keys of the case's people (issue 18).

A person search (a surname, a unit, a phone) used to find the people in their own GIN
index and then the cases whose service member or applicant they are. A surname shared by
tens of thousands of people made that a hash of all of them, and the queue then tested
every case against it: 0.5 to 4 s at 1M cases. Now each case's search row holds, beside
the words of its texts, the ``search_keys`` of its service member (at position
``MEMBER``, each key marked ``m`` instead of ``k``) and of each applicant (at
``MEMBER + n``, marked ``a``), so a person search is one lookup in the same GIN index as
a text search, counted from the office's rows as a text search is:

- every group of the query (a name word with its alternatives, a date, a unit…) must be
  a key of one person: ``g1 & g2`` finds the rows, ``g1 <0> g2`` (at one position)
  checks they are one person's, as ``<0>`` checks the words of one text;
- the mark tells whether the service member or an applicant matched (ranking, and
  "where it matched" on the queue), from the index alone (a weight would need every
  matching row's vector read).

Text positions stay 1..256 (cases.0007); people take 16000..16383, the last positions a
tsvector has. The rows are rebuilt by one function, ``cases_casesearch_rebuild(ids)``,
called by the triggers of cases.0007 (texts), and by new ones: on applicants added,
changed or removed, on a case's service member changed, and on a person's
``search_keys`` changed (a person edited, merged or erased: erasure blanks the keys, so
the person is no longer found). A case with people and no searchable text now has a row
(``documents`` = 0).

PostgreSQL only; on SQLite the search reads the people's keys directly.
"""

from importlib import import_module

from django.db import migrations

_0009 = import_module("casedesk.cases.migrations.0009_case_search_office")

# Where the people's keys are in a case's vector (cases.search reads the same numbers).
MEMBER = 16000
LAST = 16383  # the last position a tsvector keeps

# The rows of cases_casesearch for the cases chosen by {where} (a condition on case_id):
# the words of each text at its position (cases.0007), the service member's keys at
# MEMBER marked "m" (for "k"), the n-th applicant's at MEMBER + n marked "a".
VECTORS = r"""
SELECT case_id, string_agg(part, ' ')::tsvector AS vector, sum(docs)::integer AS documents
FROM (
    SELECT case_id, regexp_replace(search_tokens, '(\S+)', '\1:' || n, 'g') AS part,
           1 AS docs
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
    UNION ALL
    SELECT case_id, regexp_replace(search_keys, 'k(\S+)', 'm\1:%(member)s', 'g'), 0
    FROM (
        SELECT c.id AS case_id, p.search_keys
        FROM cases_case AS c JOIN people_person AS p ON p.id = c.service_member_id
    ) AS members
    WHERE search_keys <> '' AND {where}
    UNION ALL
    SELECT case_id,
           regexp_replace(search_keys, 'k(\S+)',
                          'a\1:' || (%(member)s + LEAST(n, %(room)s)), 'g'), 0
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
""".replace("%(member)s", str(MEMBER)).replace("%(room)s", str(LAST - MEMBER))

REBUILD = """
CREATE OR REPLACE FUNCTION cases_casesearch_rebuild(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- One writer per case at a time; the statements below see what the others committed
    -- (a move to another office too: it locks the case row as well).
    PERFORM 1 FROM cases_case WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM cases_casesearch WHERE case_id = ANY(ids);
    INSERT INTO cases_casesearch (case_id, office_id, vector, documents)
    SELECT v.case_id, c.office_id, v.vector, v.documents FROM (
    """ + VECTORS.format(where="case_id = ANY(ids)") + """
    ) AS v JOIN cases_case AS c ON c.id = v.case_id;
END
$$
"""

# The texts' triggers (cases.0007): which cases changed, then the one rebuild.
REFRESH = """
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
    PERFORM cases_casesearch_rebuild(ids);
    RETURN NULL;
END
$$
"""

APPLICANTS = """
CREATE FUNCTION cases_casesearch_applicants() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT case_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT case_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT changed.case_id) INTO ids FROM (
            SELECT unnest(ARRAY[o.case_id, n.case_id]) AS case_id
            FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
            WHERE n.person_id IS DISTINCT FROM o.person_id
               OR n.case_id IS DISTINCT FROM o.case_id
        ) AS changed;
    END IF;
    PERFORM cases_casesearch_rebuild(ids);
    RETURN NULL;
END
$$
"""
APPLICANT_TRIGGERS = {
    "insert": "AFTER INSERT ON cases_caseapplicant REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON cases_caseapplicant "
              "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON cases_caseapplicant REFERENCING OLD TABLE AS old_rows",
}

MEMBER_FUNCTION = """
CREATE FUNCTION cases_casesearch_member() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cases_casesearch_rebuild(ARRAY[NEW.id]);
    RETURN NULL;
END
$$
"""
MEMBER_TRIGGER = (
    "CREATE TRIGGER cases_case_search_member AFTER UPDATE OF service_member_id ON cases_case "
    "FOR EACH ROW WHEN (OLD.service_member_id IS DISTINCT FROM NEW.service_member_id) "
    "EXECUTE FUNCTION cases_casesearch_member()")

PERSON_FUNCTION = """
CREATE FUNCTION cases_casesearch_person() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cases_casesearch_rebuild(ARRAY(
        SELECT id FROM cases_case WHERE service_member_id = NEW.id
        UNION
        SELECT case_id FROM cases_caseapplicant WHERE person_id = NEW.id));
    RETURN NULL;
END
$$
"""
PERSON_TRIGGER = (
    "CREATE TRIGGER people_person_case_search AFTER UPDATE OF search_keys ON people_person "
    "FOR EACH ROW WHEN (OLD.search_keys IS DISTINCT FROM NEW.search_keys) "
    "EXECUTE FUNCTION cases_casesearch_person()")

_ALL = "INSERT INTO cases_casesearch (case_id, office_id, vector, documents) " \
       "SELECT v.case_id, c.office_id, v.vector, v.documents FROM ({vectors}) AS v " \
       "JOIN cases_case AS c ON c.id = v.case_id"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(REBUILD)
    execute(REFRESH)
    execute(APPLICANTS)
    for event, spec in APPLICANT_TRIGGERS.items():
        execute(f"CREATE TRIGGER cases_caseapplicant_search_{event} {spec} "
                "FOR EACH STATEMENT EXECUTE FUNCTION cases_casesearch_applicants()")
    execute(MEMBER_FUNCTION)
    execute(MEMBER_TRIGGER)
    execute(PERSON_FUNCTION)
    execute(PERSON_TRIGGER)
    # Every row again, with its people; nothing may write texts, people or applicants
    # meanwhile (the triggers would add rows this rebuild then adds again).
    execute("LOCK TABLE cases_appeal, cases_casenote, cases_caseapplicant, people_person, "
            "cases_casesearch IN SHARE MODE")
    execute("DELETE FROM cases_casesearch")
    execute(_ALL.format(vectors=VECTORS.format(where="true")))
    execute("ANALYZE cases_casesearch")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("DROP TRIGGER IF EXISTS people_person_case_search ON people_person")
    execute("DROP FUNCTION IF EXISTS cases_casesearch_person()")
    execute("DROP TRIGGER IF EXISTS cases_case_search_member ON cases_case")
    execute("DROP FUNCTION IF EXISTS cases_casesearch_member()")
    for event in APPLICANT_TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS cases_caseapplicant_search_{event} "
                "ON cases_caseapplicant")
    execute("DROP FUNCTION IF EXISTS cases_casesearch_applicants()")
    execute(_0009._refresh_function(with_office=True))
    execute("DROP FUNCTION IF EXISTS cases_casesearch_rebuild(bigint[])")
    execute("LOCK TABLE cases_appeal, cases_casenote, cases_casesearch IN SHARE MODE")
    execute("DELETE FROM cases_casesearch")
    execute(_ALL.format(vectors=_0009._vectors("true")))
    execute("ANALYZE cases_casesearch")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_campaigns'),
        ('people', '0004_person_search_keys'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
