"""Regions in the statistics and open data are labelled as the deployment chose
(CASEDESK_REGION_LABELS, issue 16 point 3): the Russian administrative names, or the ISO
3166-2 codes; the counts stay keyed by the regions' internal keys either way."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.intake.services import PersonData
from casedesk.testing import at

YEAR = 2025


def path(name: str, *, language: str, query: str = "") -> str:
    with translation.override(language):
        return reverse(name) + (f"?{query}" if query else "")


@pytest.fixture
def cases(register):
    """Tver 6 appeals, Donetsk (a subject added in 2022, key XX-DON) 5, in March 2025."""
    made = []
    for region, count in (("RU-TVE", 6), ("XX-DON", 5)):
        for i in range(count):
            made.append(register(at=at(f"{YEAR}-03-03", 9 + i), service_member=PersonData(
                full_name=f"Смирнов {region} {i}", service_type="mobilized",
                region_code=region)))
    call_command("stats_refresh", verbosity=0)
    return made


def open_data_regions(client, language: str) -> dict[str, str]:
    """Region label → received, from the open-data CSV."""
    response = client.get(path("stats:open_data_csv", language=language,
                               query=f"year={YEAR}"))
    assert response.status_code == 200, response.content
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    received = rows[1][2]  # the first column after the label: received
    return {label: value for table, label, column, value in rows[1:]
            if table == "by_region" and column == received}


LABELS = {
    ("names", "ru"): {"Тверская обл": "6", "Донецкая Народная Респ": "5"},
    ("names", "en"): {"Tver Oblast": "6", "Donetsk People's Republic": "5"},
    ("iso", "ru"): {"RU-TVE": "6", "UA-14": "5"},
    ("iso", "en"): {"RU-TVE": "6", "UA-14": "5"},
}


@pytest.mark.parametrize(("choice", "language"), list(LABELS))
def test_the_open_data_file_shows_the_chosen_labels(client, cases, settings, choice,
                                                    language):
    settings.CASEDESK_REGION_LABELS = choice
    assert open_data_regions(client, language) == LABELS[choice, language]
    answer = json.loads(client.get(path("stats:open_data_json", language=language,
                                        query=f"year={YEAR}")).content)
    regions = next(t for t in answer["tables"] if t["key"] == "by_region")
    assert {row[0] for row in regions["rows"]} == set(LABELS[choice, language])


def test_changing_the_choice_is_not_hidden_by_the_cache(client, cases, settings):
    settings.CASEDESK_REGION_LABELS = "names"
    assert set(open_data_regions(client, "en")) == {"Tver Oblast",
                                                    "Donetsk People's Republic"}
    settings.CASEDESK_REGION_LABELS = "iso"
    assert set(open_data_regions(client, "en")) == {"RU-TVE", "UA-14"}


@pytest.mark.parametrize("choice", ["names", "iso"])
def test_the_annual_report_follows_the_choice(client, cases, staff, office, settings,
                                              choice):
    settings.CASEDESK_REGION_LABELS = choice
    client.force_login(staff[Role.SUPERVISOR])
    response = client.get(path("stats:annual_report", language="ru",
                               query=f"year={YEAR}&office={office.pk}&format=csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    labels = {label for table, label, _column, _value in rows[1:] if table == "by_region"}
    expected = ({"Тверская обл", "Донецкая Народная Респ"} if choice == "names"
                else {"RU-TVE", "UA-14"})
    assert expected <= labels
