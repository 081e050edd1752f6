"""``UrgencyFlag.open``: whether the flag's case is open, kept by PostgreSQL.

The "urgent only" queue and the urgent counts (workload page, statistics dashboard) asked
for the standing flags whose case is open in the user's offices. The flags of closed cases
stay (a flag records why a case was urgent) and pile up with the years; at 1M cases, with
10,000 flags of which ~650 on open cases, PostgreSQL joined them to the cases by walking
the whole primary key (300 ms a page). With the case's openness on the flag and a partial
index of the open standing flags, those queries start from the few hundred flags (~2 ms).

Kept by triggers whatever writes: a flag takes its case's openness when it is inserted or
moved to another case; a case whose state changes updates its flag. The open states are
written out here as core.states.OPEN_STATES has them today (a change there needs a
migration that replaces the functions; urgency/tests/test_flag_open.py compares them).
SQLite keeps the default (true): its queries also filter on the case's state, so the
column only narrows, never decides.
"""

from django.db import migrations, models

OPEN_STATES = ("received", "registered", "in_review", "awaiting_information",
               "referred_to_commission", "commission_decided")
OPEN_SQL = ", ".join(f"'{state}'" for state in OPEN_STATES)

FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION urgency_flag_open_on_write() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.open := COALESCE((SELECT state IN ({OPEN_SQL}) FROM cases_case
                              WHERE id = NEW.case_id), true);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER urgency_flag_open_on_write
    BEFORE INSERT OR UPDATE OF case_id ON urgency_urgencyflag
    FOR EACH ROW EXECUTE FUNCTION urgency_flag_open_on_write()
    """,
    f"""
    CREATE OR REPLACE FUNCTION urgency_flag_open_on_state() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE urgency_urgencyflag SET open = NEW.state IN ({OPEN_SQL})
        WHERE case_id = NEW.id AND open IS DISTINCT FROM (NEW.state IN ({OPEN_SQL}));
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER urgency_flag_open_on_state
    AFTER UPDATE OF state ON cases_case
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION urgency_flag_open_on_state()
    """,
    f"""
    UPDATE urgency_urgencyflag AS f SET open = c.state IN ({OPEN_SQL})
    FROM cases_case AS c WHERE c.id = f.case_id
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS urgency_flag_open_on_state ON cases_case",
    "DROP FUNCTION IF EXISTS urgency_flag_open_on_state()",
    "DROP TRIGGER IF EXISTS urgency_flag_open_on_write ON urgency_urgencyflag",
    "DROP FUNCTION IF EXISTS urgency_flag_open_on_write()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_person_keys_exist_sampled'),
        ('urgency', '0001_urgency_flags'),
    ]

    operations = [
        migrations.AddField(
            model_name='urgencyflag',
            name='open',
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddIndex(
            model_name='urgencyflag',
            index=models.Index(condition=models.Q(('open', True), ('urgent', True)),
                               fields=['case'], name='urgency_flag_open'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
