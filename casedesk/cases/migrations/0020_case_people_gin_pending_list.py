"""The case people index (``case_people_keys``, the person search) gets the 1 MB pending
list of people.0008, for the same reason: every search reads all of the list."""

from django.db import migrations

LIMIT_KB = 1024  # people.0008_gin_pending_list


def limit_set(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER INDEX case_people_keys SET (gin_pending_list_limit = {LIMIT_KB})")


def limit_reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER INDEX case_people_keys RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_person_keys_exist_sampled'),
        ('people', '0008_gin_pending_list'),
    ]

    operations = [
        migrations.RunPython(limit_set, limit_reset),
    ]
