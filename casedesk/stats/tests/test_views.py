"""The statistics pages: who may see the dashboard, office scoping through the filter, the
CSV and JSON downloads, and the public page in both languages with small numbers hidden."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.intake.services import PersonData

ALLOWED = [Role.SUPERVISOR, Role.ANALYST, Role.ADMINISTRATOR]
REFUSED = [Role.CASEWORKER, Role.INTAKE_CLERK, Role.COMMISSION_MEMBER]


def path(name: str, *args, language: str = "en", query: str = "") -> str:
    with translation.override(language):
        return reverse(name, args=args) + (f"?{query}" if query else "")


def refresh():
    call_command("stats_refresh", verbosity=0)


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def cases(register, staff):
    """Seven appeals in one category over two months, two in another; then the figures."""
    now = timezone.now()
    made = [register(at=now - dt.timedelta(days=3 * i),
                     service_member=PersonData(full_name=f"Сидоров {i}",
                                               service_type="mobilized"))
            for i in range(7)]
    made += [register(at=now - dt.timedelta(days=i), category="insurance_payment",
                      service_member=PersonData(full_name=f"Кузнецов {i}",
                                                service_type="contract"))
             for i in range(2)]
    refresh()
    return made


# --- the dashboard: roles -----------------------------------------------------------------

@pytest.mark.parametrize("role", ALLOWED)
def test_supervisors_analysts_and_administrators_see_the_dashboard(client, staff, cases, role):
    client.force_login(staff[role])
    response = client.get(path("stats:dashboard"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert b"<canvas" in response.content
    assert b'type="application/json"' in response.content


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_get_403_on_the_dashboard_and_its_downloads(client, staff, cases, role):
    client.force_login(staff[role])
    assert client.get(path("stats:dashboard")).status_code == 403
    assert client.get(path("stats:staff_csv", "received_by_month")).status_code == 403


def test_the_dashboard_needs_a_login(client):
    response = client.get(path("stats:dashboard"))
    assert response.status_code == 302
    assert path("staff:login") in response["Location"]
    assert client.get(path("stats:staff_csv", "received_by_month")).status_code == 302


def test_an_analyst_sees_the_figures_but_not_the_case_files(client, staff, cases):
    client.force_login(staff[Role.ANALYST])
    assert client.get(path("stats:dashboard")).status_code == 200
    assert client.get(path("staff:case", cases[0].number)).status_code == 403


@pytest.mark.parametrize("role,shown", [(Role.SUPERVISOR, True), (Role.ANALYST, True),
                                        (Role.ADMINISTRATOR, True), (Role.CASEWORKER, False),
                                        (Role.INTAKE_CLERK, False)])
def test_the_staff_navigation_links_to_the_statistics_for_those_who_may_see_them(
        client, staff, role, shown):
    client.force_login(staff[role])
    # Analysts and administrators read no case files, so no queue either.
    page = client.get(path("stats:dashboard" if shown else "staff:queues")).content.decode()
    assert (f'href="{path("stats:dashboard")}"' in page) is shown


# --- the dashboard: filters and office scoping ---------------------------------------------

@pytest.fixture
def elsewhere(other_office, make_user):
    """Three appeals in another office, registered by its own clerk."""
    from casedesk.intake.services import appeal_register

    clerk = make_user(Role.INTAKE_CLERK, other_office)
    for i in range(3):
        appeal_register(
            actor=clerk, office=other_office, channel="letter", text="Не выплатили страховку.",
            applicant=PersonData(full_name=f"Орлова {i}", postal_address="СПб, Невский, 1"),
            relation="mother", service_member=PersonData(full_name=f"Орлов {i}"),
            category="pay_suspended", received_at=timezone.now())
    refresh()
    return other_office


def total_appeals(response) -> int:
    rows = rows_of(response)
    return sum(int(row[1]) for row in rows[1:] if row[1].isdigit())


def test_a_supervisor_cannot_choose_another_offices_figures(client, staff, cases, elsewhere):
    client.force_login(staff[Role.SUPERVISOR])
    page = client.get(path("stats:dashboard", query=f"office={elsewhere.pk}"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'role="alert"' in text  # the office is refused as a form error
    assert f'<option value="{elsewhere.pk}"' not in text
    own = client.get(path("stats:staff_csv", "received_by_month"))
    chosen = client.get(path("stats:staff_csv", "received_by_month",
                             query=f"office={elsewhere.pk}"))
    assert total_appeals(own) == total_appeals(chosen) == len(cases)


def test_an_analyst_may_choose_among_all_offices(client, staff, cases, elsewhere, office,
                                                 make_user):
    analyst = make_user(Role.ANALYST, office, elsewhere)
    client.force_login(analyst)
    text = client.get(path("stats:dashboard")).content.decode()
    assert f'<option value="{elsewhere.pk}"' in text
    everything = client.get(path("stats:staff_csv", "received_by_month"))
    there = client.get(path("stats:staff_csv", "received_by_month",
                            query=f"office={elsewhere.pk}"))
    assert total_appeals(everything) == len(cases) + 3
    assert total_appeals(there) == 3


def test_the_category_filter_narrows_the_figures(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    response = client.get(path("stats:staff_csv", "received_by_month",
                               query="category=insurance_payment"))
    assert total_appeals(response) == 2


def test_a_period_that_ends_before_it_starts_is_a_form_error(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    response = client.get(path("stats:dashboard", query="start=2025-06&end=2025-01"))
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_the_download_links_keep_the_filters(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    text = client.get(path("stats:dashboard", query="category=insurance_payment&start=2020-01"
                           )).content.decode()
    link = path("stats:staff_csv", "received_by_month")
    assert f'href="{link}?start=2020-01&amp;category=insurance_payment"' in text


# --- CSV downloads ------------------------------------------------------------------------

def test_a_dashboard_table_downloads_as_csv(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    response = client.get(path("stats:staff_csv", "received_by_month"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == \
        'attachment; filename="casedesk-received_by_month.csv"'
    assert "no-store" in response["Cache-Control"]
    header = rows_of(response)[0]
    assert len(header) >= 2


def test_an_unknown_table_is_404(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    assert client.get(path("stats:staff_csv", "no_such_table")).status_code == 404
    assert client.get(path("stats:public_csv", "no_such_table")).status_code == 404


# --- the public page ------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_public_page_needs_no_login_in_either_language(client, cases, language):
    response = client.get(path("stats:public", language=language))
    assert response.status_code == 200
    assert response["Content-Language"] == language
    cache = response["Cache-Control"]
    assert "max-age=300" in cache and "no-store" not in cache
    text = response.content.decode()
    with translation.override(language):
        from django.utils.translation import gettext

        for msgid in ["Method", "Open data", "Statistics of appeals"]:
            assert gettext(msgid) in text
    assert "CC BY 4.0" in text
    # The charts run under the strict policy: no inline script, data in JSON blocks.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in text and 'type="application/json"' in text
    assert path("stats:open_data_csv", language=language) in text
    assert path("stats:open_data_json", language=language) in text


def test_the_public_page_shows_small_numbers_as_under_five(client, cases):
    text = client.get(path("stats:public")).content.decode()
    assert "&lt;5" in text  # two appeals about insurance payments


def test_the_public_page_shows_no_personal_data(client, cases):
    text = client.get(path("stats:public", language="ru")).content.decode()
    for secret in ["Сидоров", "Кузнецов", "Иванова", cases[0].number]:
        assert secret not in text


def test_open_data_csv_has_one_row_per_figure(client, cases):
    response = client.get(path("stats:open_data_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    rows = rows_of(response)
    assert rows[0] == ["table", "label", "column", "value"]
    assert all(len(row) == 4 for row in rows)
    counts = {row[3] for row in rows[1:] if row[2] in ("Received", "Answered")}
    assert "<5" in counts
    assert not {"1", "2", "3", "4"} & counts  # 0 is about nobody: shown


def test_open_data_json_has_the_documented_shape(client, cases):
    response = client.get(path("stats:open_data_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert "CC BY 4.0" in data["licence"]
    assert data["tables"]
    for table in data["tables"]:
        assert {"key", "title", "columns", "rows"} <= set(table)
        assert all(len(row) == len(table["columns"]) for row in table["rows"])


def test_a_public_table_downloads_as_csv(client, cases):
    tables = json.loads(client.get(path("stats:open_data_json")).content)["tables"]
    first = tables[0]
    response = client.get(path("stats:public_csv", first["key"]))
    assert response.status_code == 200
    assert rows_of(response)[0] == [str(c) for c in first["columns"]]


def test_the_portal_links_to_the_public_statistics(client, db):  # the home page lists offices
    for language in ["ru", "en"]:
        home = client.get(path("portal:home", language=language)).content.decode()
        assert f'href="{path("stats:public", language=language)}"' in home


def test_table_cells_are_formatted_and_escaped():
    from casedesk.stats import selectors, views

    table = selectors.Table(key="k", title="T", columns=["Label", "A", "B", "C"],
                            rows=[["<b>Tver</b>", 1234, 33.3, None], ["Moscow", "<5", "…", 0]])
    with translation.override("en"):
        shown = views._display(table, "/k.csv")
    assert shown["rows"] == [["<b>Tver</b>", "1,234", "33.3", "—"], ["Moscow", "<5", "…", "0"]]
    assert shown["body"] == (
        '<tr><th scope="row">&lt;b&gt;Tver&lt;/b&gt;</th><td class="num">1,234</td>'
        '<td class="num">33.3</td><td class="num">—</td></tr>\n'
        '<tr><th scope="row">Moscow</th><td class="num">&lt;5</td><td class="num">…</td>'
        '<td class="num">0</td></tr>')
