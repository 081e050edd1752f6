"""Facts from the text on the case page (issue 19): the appeal's text with its facts
marked (escaped: a tag in the text stays text), the legend, the one-click fill of an
empty field (caseworker and supervisor only, audited), in Russian and English."""

from __future__ import annotations

import pytest

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.facts.models import Fact
from casedesk.facts.services import facts_extract
from casedesk.intake.services import PersonData, appeal_register

TEXT = ("Мой сын, рядовой Кузнецов Андрей, служит в войсковой части 74814. "
        "С 12 марта по 5 апреля 2024 года он был в госпитале. <script>alert(1)</script>")
WORDS = {
    "en": ("Facts from the text", "military unit", "Use: в/ч 74814 → military unit",
           "date or period", "The service member&#x27;s field is filled from the text."),
    "ru": ("Факты из текста", "воинская часть", "Взять: в/ч 74814 → воинская часть",
           "дата или период", "Поле военнослужащего заполнено из текста."),
}


@pytest.fixture
def case(staff, office):
    case = appeal_register(
        actor=staff[Role.INTAKE_CLERK], office=office, channel="letter", text=TEXT,
        applicant=PersonData(full_name="Кузнецова Мария Ивановна",
                             postal_address="Тула, ул. Мира, 1"),
        relation="mother", service_member=PersonData(full_name="Кузнецов Андрей"),
        category="other").case
    facts_extract(case_ids=[case.pk])
    return case


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_case_page_marks_the_facts_and_offers_the_unit(client, staff, case, language):
    heading, unit, use, dates, _done = WORDS[language]
    client.force_login(staff[Role.CASEWORKER])

    content = client.get(f"/{language}/staff/cases/{case.number}/").content.decode()

    assert heading in content
    assert f'<mark class="fact fact-unit" title="{unit}: 74814">войсковой части 74814</mark>' \
        in content
    assert (f'<mark class="fact fact-date" title="{dates}: 2024-03-12/2024-04-05">'
            "С 12 марта по 5 апреля 2024 года</mark>") in content
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert use in content


@pytest.mark.parametrize("language", ["ru", "en"])
def test_one_click_fills_the_unit_and_is_audited(client, staff, case, language):
    *_words, done = WORDS[language]
    fact = Fact.objects.filter(case=case, type="UNIT").get()
    client.force_login(staff[Role.CASEWORKER])

    response = client.post(f"/{language}/staff/cases/{case.number}/facts/{fact.pk}/apply/",
                           follow=True)

    assert response.status_code == 200 and done in response.content.decode()
    case.service_member.refresh_from_db()
    assert case.service_member.unit == "в/ч 74814"
    assert AuditEntry.objects.filter(action="person.fact_applied",
                                     object_id=str(case.service_member_id)).exists()
    # Filled: no longer offered.
    content = client.get(f"/{language}/staff/cases/{case.number}/").content.decode()
    assert WORDS[language][2] not in content


def test_a_clerk_sees_the_facts_but_no_button_and_cannot_post(client, staff, case):
    fact = Fact.objects.filter(case=case, type="UNIT").get()
    client.force_login(staff[Role.INTAKE_CLERK])

    content = client.get(f"/en/staff/cases/{case.number}/").content.decode()
    assert "fact-unit" in content and "Use: в/ч 74814" not in content
    assert "Found: в/ч 74814 (military unit is empty)" in content
    response = client.post(f"/en/staff/cases/{case.number}/facts/{fact.pk}/apply/")
    assert response.status_code == 400
    case.service_member.refresh_from_db()
    assert case.service_member.unit == ""


def test_another_office_gets_a_404(client, make_user, other_office, case):
    fact = Fact.objects.filter(case=case, type="UNIT").get()
    client.force_login(make_user(Role.CASEWORKER, other_office))
    response = client.post(f"/en/staff/cases/{case.number}/facts/{fact.pk}/apply/")
    assert response.status_code == 404


BIRTH = {"en": "Use: 1 May 1990 → birth date", "ru": "Взять: 1 мая 1990 г. → дата рождения"}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_one_click_fills_the_birth_date_when_the_text_says_it(client, staff, office,
                                                             language):
    import datetime as dt

    case = appeal_register(
        actor=staff[Role.INTAKE_CLERK], office=office, channel="letter",
        text="Мой сын, рядовой Кузнецов Андрей Викторович, 01.05.1990 г.р., призван "
             "01.10.2022.",
        applicant=PersonData(full_name="Кузнецова Мария Ивановна",
                             postal_address="Тула, ул. Мира, 1"),
        relation="mother", service_member=PersonData(full_name="Кузнецов Андрей Викторович"),
        category="other").case
    facts_extract(case_ids=[case.pk])
    client.force_login(staff[Role.CASEWORKER])
    content = client.get(f"/{language}/staff/cases/{case.number}/").content.decode()
    # One offer: the birth date, not the call-up date (the unit is not named).
    assert content.count("/apply/") == 1 and BIRTH[language] in content
    fact = next(f for f in Fact.objects.filter(case=case, type="DATE")
                if f.normal == "1990-05-01")

    response = client.post(f"/{language}/staff/cases/{case.number}/facts/{fact.pk}/apply/",
                           follow=True)

    assert response.status_code == 200 and WORDS[language][4] in response.content.decode()
    case.service_member.refresh_from_db()
    assert case.service_member.birth_date == dt.date(1990, 5, 1)
    assert AuditEntry.objects.get(action="person.fact_applied").data["fields"] == ["birth_date"]
    content = client.get(f"/{language}/staff/cases/{case.number}/").content.decode()
    assert BIRTH[language] not in content
