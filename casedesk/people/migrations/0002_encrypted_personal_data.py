"""Personal data encrypted at rest (casedesk.core.crypto).

casedesk has had no release with plaintext personal data, so there is no conversion:
a database that already holds people from before this migration is refused with a
message, rather than left half plaintext. Recreate it (``make clean``) or load the data
again through the services.
"""

import casedesk.core.fields
from django.db import migrations, models


def refuse_plaintext(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    if Person.objects.using(schema_editor.connection.alias).exists():
        raise RuntimeError(
            "This database holds people stored before encryption at rest; casedesk cannot "
            "convert them. Start from an empty database (make clean) and load the data "
            "again.")


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(refuse_plaintext, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='person',
            name='person_name_birth',
        ),
        migrations.AddField(
            model_name='person',
            name='email_index',
            field=casedesk.core.fields.BlindIndexField(blank=True, db_index=True, editable=False, max_length=32, purpose='email', sources=('email',)),
        ),
        migrations.AddField(
            model_name='person',
            name='erased_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='erased'),
        ),
        migrations.AddField(
            model_name='person',
            name='key_id',
            field=casedesk.core.fields.DataKeyField(blank=True, db_index=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='person',
            name='name_birth_index',
            field=casedesk.core.fields.BlindIndexField(blank=True, db_index=True, editable=False, max_length=32, purpose='name+birth', sources=('full_name', 'birth_date')),
        ),
        migrations.AddField(
            model_name='person',
            name='name_unit_index',
            field=casedesk.core.fields.BlindIndexField(blank=True, db_index=True, editable=False, max_length=32, purpose='name+unit', sources=('full_name', 'unit')),
        ),
        migrations.AddField(
            model_name='person',
            name='phone_index',
            field=casedesk.core.fields.BlindIndexField(blank=True, db_index=True, editable=False, max_length=32, purpose='phone', sources=('phone',)),
        ),
        migrations.AlterField(
            model_name='person',
            name='birth_date',
            field=casedesk.core.fields.EncryptedDateField(blank=True, null=True, verbose_name='birth date'),
        ),
        migrations.AlterField(
            model_name='person',
            name='email',
            field=casedesk.core.fields.EncryptedCharField(blank=True, max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='person',
            name='full_name',
            field=casedesk.core.fields.EncryptedCharField(max_length=300, verbose_name='full name'),
        ),
        migrations.AlterField(
            model_name='person',
            name='phone',
            field=casedesk.core.fields.EncryptedCharField(blank=True, max_length=40, verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='person',
            name='postal_address',
            field=casedesk.core.fields.EncryptedTextField(blank=True, verbose_name='postal address'),
        ),
        migrations.AlterField(
            model_name='person',
            name='unit',
            field=casedesk.core.fields.EncryptedCharField(blank=True, max_length=100, verbose_name='military unit'),
        ),
    ]
