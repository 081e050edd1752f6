"""Regions (issue 16, point 3): the 89 federal subjects of the Constitution's art. 65
under keys that never change, each with its Russian administrative name, its English
name and its ISO 3166-2 code; the data migration adds what was missing without moving
anything that offices, members and statistics already point at."""

from __future__ import annotations

import pytest
from django.utils import translation

from casedesk.core.models import Region
from casedesk.core.reference import load_regions
from casedesk.intake import routing
from casedesk.intake import services as intake_services
from casedesk.intake.public import appeal_submit
from casedesk.intake.tests.test_routing import make_offices, office_of, submission

# The four subjects art. 65 lists since October 2022: internal key → (ISO 3166-2 code,
# Russian administrative name, English name).
ADDED_2022 = {
    "XX-DON": ("UA-14", "Донецкая Народная Респ", "Donetsk People's Republic"),
    "XX-LUH": ("UA-09", "Луганская Народная Респ", "Luhansk People's Republic"),
    "XX-ZAP": ("UA-23", "Запорожская обл", "Zaporozhye Oblast"),
    "XX-KHE": ("UA-65", "Херсонская обл", "Kherson Oblast"),
}


@pytest.mark.django_db
def test_the_89_subjects_exist_with_unique_keys_names_and_iso_codes():
    subjects = list(Region.objects.filter(federal_subject=True))
    assert len(subjects) == 89
    assert len({r.code for r in subjects}) == 89
    assert len({r.iso_code for r in subjects}) == 89
    assert all(r.name_ru and r.name_en and r.iso_code for r in subjects)
    for key, (iso, name_ru, name_en) in ADDED_2022.items():
        region = Region.objects.get(code=key)
        assert (region.iso_code, region.name_ru, region.name_en) == (iso, name_ru, name_en)
    # The keys that existed keep their meaning: routing, statistics and the API hold them.
    assert Region.objects.get(code="RU-MOW").name_en == "Moscow"
    assert Region.objects.get(code="RU-SVE").iso_code == "RU-SVE"
    assert Region.objects.get(code="UA-43").name_ru == "Респ Крым"
    # Baikonur is in the FIAS register but is not a federal subject: kept, not counted.
    assert not Region.objects.get(code="KZ-BAY").federal_subject


def _as_before_the_migration() -> dict[str, int]:
    """The regions table as it was before: the 86 rows without the four and without ISO
    codes. Returns the ids by key."""
    Region.objects.filter(code__in=ADDED_2022).delete()
    Region.objects.update(iso_code="", federal_subject=True)
    intake_services.region_ids_forget()
    return dict(Region.objects.values_list("code", "id"))


@pytest.mark.django_db
def test_the_data_migration_adds_the_four_and_keeps_every_existing_row():
    before = _as_before_the_migration()
    assert len(before) == 86

    assert load_regions(Region) == 4
    after = dict(Region.objects.values_list("code", "id"))
    assert {k: after[k] for k in before} == before  # same keys, same ids
    assert set(after) - set(before) == set(ADDED_2022)
    assert Region.objects.get(code="RU-TVE").iso_code == "RU-TVE"
    assert load_regions(Region) == 0  # run again: nothing changes


@pytest.mark.django_db
def test_routing_still_sends_an_appeal_from_an_existing_region_to_its_office(settings):
    """Offices set up before the migration keep their regions; the new keys route too."""
    settings.CASEDESK_REGION_LABELS = "iso"  # labels never decide where an appeal goes
    _as_before_the_migration()
    offices = make_offices()  # KSM and SVO serve Sverdlovsk, MSK (default) Moscow
    load_regions(Region)
    intake_services.region_ids_forget()
    routing.offices_forget()

    assert office_of(appeal_submit(**submission(1, member="RU-SVE"))) == "KSM"
    assert office_of(appeal_submit(**submission(2, member="RU-SPE"))) == "SPB"
    assert office_of(appeal_submit(**submission(3, member="RU-MOW"))) == "MSK"
    # A new subject no office serves yet goes to the default office; once SPB serves it,
    # there.
    assert office_of(appeal_submit(**submission(4, member="XX-DON"))) == "MSK"
    offices["SPB"].regions.add(Region.objects.get(code="XX-DON"))
    routing.offices_forget()
    assert office_of(appeal_submit(**submission(5, member="XX-DON"))) == "SPB"


@pytest.mark.django_db
@pytest.mark.parametrize(("choice", "language", "expected"), [
    ("names", "ru", ["Донецкая Народная Респ", "Свердловская обл"]),
    ("names", "en", ["Donetsk People's Republic", "Sverdlovsk"]),
    ("iso", "ru", ["UA-14", "RU-SVE"]),
    ("iso", "en", ["UA-14", "RU-SVE"]),
])
def test_a_region_is_labelled_as_the_deployment_chose(settings, choice, language, expected):
    settings.CASEDESK_REGION_LABELS = choice
    with translation.override(language):
        assert [Region.objects.get(code=k).label() for k in ("XX-DON", "RU-SVE")] == expected
