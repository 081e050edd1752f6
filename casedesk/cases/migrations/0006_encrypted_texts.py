"""Appeal texts, notes, event texts and file names encrypted (casedesk.core.crypto).

Full-text search moves from ``to_tsvector`` over the plaintext (cases.0003) to keyed-hash
search words (``search_tokens``, casedesk.core.tokens), indexed on PostgreSQL with GIN
over ``to_tsvector('simple', search_tokens)``: the expression ``cases.search`` filters on.
"""

import casedesk.core.fields
from django.db import migrations

OLD = ["cases_appeal_fts_russian", "cases_casenote_fts_russian"]
NEW = [
    ("cases_appeal_tokens", "cases_appeal"),
    ("cases_casenote_tokens", "cases_casenote"),
]
EXPRESSION = "to_tsvector('simple'::regconfig, COALESCE(search_tokens, ''))"


def swap_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in OLD:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, table in NEW:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({EXPRESSION})")


def drop_new_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in NEW:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_document_public'),
        ('people', '0002_encrypted_personal_data'),
    ]

    operations = [
        migrations.AddField(
            model_name='appeal',
            name='search_tokens',
            field=casedesk.core.fields.SearchTokensField(blank=True, editable=False, sources=('text', 'request')),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='texts',
            field=casedesk.core.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='casenote',
            name='search_tokens',
            field=casedesk.core.fields.SearchTokensField(blank=True, editable=False, sources=('text',)),
        ),
        migrations.AlterField(
            model_name='appeal',
            name='request',
            field=casedesk.core.fields.EncryptedTextField(blank=True, verbose_name='what the applicant asks for'),
        ),
        migrations.AlterField(
            model_name='appeal',
            name='text',
            field=casedesk.core.fields.EncryptedTextField(verbose_name='text of the appeal'),
        ),
        migrations.AlterField(
            model_name='casenote',
            name='text',
            field=casedesk.core.fields.EncryptedTextField(verbose_name='note'),
        ),
        migrations.AlterField(
            model_name='document',
            name='original_name',
            field=casedesk.core.fields.EncryptedCharField(max_length=255, verbose_name='file name'),
        ),
        migrations.RunPython(swap_indexes, drop_new_indexes),
    ]
