"""Lookups on encrypted personal data at the registration desk: the duplicate check and
cases by contact match blind indexes of normalised names, dates, units, phones, emails."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.accounts.roles import Role
from casedesk.intake.selectors import cases_by_contact, possible_duplicates
from casedesk.intake.services import PersonData

BORN = dt.date(1990, 5, 1)


@pytest.fixture
def existing(register):
    """An open case about Артём Ёлкин, unit «в/ч 12345»."""
    return register(service_member=PersonData(
        full_name="Ёлкин Артём Сергеевич", birth_date=BORN, unit="в/ч 12345",
        service_type="mobilized"))


@pytest.fixture
def other(register):
    """An open case about someone else, registered later."""
    return register(
        applicant=PersonData(full_name="Смирнова Ольга Ивановна"),
        service_member=PersonData(full_name="Смирнов Игорь Олегович",
                                  birth_date=dt.date(1985, 1, 2), unit="в/ч 54321"))


def duplicates(clerk, office, **kwargs) -> list:
    return list(possible_duplicates(actor=clerk, office_id=office.pk, **kwargs))


def by_contact(clerk, office, **kwargs) -> list:
    return list(cases_by_contact(actor=clerk, office_id=office.pk, **kwargs))


# ---------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize("name", [
    "Ёлкин Артём Сергеевич",
    "Елкин Артем Сергеевич",
    "ЁЛКИН АРТЁМ СЕРГЕЕВИЧ",
    "  елкин   артем\tсергеевич ",
])
def test_the_same_service_member_is_found_by_name_and_birth_date(
        clerk, office, existing, other, name):
    assert duplicates(clerk, office, full_name=name, birth_date=BORN) == [existing]


@pytest.mark.parametrize("name, unit", [
    ("Ёлкин Артём Сергеевич", "в/ч 12345"),
    ("елкин артем сергеевич", "В/Ч 12345"),
    ("ЕЛКИН  АРТЁМ СЕРГЕЕВИЧ", "  в/ч   12345 "),
])
def test_the_same_service_member_is_found_by_name_and_unit(
        clerk, office, existing, other, name, unit):
    assert duplicates(clerk, office, full_name=name, unit=unit) == [existing]


def test_a_different_birth_date_or_unit_is_another_person(clerk, office, existing, other):
    name = "Ёлкин Артём Сергеевич"
    assert duplicates(clerk, office, full_name=name, birth_date=dt.date(1990, 5, 2)) == []
    assert duplicates(clerk, office, full_name=name, unit="в/ч 12346") == []
    # Either match is enough: a wrong birth date with the right unit still finds the case.
    assert duplicates(clerk, office, full_name=name, birth_date=dt.date(1990, 5, 2),
                      unit="в/ч 12345") == [existing]


def test_a_different_name_is_another_person(clerk, office, existing, other):
    assert duplicates(clerk, office, full_name="Ёлкин Артём Петрович", birth_date=BORN) == []
    assert duplicates(clerk, office, full_name="Ёлкин Артём", unit="в/ч 12345") == []


def test_the_applicant_is_not_taken_for_the_service_member(clerk, office, existing, register):
    """The check is about the subject of a case, not about who wrote."""
    register(applicant=PersonData(full_name="Ёлкин Артём Сергеевич"),
             service_member=PersonData(full_name="Ёлкин Сергей Артёмович", birth_date=BORN))
    assert duplicates(clerk, office, full_name="Ёлкин Артём Сергеевич",
                      birth_date=BORN) == [existing]


def test_several_cases_about_one_person_are_all_found(clerk, office, existing, register):
    again = register(service_member=PersonData(full_name="Елкин Артем Сергеевич",
                                               birth_date=BORN))
    assert duplicates(clerk, office, full_name="ёлкин артём сергеевич",
                      birth_date=BORN) == [again, existing]


def test_nothing_is_looked_up_without_a_name_and_a_second_detail(clerk, office, existing):
    assert duplicates(clerk, office, full_name="", birth_date=BORN) == []
    assert duplicates(clerk, office, full_name="   ", unit="в/ч 12345") == []
    assert duplicates(clerk, office, full_name="Ёлкин Артём Сергеевич") == []
    assert duplicates(clerk, office, full_name="Ёлкин Артём Сергеевич", unit="  ") == []


def test_duplicates_stay_within_the_office(clerk, office, other_office, existing, make_user):
    assert duplicates(clerk, other_office, full_name="Ёлкин Артём Сергеевич",
                      birth_date=BORN) == []
    stranger = make_user(Role.INTAKE_CLERK, other_office)
    assert duplicates(stranger, office, full_name="Ёлкин Артём Сергеевич",
                      birth_date=BORN) == []


def test_a_closed_case_is_not_a_duplicate(clerk, office, existing, staff):
    from casedesk.cases.services import case_transition

    case_transition(actor=staff[Role.INTAKE_CLERK], case=existing, transition="withdraw",
                    reason="Заявитель отозвал обращение")
    assert duplicates(clerk, office, full_name="Ёлкин Артём Сергеевич", birth_date=BORN) == []


# ---------------------------------------------------------------------------- contacts


@pytest.fixture
def with_contacts(register):
    return register(applicant=PersonData(full_name="Ёлкина Анна Петровна",
                                         phone="89123456789", email="Anna.Elkina@Example.org"),
                    service_member=PersonData(full_name="Ёлкин Артём Сергеевич",
                                              birth_date=BORN, phone="+7 (999) 000-11-22",
                                              email="artem@example.org"))


@pytest.mark.parametrize("phone", [
    "+7 (912) 345-67-89", "89123456789", "8 912 345 67 89", "9123456789", "+79123456789",
])
def test_a_case_is_found_by_the_applicants_phone_in_any_format(
        clerk, office, with_contacts, other, phone):
    assert by_contact(clerk, office, phone=phone) == [with_contacts]


def test_a_case_is_found_by_the_service_members_phone(clerk, office, with_contacts, other):
    assert by_contact(clerk, office, phone="8 (999) 000 11 22") == [with_contacts]


def test_another_phone_finds_nothing(clerk, office, with_contacts, other):
    assert by_contact(clerk, office, phone="+7 (912) 345-67-80") == []
    assert by_contact(clerk, office, phone="+7 (913) 345-67-89") == []


@pytest.mark.parametrize("email", [
    "Anna.Elkina@Example.org", "anna.elkina@example.org", " ANNA.ELKINA@EXAMPLE.ORG ",
])
def test_a_case_is_found_by_email(clerk, office, with_contacts, other, email):
    assert by_contact(clerk, office, email=email) == [with_contacts]


def test_an_email_given_in_another_case_finds_both(clerk, office, with_contacts, other,
                                                    register):
    """The same mother writes again about her other son: both cases come up."""
    second = register(applicant=PersonData(full_name="Ёлкина Анна Петровна",
                                           email="anna.elkina@example.org"),
                      service_member=PersonData(full_name="Ёлкин Борис Сергеевич",
                                                birth_date=dt.date(1995, 3, 3)))
    found = by_contact(clerk, office, email="ANNA.ELKINA@example.org")
    assert set(found) == {with_contacts, second}
    assert other not in found
    assert by_contact(clerk, office, email="artem@example.org") == [with_contacts]
    assert by_contact(clerk, office, email="anna.elkina@example.com") == []


def test_phone_or_email_either_matches(clerk, office, with_contacts, other):
    assert by_contact(clerk, office, phone="+7 000 000-00-00",
                      email="artem@example.org") == [with_contacts]


def test_a_case_with_two_matching_people_comes_once(clerk, office, register):
    case = register(applicant=PersonData(full_name="Ёлкина Анна", phone="+7 912 345 67 89"),
                    service_member=PersonData(full_name="Ёлкин Артём", birth_date=BORN,
                                              phone="8-912-345-67-89"))
    assert by_contact(clerk, office, phone="9123456789") == [case]


def test_nothing_for_empty_contacts(clerk, office, with_contacts, register):
    # People without a phone or email have empty indexes: an empty query must not match
    # them (the fixture "register" makes such people).
    register()
    assert by_contact(clerk, office) == []
    assert by_contact(clerk, office, phone="", email="") == []
    assert by_contact(clerk, office, phone="   ", email="  ") == []
    assert by_contact(clerk, office, phone="нет телефона") == []
    # Control: the same call with a real phone finds the case.
    assert by_contact(clerk, office, phone="89123456789") == [with_contacts]


def test_contacts_stay_within_the_office(clerk, office, other_office, with_contacts):
    assert by_contact(clerk, other_office, phone="89123456789") == []
