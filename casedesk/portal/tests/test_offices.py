"""The portal names who the applicant writes to: the offices with their regions, addresses,
contacts and hours on the start and form pages, the data controller in the consent; the
appeal goes to the office serving the region (or the one chosen where several do), and the
receipt and the status page name that office with its address, in both languages."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from casedesk.accounts.models import Office
from casedesk.cases.models import Case
from casedesk.core.models import Region
from casedesk.intake import routing
from casedesk.intake.tests.test_routing import make_offices

from .test_views import appeal_data, form_key


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def offices(db):
    made = make_offices()
    Office.objects.filter(code="MSK").update(
        phone="+7 495 000-00-01", email="priemnaya@casedesk.example",
        hours_ru="пн–чт 9:00–18:00", hours_en="Mon–Thu 9:00–18:00",
        controller_ru="ГКУ «Аппарат Уполномоченного»", controller_en="The Ombudsman's Staff")
    routing.offices_forget()
    return made


def region(code: str) -> int:
    return Region.objects.get(code=code).pk


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def send(client, language="ru", **changes):
    response = client.post(f"/{language}/appeal/",
                           appeal_data(form_key(client, language), **changes))
    assert response.status_code == 302, text_of(response)[:3000]
    receipt = client.get(reverse("portal:receipt"))
    number = re.search(r"<strong>([A-Z]+-\d{4}-\d{6})</strong>", receipt.content.decode())
    return Case.objects.get(number=number.group(1)), text_of(receipt)


@pytest.mark.parametrize(("language", "address", "hours", "heading"), [
    ("ru", "Москва, ул. Примерная, 1", "пн–чт 9:00–18:00", "Организация, рассматривающая"),
    ("en", "1 Primernaya St, Moscow", "Mon–Thu 9:00–18:00", "The office handling your appeal"),
])
def test_a_moscow_appeal_reaches_moscow_and_the_receipt_and_status_name_it(
        client, offices, language, address, hours, heading):
    case, receipt = send(client, language, member_region=region("RU-MOW"))
    assert case.office.code == "MSK"
    for page in (receipt, text_of(client.get(reverse("portal:receipt")))):
        assert heading in page and address in page and hours in page
        assert "priemnaya@casedesk.example" in page and 'href="tel:+74950000001"' in page
        assert "Санкт-Петербург, ул. Примерная" not in page  # only the office of the case


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_status_page_names_the_office_handling_the_case(client, offices, language):
    response = client.post(f"/{language}/appeal/", appeal_data(
        form_key(client, language), member_region=region("RU-SPE")))
    assert response.status_code == 302
    receipt = client.get(reverse("portal:receipt")).content.decode()
    number = re.search(r"<strong>([A-Z]+-\d{4}-\d{6})</strong>", receipt).group(1)
    code = re.search(r'class="code">([A-Z0-9-]+)<', receipt).group(1)
    assert number.startswith("SPB-")
    client.post(f"/{language}/status/", {"case_number": number, "access_code": code})
    page = text_of(client.get(f"/{language}/status/case/"))
    name, address = {"ru": ("Санкт-Петербург", "Санкт-Петербург, ул. Примерная, 1"),
                     "en": ("St Petersburg", "1 Primernaya St, St Petersburg")}[language]
    assert {"ru": "Организация, рассматривающая обращение",
            "en": "The office handling your appeal"}[language] in page
    assert f"<strong>{name}</strong>" in page and address in page


def test_the_member_region_wins_and_the_applicants_region_is_used_without_it(client,
                                                                          offices):
    case, _ = send(client, member_region=region("RU-SVE"), applicant_region=region("RU-MOW"))
    assert case.office.code == "KSM"
    case, _ = send(client, text="Второе", applicant_region=region("RU-SPE"))
    assert case.office.code == "SPB"
    assert case.appeals.get().submitter.region.code == "RU-SPE"
    case, _ = send(client, text="Третье", member_region=region("RU-KDA"))
    assert case.office.code == "MSK"  # nobody serves Krasnodar: the default office


def test_a_chosen_office_is_honoured_or_refused_with_a_clear_error(client, offices):
    form = text_of(client.get("/en/appeal/"))
    assert 'name="office"' in form
    assert "Sverdlovsk Ombudsman (Sverdlovsk Oblast)" in form or \
        "Sverdlovsk Ombudsman (" in form
    case, _ = send(client, member_region=region("RU-SVE"), office="SVO")
    assert case.office.code == "SVO"
    refused = client.post("/en/appeal/", appeal_data(form_key(client, "en"), text="Другое",
                                                     member_region=region("RU-SVE"),
                                                     office="SPB"))
    assert refused.status_code == 400
    assert "The office you chose does not receive appeals from the region" in text_of(refused)
    refused = client.post("/ru/appeal/", appeal_data(form_key(client, "ru"), text="Другое",
                                                     member_region=region("RU-SVE"),
                                                     office="SPB"))
    assert "не принимает обращения из региона" in text_of(refused)
    assert Case.objects.count() == 1


def test_without_a_choice_to_make_the_form_has_no_office_field(client, offices):
    offices["SVO"].regions.clear()
    assert 'name="office"' not in client.get("/en/appeal/").content.decode()
    case, _ = send(client, "en", member_region=region("RU-SVE"), office="SVO")
    assert case.office.code == "KSM"  # (a stray field is ignored)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_start_and_form_pages_list_the_offices_and_their_regions(client, offices,
                                                                     language):
    words = {"ru": ("Куда вы пишете", "Обслуживаемые регионы", "Часы приёма",
                    "обращения из других регионов"),
             "en": ("Who you are writing to", "Regions served", "Opening hours",
                    "appeals from other regions")}[language]
    for page in (f"/{language}/", f"/{language}/appeal/"):
        text = text_of(client.get(page))
        for word in words:
            assert word in text, (page, word)
        for code, office in offices.items():
            assert office.name(language) in text and office.address(language) in text, code
        assert str(Region.objects.get(code="RU-SVE").name_en if language == "en"
                   else Region.objects.get(code="RU-SVE").name_ru) in text


def test_the_consent_names_the_data_controller(client, offices):
    text = text_of(client.get("/en/appeal/"))
    assert "Data controllers: The Ombudsman's Staff (MSK);" in text
    Office.objects.exclude(code="MSK").update(is_active=False)
    routing.offices_forget()
    text = text_of(client.get("/ru/appeal/"))
    assert "оператору персональных данных — ГКУ «Аппарат Уполномоченного» — на обработку" in text
    text = text_of(client.get("/en/appeal/"))
    assert "I agree that The Ombudsman's Staff processes the personal data" in text
    assert "Regions served" not in text  # one office: nothing to tell apart


def test_the_pages_read_the_offices_once(client, offices, django_assert_max_num_queries):
    client.get("/en/")
    routing.office_map()
    with django_assert_max_num_queries(0):
        client.get("/en/")
