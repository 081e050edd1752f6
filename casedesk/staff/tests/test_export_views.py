"""The queue as XLSX and as CSV for Russian Excel: the filtered list, codes, labels and
dates only (no names, no texts), the person's offices only, every export audited."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.services import case_transition
from casedesk.intake.services import PersonData, appeal_register

NAMES = ("Иванова", "Иванов", "Пётр", "госпитале", "Примерная")


def export(client, fmt, query="queue=all", language="ru"):
    with translation.override(language):
        url = reverse("staff:queue_export", args=[fmt])
    return client.get(f"{url}?{query}")


def test_the_russian_csv_has_a_bom_semicolons_and_no_names(client, staff, register):
    first, second = register(), register()
    case_transition(actor=staff[Role.CASEWORKER], case=second, transition="start_review")
    client.force_login(staff[Role.SUPERVISOR])
    response = export(client, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content.decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert rows[0][0] == "Дело"
    assert {row[0] for row in rows[1:]} == {first.number, second.number}
    assert all(len(row) == len(rows[0]) for row in rows)
    assert not any(name in raw for name in NAMES)
    day = first.received_at.astimezone().strftime("%d.%m.%Y")
    assert day in raw
    entry = AuditEntry.objects.filter(action="queue.export").get()
    assert entry.actor_id == staff[Role.SUPERVISOR].pk
    assert entry.data["format"] == "csv" and entry.data["count"] == 2
    assert entry.data["filters"] == ["queue:all"]


def test_the_export_follows_the_filters_and_never_the_search_words(client, staff, register):
    register()
    moved = register()
    case_transition(actor=staff[Role.CASEWORKER], case=moved, transition="start_review")
    moved.refresh_from_db()
    client.force_login(staff[Role.SUPERVISOR])
    response = export(client, "csv", f"queue=all&state={moved.state}&q=госпиталь")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [moved.number]
    entry = AuditEntry.objects.filter(action="queue.export").get()
    assert "search" in entry.data["filters"]
    assert "госпиталь" not in str(entry.data)


def test_the_xlsx_opens_with_the_header_row(client, staff, register):
    case = register()
    client.force_login(staff[Role.SUPERVISOR])
    response = export(client, "xlsx", language="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Case", "Office", "Category", "State")
    assert rows[1][0] == case.number and rows[1][1] == "MSK"
    assert AuditEntry.objects.filter(action="queue.export", data__format="xlsx").exists()


def test_other_offices_cases_are_not_exported(client, staff, register, other_office,
                                              make_user):
    mine = register()
    clerk = make_user(Role.INTAKE_CLERK, other_office)
    theirs = appeal_register(actor=clerk, office=other_office, channel="letter",
                             text="Текст обращения.", relation="self",
                             applicant=PersonData(full_name="Смирнов Олег"),
                             category="other").case
    client.force_login(staff[Role.SUPERVISOR])
    text = export(client, "csv").content.decode("utf-8-sig")
    assert mine.number in text and theirs.number not in text


def test_roles_without_case_files_cannot_export(client, staff, register):
    register()
    client.force_login(staff[Role.ANALYST])
    assert export(client, "csv").status_code == 403
    assert not AuditEntry.objects.filter(action="queue.export").exists()


def test_the_queue_page_links_the_downloads_with_its_filters(client, staff, register):
    register()
    client.force_login(staff[Role.SUPERVISOR])
    html = client.get(reverse("staff:queues") + "?queue=all&state=registered").content.decode()
    assert reverse("staff:queue_export", args=["xlsx"]) + "?queue=all&amp;state=registered" in html
