import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "regions.csv"


def load(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(Region.objects.values_list("code", flat=True))
    Region.objects.bulk_create(
        [Region(**row) for row in rows if row["code"] not in existing]
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
