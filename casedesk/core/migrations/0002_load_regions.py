from django.db import migrations

from casedesk.core.reference import load_regions


def load(apps, schema_editor):
    load_regions(apps.get_model("core", "Region"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
