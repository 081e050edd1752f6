"""The portal's office cards label the regions served as the deployment chose
(CASEDESK_REGION_LABELS, issue 16 point 3), like the statistics and the open data."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from casedesk.core.models import Region
from casedesk.intake import routing
from casedesk.intake.tests.test_routing import make_offices

from .test_offices import text_of


@pytest.fixture
def offices(db):
    cache.clear()
    made = make_offices()
    made["SPB"].regions.add(Region.objects.get(code="XX-ZAP"))
    routing.offices_forget()
    return made


@pytest.mark.parametrize(("choice", "language", "shown", "not_shown"), [
    ("names", "ru", ["Свердловская обл", "Запорожская обл"], ["RU-SVE", "UA-23"]),
    ("names", "en", ["Sverdlovsk", "Zaporozhye Oblast"], ["RU-SVE", "UA-23"]),
    ("iso", "ru", ["RU-SVE", "UA-23", "RU-SPE"], ["Запорожская обл"]),
    ("iso", "en", ["RU-SVE", "UA-23", "RU-SPE"], ["Zaporozhye Oblast"]),
])
def test_the_office_cards_show_the_chosen_labels(client, offices, settings, choice,
                                                 language, shown, not_shown):
    settings.CASEDESK_REGION_LABELS = choice
    text = text_of(client.get(f"/{language}/"))
    for label in shown:
        assert label in text, label
    for label in not_shown:
        assert label not in text, label
