# ruff: noqa: F811 - the fixtures of test_views are imported by name
"""Downloads of the statistics dashboard: the annual report (PDF, CSV) of an office the
person may see, in the page's language, 404 for any other; each table as XLSX and as CSV
that Russian Excel opens; every download audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry

from .test_views import cases, elsewhere, path  # noqa: F401 - fixtures

YEAR = timezone.localdate().year


def report_url(office, fmt, language="en", year=YEAR):
    return path("stats:annual_report", language=language,
                query=f"year={year}&office={office.pk}&format={fmt}")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_supervisor_downloads_the_annual_report_of_her_office(client, staff, cases, office,
                                                                language):
    client.force_login(staff[Role.SUPERVISOR])
    pdf = client.get(report_url(office, "pdf", language))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == \
        f'attachment; filename="MSK-{YEAR}-{language}.pdf"'
    table = client.get(report_url(office, "csv", language))
    assert table.status_code == 200
    text = table.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["table", "label", "column", "value"]
    assert len(rows) > 5
    entries = AuditEntry.objects.filter(action="stats.annual_report")
    assert sorted(e.data["format"] for e in entries) == ["csv", "pdf"]
    assert all(e.data["language"] == language and e.object_id == str(office.pk)
               for e in entries)


def test_another_offices_report_is_404_and_other_roles_403(client, staff, cases, elsewhere):
    client.force_login(staff[Role.SUPERVISOR])
    assert client.get(report_url(elsewhere, "pdf")).status_code == 404
    assert client.get(report_url(elsewhere, "csv")).status_code == 404
    client.force_login(staff[Role.CASEWORKER])
    assert client.get(report_url(elsewhere, "csv")).status_code == 403
    assert not AuditEntry.objects.filter(action="stats.annual_report").exists()


def test_the_dashboard_offers_the_report_and_the_xlsx_downloads(client, staff, cases):
    client.force_login(staff[Role.ANALYST])
    html = client.get(path("stats:dashboard")).content.decode()
    assert path("stats:annual_report") in html
    assert 'name="year"' in html and 'id="report_office"' in html
    assert path("stats:staff_xlsx", "received_by_month") in html


def test_a_dashboard_table_as_russian_csv_and_as_xlsx(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    response = client.get(path("stats:staff_csv", "received_by_month", language="ru"))
    raw = response.content.decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert len(rows[0]) >= 2 and all(len(r) == len(rows[0]) for r in rows)
    assert sum(int(r[1]) for r in rows[1:] if r[1].isdigit()) == len(cases)
    book = load_workbook(io.BytesIO(client.get(
        path("stats:staff_xlsx", "received_by_month")).content))
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert len(sheet_rows[0]) == len(rows[0]) and all(sheet_rows[0])
    assert sum(r[1] for r in sheet_rows[1:] if isinstance(r[1], int)) == len(cases)
    formats = sorted(AuditEntry.objects.filter(action="stats.export")
                     .values_list("data__format", flat=True))
    assert formats == ["csv", "xlsx"]
