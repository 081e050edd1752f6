"""Indexes that duplicate the start of another index, and the LIKE index of the idempotency
key, cost every insert and serve no query.

Only the indexes are dropped (by the names Django gave them); the foreign keys are left
as they are instead of being dropped and validated again, which takes long on a large
database."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DUPLICATES = (
    # (index, table, column): covered by case_assignee_queue, case_queue, case_applicant_once
    # and event_case_at, which start with the same column.
    ("cases_case_assignee_id_28343c2e", "cases_case", "assignee_id"),
    ("cases_case_office_id_93691f7b", "cases_case", "office_id"),
    ("cases_caseapplicant_case_id_002dba05", "cases_caseapplicant", "case_id"),
    ("cases_caseevent_case_id_6c6031ac", "cases_caseevent", "case_id"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0009_case_search_office"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
                )
                for name, table, column in DUPLICATES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="case", name="assignee",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_cases", to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee"),
                ),
                migrations.AlterField(
                    model_name="case", name="office",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases", to="accounts.office", verbose_name="office"),
                ),
                migrations.AlterField(
                    model_name="caseapplicant", name="case",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="applicant_links", to="cases.case"),
                ),
                migrations.AlterField(
                    model_name="caseevent", name="case",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="events", to="cases.case"),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="appeal", name="idempotency_key",
            field=models.CharField(blank=True, max_length=100, null=True),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.UniqueConstraint(fields=("idempotency_key",),
                                               name="appeal_idempotency_once"),
        ),
    ]
