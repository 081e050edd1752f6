"""Forwarding: the kind of body as a code (``forward_body``) and the body's name, typed by
staff, encrypted with the service member's data key. The plaintext names already stored
(``cases_case.forwarded_to`` and ``forwarded_to`` in the ``data`` of ``forward`` events) are
sealed in place, moved into the events' encrypted ``texts`` and removed from ``data``; the
cases get the code "other" (the kind of body was never recorded)."""

import casedesk.core.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


CASE_AAD = "cases_case.forwarded_to"
TEXTS_AAD = "cases_caseevent.texts"


def _key_of(cursor, person_id, keys):
    from casedesk.core import crypto

    if person_id not in keys:
        cursor.execute("SELECT key_id FROM people_person WHERE id = %s", [person_id])
        key_id = cursor.fetchone()[0]
        if not key_id:
            key_id = crypto.key_new()
            cursor.execute("UPDATE people_person SET key_id = %s WHERE id = %s",
                           [key_id, person_id])
        keys[person_id] = key_id
    return keys[person_id]


def seal_forwarded(apps, schema_editor):
    import json

    from casedesk.core import crypto

    keys: dict = {}
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, service_member_id, forwarded_to FROM cases_case "
                       "WHERE forwarded_to <> ''")
        for case_id, person_id, text in cursor.fetchall():
            if crypto.is_sealed_text(text):
                continue
            sealed = crypto.seal_text(_key_of(cursor, person_id, keys), text, CASE_AAD)
            cursor.execute("UPDATE cases_case SET forwarded_to = %s, forward_body = %s "
                           "WHERE id = %s", [sealed, "other", case_id])
        cursor.execute("SELECT e.id, c.service_member_id, e.data, e.texts "
                       "FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
                       "WHERE e.kind = 'state_changed' AND e.data ? 'forwarded_to'"
                       if schema_editor.connection.vendor == "postgresql" else
                       "SELECT e.id, c.service_member_id, e.data, e.texts "
                       "FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
                       "WHERE e.kind = 'state_changed' AND e.data LIKE '%forwarded_to%'")
        for event_id, person_id, data, texts in cursor.fetchall():
            data = json.loads(data) if isinstance(data, str) else dict(data)
            name = data.pop("forwarded_to", "")
            if not name:
                continue
            current = json.loads(crypto.open_text(texts, TEXTS_AAD)) if texts else {}
            current["forwarded_to"] = name
            data.setdefault("forward_body", "other")
            sealed = crypto.seal_text(_key_of(cursor, person_id, keys),
                                      json.dumps(current, ensure_ascii=False, sort_keys=True),
                                      TEXTS_AAD)
            cursor.execute("UPDATE cases_caseevent SET data = %s, texts = %s WHERE id = %s",
                           [json.dumps(data), sealed, event_id])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_lean_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='forward_body',
            field=models.CharField(blank=True, choices=[('military_prosecutor', "military prosecutor's office"), ('military_investigations', 'military investigative department'), ('unit_command', 'military unit or higher command'), ('commissariat', 'military commissariat'), ('medical_commission', 'military medical commission'), ('insurer', 'insurer'), ('other', 'other body')], max_length=30, verbose_name='forwarded to (kind of body)'),
        ),
        migrations.AlterField(
            model_name='case',
            name='forwarded_to',
            field=casedesk.core.fields.EncryptedCharField(blank=True, max_length=300, verbose_name='forwarded to'),
        ),
        migrations.RunPython(seal_forwarded, migrations.RunPython.noop),
        migrations.CreateModel(
            name='ExtensionRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rule', models.CharField(default='answer', max_length=50, verbose_name='rule')),
                ('days', models.PositiveSmallIntegerField(verbose_name='extend by (days)')),
                ('reason', casedesk.core.fields.EncryptedTextField(verbose_name='reason')),
                ('status', models.CharField(choices=[('pending', 'awaiting a decision'), ('approved', 'approved'), ('refused', 'refused')], default='pending', max_length=10, verbose_name='status')),
                ('requested_at', models.DateTimeField(verbose_name='requested')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided')),
                ('refusal', casedesk.core.fields.EncryptedTextField(blank=True, verbose_name='reason for the refusal')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extension_requests', to='cases.case')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'extension request',
                'verbose_name_plural': 'extension requests',
                'ordering': ['requested_at', 'id'],
                'indexes': [models.Index(fields=['status', 'requested_at'], name='extension_request_status')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('case', 'rule'), name='extension_request_one_pending')],
            },
        ),
    ]
