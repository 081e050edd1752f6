"""Erasures made before this release left the access code of the erased people's cases
working and their sealed codes in the submission rows (issue 15, finding 2): revoke and
blank them now, as ``person_erase`` does from this release on. Sessions, task rows and
the mail spool of those erasures are not reached here: sessions expire (8 hours), and
``retention_apply`` blanks the sealed codes of finished tasks on its next daily run."""

from django.db import migrations
from django.db.models import Q


def revoke(apps, schema_editor):
    alias = schema_editor.connection.alias
    Person = apps.get_model("people", "Person")
    Case = apps.get_model("cases", "Case")
    CaseApplicant = apps.get_model("cases", "CaseApplicant")
    Appeal = apps.get_model("cases", "Appeal")
    PublicSubmission = apps.get_model("intake", "PublicSubmission")
    erased = Person.objects.using(alias).filter(erased_at__isnull=False).values("pk")
    cases = Case.objects.using(alias).filter(
        Q(service_member_id__in=erased)
        | Q(pk__in=CaseApplicant.objects.using(alias).filter(person_id__in=erased)
            .values("case_id"))
        | Q(pk__in=Appeal.objects.using(alias).filter(submitter_id__in=erased)
            .values("case_id")))
    case_ids = list(cases.values_list("pk", flat=True))
    Case.objects.using(alias).filter(pk__in=case_ids).exclude(access_code_hash="").update(
        access_code_hash="")
    PublicSubmission.objects.using(alias).filter(appeal__case_id__in=case_ids).update(
        sealed_access_code="", fingerprint="")


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0003_import_job"),
        ("cases", "0012_merge_incoming_register_and_forward_body"),
        ("people", "0003_lean_indexes"),
    ]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop, elidable=True)]
