"""CSV import in the browser: the preview lists every bad cell and imports nothing; a good
file is imported by the background task; the job is its office's only; the file is
deleted after the import; every step is audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.core import crypto
from casedesk.intake import import_jobs
from casedesk.intake.bulk_import import COLUMNS
from casedesk.intake.models import ImportJob

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

GOOD = [
    {"received_at": "2026-03-02 10:15", "channel": "letter", "category": "record_error_awol",
     "applicant_name": "Сидорова Мария Ивановна", "applicant_email": "maria@example.org",
     "relation": "mother", "member_name": "Сидоров Олег Петрович",
     "text": "Сына записали в СОЧ, хотя он лежит в госпитале."},
    {"received_at": "03.03.2026 16:40", "applicant_name": "Орлова Анна", "relation": "wife",
     "member_name": "Орлов Денис", "text": "Муж не получает выплату за ранение.",
     "category": "insurance_payment"},
]
# Row 2: two bad cells; row 3: a bad email; row 4: no text.
BAD = [
    {**GOOD[0], "received_at": "позавчера", "relation": "aunt"},
    {**GOOD[1], "applicant_email": "not-an-email"},
    {**GOOD[1], "applicant_name": "Другая Анна", "text": ""},
]
EXPECTED = {(2, "received_at"), (2, "relation"), (3, "applicant_email"), (4, "text")}


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()


def upload(client, office, rows, language="en"):
    with translation.override(language):
        url = reverse("staff:import")
    return client.post(url, {"office": office.pk,
                             "file": SimpleUploadedFile("appeals.csv", csv_bytes(rows),
                                                        content_type="text/csv")})


def error_cells(html: str) -> set[tuple[int, str]]:
    import re

    return {(int(row), column) for row, column in re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>([a-z_]+)</code></td>', html)}


@pytest.mark.parametrize(("language", "phrase"), [
    ("en", "Not an email address."), ("ru", "Это не адрес электронной почты.")])
def test_the_preview_lists_every_bad_cell_and_imports_nothing(client, staff, office, language,
                                                              phrase):
    client.force_login(staff[Role.INTAKE_CLERK])
    response = upload(client, office, BAD, language)
    html = response.content.decode()
    assert response.status_code == 400
    assert error_cells(html) == EXPECTED
    assert phrase in html
    assert not Case.objects.exists()
    assert not ImportJob.objects.exists()
    assert "Сидорова" not in html  # cell contents are not echoed
    entry = AuditEntry.objects.filter(action="appeal.import_check").get()
    assert entry.data == {"count": 3, "result": "errors"}


def test_a_good_file_is_imported_by_the_task_and_the_result_shows_the_count(
        client, staff, office, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    client.force_login(staff[Role.INTAKE_CLERK])
    response = upload(client, office, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:import_job", args=[job.pk])
    assert job.state == "checked" and job.new_rows == 2 and job.sealed
    assert b"maria@example.org" not in bytes(job.sealed)  # the file is stored sealed
    page = client.get(response["Location"]).content.decode()
    assert "Import 2 appeals" in page
    assert not Case.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("staff:import_start", args=[job.pk]))
    assert started.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and job.imported == 2
    assert Case.objects.filter(office=office).count() == 2
    assert job.sealed is None and not crypto.key_exists(job.key_id)  # the file is gone
    result = client.get(started["Location"]).content.decode()
    assert "2 cases opened and registered." in result
    assert "hx-trigger" not in result  # no more polling
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"appeal.import_check", "appeal.import_start", "appeal.import",
            "appeal.import_end"} <= actions
    # Started once only.
    again = client.post(reverse("staff:import_start", args=[job.pk]), follow=True)
    assert "already been started" in again.content.decode()
    assert Case.objects.count() == 2


def test_a_queued_job_polls_with_htmx_and_reloads_without_javascript(client, staff, office,
                                                                      settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    client.force_login(staff[Role.INTAKE_CLERK])
    upload(client, office, GOOD)
    job = ImportJob.objects.get()
    client.post(reverse("staff:import_start", args=[job.pk]))  # queued; no worker runs
    url = reverse("staff:import_job", args=[job.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert '<noscript><meta http-equiv="refresh"' in page
    assert "<progress" in page
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<section")  # the fragment, not the page
    # The task (run here by hand) imports the file and the page shows the result.
    import_jobs.import_run(job_id=job.pk)
    assert "2 cases opened and registered." in client.get(url).content.decode()


def test_another_offices_clerk_cannot_see_or_start_the_job(client, staff, office, other_office,
                                                           make_user):
    client.force_login(staff[Role.INTAKE_CLERK])
    upload(client, office, GOOD)
    job = ImportJob.objects.get()
    stranger = make_user(Role.INTAKE_CLERK, other_office)
    client.force_login(stranger)
    assert client.get(reverse("staff:import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("staff:import_start", args=[job.pk])).status_code == 404
    assert reverse("staff:import_job", args=[job.pk]) not in \
        client.get(reverse("staff:import")).content.decode()
    # Nor may she upload into the other office (it is not a choice).
    response = upload(client, office, GOOD)
    assert response.status_code == 200 and ImportJob.objects.count() == 1
    job.refresh_from_db()
    assert job.state == "checked"


def test_roles_without_registration_may_not_import(client, staff):
    for role in (Role.ANALYST, Role.COMMISSION_MEMBER):
        client.force_login(staff[role])
        assert client.get(reverse("staff:import")).status_code == 403


def test_a_check_not_started_within_a_day_is_expired_and_its_file_deleted(staff, office):
    import datetime as dt

    from django.utils import timezone

    _result, job = import_jobs.import_check(actor=staff[Role.INTAKE_CLERK], office=office,
                                            data=csv_bytes(GOOD))
    later = timezone.now() + import_jobs.STALE_AFTER + dt.timedelta(minutes=1)
    assert import_jobs.import_expire_stale(now=later) == 1
    job.refresh_from_db()
    assert job.state == "expired" and job.sealed is None
    assert not crypto.key_exists(job.key_id)
