from django.db import migrations, models


class Migration(migrations.Migration):
    """The chain is keyed from here on: every existing entry keeps its plain SHA-256 and is
    marked hash version 1; new entries are written with version 2 (HMAC, services.py)."""

    dependencies = [
        ("audit", "0002_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="hash version"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor_kind",
            field=models.CharField(choices=[("staff", "staff member"), ("applicant", "applicant"), ("system", "system"), ("anonymous", "anonymous"), ("command", "command operator")], max_length=10, verbose_name="actor kind"),
        ),
    ]
