"""A smaller pending list (1 MB instead of PostgreSQL's 4 MB) for the GIN indexes of the
people's keys (search, typo and match keys). New keys wait in that list until it is full,
and every lookup reads all of it: at 1M cases a duplicate check read ~86 index pages for
20 rows, 82 of them the list. With 1 MB a lookup reads at most ~128 pages of it; writing
costs a little more (measured with bench/intake.py: PostgreSQL's CPU per appeal 0.68 ->
0.80 ms), less than the lookups each appeal's duplicate check saves."""

from django.db import migrations

INDEXES = ("person_search_keys", "person_typo_keys", "person_match_keys")
LIMIT_KB = 1024


def limit_set(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {LIMIT_KB})")


def limit_reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0007_person_match_keys'),
    ]

    operations = [
        migrations.RunPython(limit_set, limit_reset),
    ]
