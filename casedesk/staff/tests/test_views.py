"""The staff pages: constant queries on lists, the registration desk, actions and errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case
from casedesk.cases.services import case_transition
from casedesk.intake.services import PersonData


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def make_cases(register, staff, n, start=0):
    for i in range(n):
        case = register(service_member=PersonData(full_name=f"Петров {start + i}"),
                        at=timezone.now() - dt.timedelta(days=i))
        case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")


@pytest.mark.parametrize("queue", ["mine", "open", "all", "overdue", "unassigned"])
def test_queue_pages_run_a_constant_number_of_queries(client, staff, register, queue):
    client.force_login(staff[Role.SUPERVISOR])
    url = reverse("staff:queues") + f"?queue={queue}"
    make_cases(register, staff, 3)
    few = queries(client, url)
    make_cases(register, staff, 30, start=3)
    assert queries(client, url) == few
    # A search: its own query, and its audit entry (the chain's lock, its head, the row);
    # and its own count, where the queue "all" shows the count of its tab.
    assert queries(client, url + "&q=госпиталь") <= few + 4 + (queue == "all")


def test_case_page_runs_a_constant_number_of_queries(client, staff, register):
    client.force_login(staff[Role.CASEWORKER])
    small = register()
    big = register()
    for i in range(5):
        from casedesk.cases.services import note_add

        note_add(actor=staff[Role.CASEWORKER], case=big, text=f"Заметка {i}")
        register(attach_to=big, applicant=PersonData(full_name=f"Родственник {i}"),
                 relation="other_relative")
    assert queries(client, reverse("staff:case", args=[small.number])) == \
        queries(client, reverse("staff:case", args=[big.number]))


def test_supervisor_page_runs_a_constant_number_of_queries(client, staff, register):
    client.force_login(staff[Role.SUPERVISOR])
    make_cases(register, staff, 2)
    few = queries(client, reverse("staff:supervisor"))
    make_cases(register, staff, 10, start=2)
    assert queries(client, reverse("staff:supervisor")) == few


def test_queue_sorted_by_nearest_deadline_and_counts(client, staff, register):
    client.force_login(staff[Role.SUPERVISOR])
    old = register(at=timezone.now() - dt.timedelta(days=40))
    new = register(at=timezone.now() - dt.timedelta(days=1))
    response = client.get(reverse("staff:queues") + "?queue=open")
    text = response.content.decode()
    assert text.index(old.number) < text.index(new.number)
    assert response.context["counts"]["open"] == 2
    assert response.context["counts"]["overdue"] == 1


def test_queue_filters_by_category_and_state(client, staff, register):
    client.force_login(staff[Role.SUPERVISOR])
    awol = register()
    pay = register(category="pay_suspended")
    response = client.get(reverse("staff:queues") + "?queue=all&category=pay_suspended")
    assert pay.number in response.content.decode()
    assert awol.number not in response.content.decode()
    response = client.get(reverse("staff:queues") + "?queue=all&state=closed")
    assert response.context["page"].paginator.count == 0


def test_htmx_request_gets_only_the_table(client, staff, register):
    client.force_login(staff[Role.SUPERVISOR])
    register()
    response = client.get(reverse("staff:queues") + "?queue=all", HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"<table>" in response.content


REGISTRATION = {
    # An hour ago in the office's time (Moscow, the demo's and the tests' offices).
    "received_at": timezone.localtime(timezone.now() - dt.timedelta(hours=1))
    .strftime("%Y-%m-%dT%H:%M"),
    "channel": "letter", "text": "Мужа не отпускают в отпуск с весны.",
    "request": "Прошу содействия", "language": "ru", "category": "leave_rotation",
    "applicant_name": "Сидорова Мария", "relation": "wife",
    "applicant_address": "Казань, ул. Примерная, 5", "member_name": "Сидоров Олег",
    "member_birth_date": "1988-04-02", "member_unit": "54321",
    "member_service_type": "mobilized",
}


def test_registration_desk_opens_a_registered_case(client, staff):
    client.force_login(staff[Role.INTAKE_CLERK])
    response = client.post(reverse("staff:register"), REGISTRATION)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{case.number}/")
    assert case.state == "registered" and case.category == "leave_rotation"
    assert case.service_member.unit == "54321"


def test_registration_desk_offers_existing_cases_of_the_same_person(client, staff):
    client.force_login(staff[Role.INTAKE_CLERK])
    client.post(reverse("staff:register"), REGISTRATION)
    first = Case.objects.get()
    response = client.post(reverse("staff:register"), {**REGISTRATION, "action": "check",
                                                       "member_name": "сидоров  олег"})
    assert response.status_code == 200
    assert first.number in response.content.decode()
    assert Case.objects.count() == 1 and Appeal.objects.count() == 1  # nothing saved yet
    response = client.post(reverse("staff:register"), {**REGISTRATION, "action": "save",
                                                       "attach_to": first.number})
    assert Case.objects.count() == 1 and Appeal.objects.count() == 2
    # or the clerk decides it is a new matter (explicitly: there is no default)
    client.post(reverse("staff:register"), {**REGISTRATION, "action": "save",
                                            "attach_to": "new"})
    assert Case.objects.count() == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"text": ""}, "text"),
    ({"member_name": ""}, "member_name"),
    ({"applicant_email": "not-an-email"}, "applicant_email"),
    ({"category": "nonsense"}, "category"),
])
def test_registration_errors_keep_what_was_typed(client, staff, change, field):
    client.force_login(staff[Role.INTAKE_CLERK])
    response = client.post(reverse("staff:register"), {**REGISTRATION, **change})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert REGISTRATION["applicant_address"] in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("language", ["ru", "en"])
def test_registration_refused_attachment_saves_nothing_and_says_why(client, staff, language):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff[Role.INTAKE_CLERK])
    bad = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(f"/{language}/staff/register/", {**REGISTRATION, "document": bad,
                                                            "document_type": "contract"})
    assert response.status_code == 400
    assert Case.objects.count() == 0
    words = {"en": "Only PDF, JPEG, PNG, WebP or HEIC files can be added.",
             "ru": "Можно добавлять только файлы PDF, JPEG, PNG, WebP или HEIC."}[language]
    assert words in response.content.decode()


def test_transition_without_its_required_field_shows_the_error(client, staff, register):
    client.force_login(staff[Role.CASEWORKER])
    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    with translation.override("en"):
        url = reverse("staff:transition", args=[case.number, "request_information"])
    response = client.post(url, {"request_information-transition": "request_information",
                                 "request_information-message": ""})
    assert response.status_code == 400
    assert "Write the message to the applicant." in response.content.decode()
    case.refresh_from_db()
    assert case.state == "in_review"
    client.post(url, {"request_information-transition": "request_information",
                      "request_information-message": "Пришлите выписку"})
    case.refresh_from_db()
    assert case.state == "awaiting_information"


def test_refused_move_in_russian(client, staff, register):
    client.force_login(staff[Role.CASEWORKER])
    case = register()
    url = f"/ru/staff/cases/{case.number}/move/close/"
    response = client.post(url, {"close-transition": "close"})
    assert response.status_code == 400
    assert "нельзя" in response.content.decode()


def test_staff_issue_an_access_code_that_opens_the_status_page(client, staff, register):
    from casedesk.core.secrets import access_code_matches

    case = register()
    client.force_login(staff[Role.INTAKE_CLERK])
    response = client.post(reverse("staff:access_code", args=[case.number]), follow=True)
    text = response.content.decode()
    code = __import__("re").search(r"([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)
    case.refresh_from_db()
    assert access_code_matches(code, case.access_code_hash)
    client.force_login(staff[Role.ANALYST])
    assert client.post(reverse("staff:access_code", args=[case.number])).status_code == 404


def test_the_register_forms_lengths_are_the_appeal_schemas(db):
    from casedesk.intake import schema
    from casedesk.staff.forms import RegisterForm

    fields = RegisterForm().fields
    assert (fields["applicant_name"].max_length, fields["member_unit"].max_length,
            fields["text"].max_length) == (schema.NAME_MAX, schema.UNIT_MAX, schema.TEXT_MAX)


@pytest.mark.parametrize(("unit", "language", "shown"), [
    ("74814", "ru", "в/ч 74814"),
    ("74814", "en", "unit 74814"),
    ("в/ч 74814", "ru", "в/ч 74814"),
    ("в/ч 74814", "en", "в/ч 74814"),
    ("войсковая часть 74814", "ru", "войсковая часть 74814"),
    ("ВЧ74814", "en", "ВЧ74814"),
])
def test_the_case_page_names_the_unit_once(client, staff, register, unit, language, shown):
    """A unit typed as a number gets the word for a unit; one written with its kind
    («в/ч 74814», as appeals write it) is shown as written, never «в/ч в/ч 74814»."""
    case = register(service_member=PersonData(full_name="Кузнецов Андрей Викторович",
                                              unit=unit))
    client.force_login(staff[Role.CASEWORKER])
    page = client.get(f"/{language}/staff/cases/{case.number}/").content.decode()
    assert f"· {shown}" in page
    assert "в/ч в/ч" not in page and "unit в/ч" not in page
    assert "unit unit" not in page and "в/ч unit" not in page
