"""The one appeal schema: each rule refuses bad input once, with its code and field, and the
limits are the database columns'."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from pydantic import ValidationError

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case
from casedesk.core.errors import ApplicationError
from casedesk.intake import schema
from casedesk.intake.services import PersonData, appeal_check, appeal_register
from casedesk.people.models import Person

pytestmark = pytest.mark.django_db


def appeal(**changes) -> dict:
    data = {
        "channel": "letter", "relation": "mother", "text": "Сына записали в СОЧ.",
        "request": "Исправить запись.",
        "applicant": {"full_name": "Иванова Анна", "email": "anna@example.org",
                      "phone": "+7 900 000-00-00", "postal_address": "Москва"},
        "service_member": {"full_name": "Иванов Пётр", "birth_date": dt.date(1990, 5, 1),
                           "unit": "12345", "service_type": "mobilized",
                           "region_code": "RU-MOW"},
    }
    for name, value in changes.items():
        if "__" in name:
            person, field = name.split("__")
            data[person] = {**data[person], field: value}
        else:
            data[name] = value
    return data


def refusals(data: dict, **context) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        schema.AppealIn.model_validate(data, context=context or None)
    return {name: [error.code for error in errors]
            for name, errors in schema.problems(refused.value).items()}


def test_a_good_appeal_passes_cleaned():
    checked = schema.AppealIn.model_validate(appeal(text="  Текст  ",
                                                    applicant__full_name=" Иванова   Анна "))
    assert checked.text == "Текст"
    assert checked.applicant.full_name == "Иванова Анна"
    assert checked.subject.region_code == "RU-MOW"


RULES = [
    # (change, field, code)
    ({"channel": "pigeon"}, "channel", "unknown_channel"),
    ({"relation": "neighbour"}, "relation", "unknown_relation"),
    ({"text": "   "}, "text", "missing_text"),
    ({"text": "я" * (schema.TEXT_MAX + 1)}, "text", "too_long"),
    ({"text": "a\x00b"}, "text", "bad_characters"),
    ({"text": "a\udc80b"}, "text", "bad_characters"),
    ({"request": "я" * (schema.REQUEST_MAX + 1)}, "request", "too_long"),
    ({"language": "de"}, "language", "unknown_language"),
    ({"category": "space_travel"}, "category", "unknown_category"),
    ({"category": "other", "subcategory": "nonsense"}, "subcategory", "unknown_subcategory"),
    ({"applicant__full_name": "  "}, "applicant.full_name", "missing_name"),
    ({"applicant__full_name": "я" * (schema.NAME_MAX + 1)}, "applicant.full_name", "too_long"),
    ({"applicant__email": "not-an-address"}, "applicant.email", "bad_email"),
    ({"applicant__email": "a" * 250 + "@x.org"}, "applicant.email", "too_long"),
    ({"applicant__phone": "1" * (schema.PHONE_MAX + 1)}, "applicant.phone", "too_long"),
    ({"applicant__postal_address": "д" * (schema.ADDRESS_MAX + 1)},
     "applicant.postal_address", "too_long"),
    ({"service_member": None}, "service_member", "missing_service_member"),
    ({"service_member__full_name": ""}, "service_member.full_name", "missing_name"),
    ({"service_member__unit": "9" * (schema.UNIT_MAX + 1)}, "service_member.unit",
     "too_long"),
    ({"service_member__service_type": "pirate"}, "service_member.service_type",
     "unknown_service_type"),
    ({"service_member__region_code": "RU-XX"}, "service_member.region_code",
     "unknown_region"),
    ({"service_member__birth_date": dt.date(1899, 12, 31)}, "service_member.birth_date",
     "implausible_birth_date"),
    ({"service_member__birth_date": timezone.localdate() + dt.timedelta(days=1)},
     "service_member.birth_date", "implausible_birth_date"),
]


@pytest.mark.parametrize(("change", "field", "code"), RULES,
                         ids=[f"{field}:{code}" for _c, field, code in RULES])
def test_each_rule_refuses_bad_input_at_its_field(change, field, code):
    assert refusals(appeal(**change)) == {field: [code]}


@pytest.mark.parametrize(("change", "field", "code"), RULES,
                         ids=[f"{field}:{code}" for _c, field, code in RULES])
def test_the_services_give_the_same_code_and_a_message(change, field, code):
    data = appeal(**change)
    if "category" in data or "language" in data:
        return  # not arguments of appeal_check: case_prepare and the channels check them
    member = data["service_member"]
    with pytest.raises(ApplicationError) as refused:
        appeal_check(channel=data["channel"], relation=data["relation"], text=data["text"],
                     request=data["request"], applicant=PersonData(**data["applicant"]),
                     service_member=PersonData(**member) if member else None)
    assert refused.value.code == code
    assert str(refused.value)


def test_every_problem_is_reported_at_once_in_the_channels_words():
    data = appeal(relation="neighbour", text="", applicant__email="nope",
                  service_member__region_code="XX-XX")
    with pytest.raises(ValidationError) as refused:
        schema.AppealIn.model_validate(data)
    with translation.override("en"):
        found = schema.messages(refused.value, words={"unknown_region": "Which region?"})
    assert set(found) == {"relation", "text", "applicant.email", "service_member.region_code"}
    assert found["service_member.region_code"] == ["Which region?"]
    assert found["text"] == ["Write what happened: the appeal is empty."]


def test_the_birth_date_is_checked_against_the_day_of_the_appeal():
    born = dt.date(2026, 3, 5)
    data = appeal(service_member__birth_date=born)
    assert refusals(data, on=dt.date(2026, 3, 4)) == {
        "service_member.birth_date": ["implausible_birth_date"]}
    schema.AppealIn.model_validate(data, context={"on": dt.date(2026, 3, 5)})


def test_a_relation_other_than_self_needs_the_service_member_unless_the_case_has_one():
    assert refusals(appeal(service_member=None)) == {
        "service_member": ["missing_service_member"]}
    schema.AppealIn.model_validate(appeal(service_member=None, new_case=False))


def test_a_service_member_writing_for_himself_is_one_person_with_the_service_details():
    checked = schema.AppealIn.model_validate(appeal(
        relation="self", applicant__region_code="RU-SPE", service_member__full_name=""))
    assert checked.service_member is None  # not read: no missing name for it
    assert checked.subject is checked.applicant
    me = checked.applicant
    assert (me.full_name, me.unit, me.service_type, me.region_code, me.birth_date) == (
        "Иванова Анна", "12345", "mobilized", "RU-MOW", dt.date(1990, 5, 1))
    # What the applicant's details hold already stays (the region aside).
    given = schema.AppealIn.model_validate(appeal(relation="self", applicant__unit="999"))
    assert given.applicant.unit == "999"
    # The applicant's own region where the service member's is not given.
    alone = schema.AppealIn.model_validate(appeal(
        relation="self", applicant__region_code="RU-SPE", service_member__region_code=""))
    assert alone.applicant.region_code == "RU-SPE"
    # Whose name is missing is said in the service member's words.
    with pytest.raises(ApplicationError) as refused:
        appeal_check(channel="letter", relation="self", text="Текст",
                     applicant=PersonData(full_name=""))
    with translation.override("en"):
        assert str(refused.value) == "Give the service member's full name."
    assert appeal_check(channel="letter", relation="self", text="Текст",
                        applicant=PersonData(full_name="Петров")).subject.service_type \
        == "unknown"


LIMITS = [
    (schema.NAME_MAX, Person, "full_name", "applicant.full_name"),
    (schema.EMAIL_MAX, Person, "email", "applicant.email"),
    (schema.PHONE_MAX, Person, "phone", "applicant.phone"),
    (schema.UNIT_MAX, Person, "unit", "service_member.unit"),
    (schema.CATEGORY_MAX, Case, "category", None),
    (schema.SENDER_BODY_MAX, Appeal, "sender_body", None),
    (schema.SENDER_NUMBER_MAX, Appeal, "sender_number", None),
]


@pytest.mark.parametrize(("limit", "model", "column", "field"), LIMITS,
                         ids=[f"{m.__name__}.{c}" for _l, m, c, _f in LIMITS])
def test_the_limits_are_the_database_columns(limit, model, column, field):
    assert limit == model._meta.get_field(column).max_length
    if field is None:
        return
    person, name = field.split(".")
    value = ("a" * (limit - 6) + "@x.org") if name == "email" else "9" * limit
    schema.AppealIn.model_validate(appeal(**{f"{person}__{name}": value}))
    longer = ("a" * (limit - 5) + "@x.org") if name == "email" else "9" * (limit + 1)
    assert refusals(appeal(**{f"{person}__{name}": longer})) == {field: ["too_long"]}


def test_appeal_register_takes_a_draft_or_the_fields_never_both(office, staff):
    clerk = staff[Role.INTAKE_CLERK]
    draft = appeal_check(channel="letter", relation="self", text="Текст",
                         applicant=PersonData(full_name="Петров Иван"))
    with pytest.raises(TypeError, match="not both: text"):
        appeal_register(actor=clerk, office=office, draft=draft, text="Другой текст")
    with pytest.raises(TypeError, match="needs a draft"):
        appeal_register(actor=clerk, office=office, channel="letter", text="Текст")
    appeal = appeal_register(actor=clerk, office=office, draft=draft)
    assert (appeal.channel, appeal.text) == ("letter", "Текст")
    assert appeal.case.applicant_links.get().relation == "self"
