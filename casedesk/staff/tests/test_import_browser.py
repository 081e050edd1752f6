"""The CSV import in Chromium, as a clerk does it: upload a file with mistakes, read every
error, fix the file, check it again, import it, watch the progress page turn into the
result (htmx polls it while the background task runs). Screenshots in
test-artifacts/screenshots/import-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casedesk.browser_testing import login, screenshot, url
from casedesk.cases.models import Case
from casedesk.intake import import_jobs
from casedesk.intake.models import ImportJob

from .test_import_views import BAD, EXPECTED, GOOD, csv_bytes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "x" * 16
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                              "QUEUES": ["default"]}}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_upload_errors_fix_import_result(live_server, page, staff, office, tmp_path, settings,
                                         language):
    settings.TASKS = DATABASE_TASKS  # queued; the task is run below, as a worker would
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(csv_bytes(BAD))
    good.write_bytes(csv_bytes(GOOD))
    login(page, live_server, "intake_clerk", PASSWORD, language)
    page.goto(url(live_server, "staff:import", language=language))
    form = page.locator("main form[enctype]")
    form.locator("input[type=file]").set_input_files(str(bad))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    rows = page.locator("table.import-errors tbody tr")
    expect(rows).to_have_count(len(EXPECTED))
    expect(page.locator("main [role=alert]").first).to_be_visible()
    screenshot(page, f"import-errors-{language}")
    assert not Case.objects.exists()

    form = page.locator("main form[enctype]")
    form.locator("input[type=file]").set_input_files(str(good))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("table.import-errors")).to_have_count(0)
    start = page.locator("main form[action$='/start/'] button")
    expect(start).to_be_visible()
    screenshot(page, f"import-checked-{language}")
    with page.expect_navigation():
        start.click()
    expect(page.locator("#import-progress progress")).to_be_visible()
    screenshot(page, f"import-queued-{language}")

    job = ImportJob.objects.get()
    import_jobs.import_run(job_id=job.pk)  # the worker's part
    # htmx polls every 2 s and swaps the progress for the result.
    result = page.locator(".import-result")
    expect(result).to_be_visible(timeout=15_000)
    expect(result).to_contain_text("2")
    screenshot(page, f"import-done-{language}")
    assert Case.objects.filter(office=office).count() == 2
