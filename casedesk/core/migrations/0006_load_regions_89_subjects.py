"""The 89 federal subjects of the Constitution's art. 65 (the four added in 2022 under
neutral keys, XX-DON, XX-LUH, XX-ZAP, XX-KHE), and the ISO 3166-2 code of every region.
Adds the missing rows and fills the new columns by key: no existing row, key or id
changes, so offices' regions, members and statistics keep pointing where they did."""

from django.db import migrations

from casedesk.core.reference import load_regions


def load(apps, schema_editor):
    load_regions(apps.get_model("core", "Region"))


class Migration(migrations.Migration):
    dependencies = [("core", "0005_region_iso_code_and_federal_subject")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
