"""The registration desk: when an appeal was received, its incoming number, the forwarding
body, the clerks' "to register" queue and the explicit choice on possible duplicates."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from casedesk import rulebook
from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases.deadline_sync import calendar_of
from casedesk.cases.models import Appeal, Case, Document, IncomingEntry
from casedesk.cases.services import case_transition, local_date
from casedesk.deadlines.rules import due_date

from .test_views import REGISTRATION

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def typed(moment: dt.datetime, zone: str = "Europe/Moscow") -> str:
    """``moment`` as a clerk types it into the form, in the office's time zone."""
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def two_office_clerk(make_user, office, other_office):
    return make_user(Role.INTAKE_CLERK, office, other_office, username="desk-clerk")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_letter_received_five_days_ago_counts_its_deadlines_from_that_day(
        client, two_office_clerk, other_office, language):
    client.force_login(two_office_clerk)
    received = timezone.now() - dt.timedelta(days=5)
    response = client.post(f"/{language}/staff/register/", {
        **REGISTRATION, "office": other_office.pk, "received_at": typed(received)})
    case = Case.objects.get()
    assert response.status_code == 302 and case.office == other_office
    day = local_date(received)
    assert local_date(case.received_at) == day
    assert case.state == "registered" and local_date(case.registered_at) == day
    book = rulebook.get(case.rulebook_version)
    for code in ("registration", "answer"):
        deadline = case.deadlines.get(rule=code)
        assert deadline.starts_on == day
        assert deadline.due_on == due_date(book.rules[code], start=day,
                                           calendar=calendar_of(book), today=day)
    assert case.deadlines.get(rule="registration").met is True
    # The incoming number is the other office's, for the year received, on the case page.
    number = f"SPB/{day.year}/00001"
    assert IncomingEntry.objects.get(appeal__case=case).number == number
    page = client.get(response["Location"]).content.decode()
    assert {"ru": f"Вх. № {number}", "en": f"Incoming No. {number}"}[language] in page


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Обращение не может поступить в будущем: проверьте дату и время."),
    ("en", "The appeal cannot have been received in the future: check the date and time."),
])
def test_a_time_received_in_the_future_is_refused(client, staff, language, words):
    client.force_login(staff[Role.INTAKE_CLERK])
    later = typed(timezone.now() + dt.timedelta(hours=2))
    response = client.post(f"/{language}/staff/register/", {**REGISTRATION,
                                                            "received_at": later})
    assert response.status_code == 200 and Case.objects.count() == 0
    assert "received_at" in response.context["form"].errors
    content = response.content.decode()
    assert words in content
    assert later in content and REGISTRATION["applicant_address"] in content  # kept


def test_the_time_received_is_the_offices_local_time(client, make_user):
    far = Office.objects.create(code="VVO", name_ru="Владивосток", name_en="Vladivostok",
                                timezone="Asia/Vladivostok")
    client.force_login(make_user(Role.INTAKE_CLERK, far))
    page = client.get("/en/staff/register/").content.decode()
    now = timezone.now()
    shown = {typed(now - dt.timedelta(minutes=1), far.timezone), typed(now, far.timezone)}
    assert any(f'value="{value}"' in page for value in shown)  # the default: now, there
    received = (now - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    client.post("/en/staff/register/", {**REGISTRATION,
                                        "received_at": typed(received, far.timezone)})
    assert Case.objects.get().received_at == received


@pytest.mark.parametrize(("language", "body_error", "number_error"), [
    ("ru", "Укажите орган, перенаправивший обращение.",
     "Укажите исходящий номер сопроводительного письма органа."),
    ("en", "Name the body that forwarded the appeal.",
     "Give the outgoing number of the body's covering letter."),
])
def test_the_forwarded_channel_needs_the_body_and_its_number(client, staff, language,
                                                             body_error, number_error):
    client.force_login(staff[Role.INTAKE_CLERK])
    url = f"/{language}/staff/register/"
    page = client.get(url).content.decode()
    assert 'name="sender_body"' in page and 'value="forwarded"' in page  # no script needed
    response = client.post(url, {**REGISTRATION, "channel": "forwarded"})
    assert response.status_code == 200 and Case.objects.count() == 0
    errors = response.context["form"].errors
    assert errors["sender_body"] == [body_error] and errors["sender_number"] == [number_error]
    # The same fields are not asked for the other channels.
    assert client.post(url, {**REGISTRATION, "channel": "email"}).status_code == 302
    response = client.post(url, {**REGISTRATION, "channel": "forwarded",
                                 "member_name": "Третий Человек",
                                 "sender_body": "Военная прокуратура гарнизона",
                                 "sender_number": "7/2-1184", "sender_date": "2026-03-05"})
    appeal = Appeal.objects.get(channel="forwarded")
    assert (appeal.sender_body, appeal.sender_number, appeal.sender_date) == (
        "Военная прокуратура гарнизона", "7/2-1184", dt.date(2026, 3, 5))
    page = client.get(response["Location"]).content.decode()
    assert "Военная прокуратура гарнизона" in page and "7/2-1184" in page


def test_the_to_register_queue_holds_the_clerks_offices_received_cases(
        client, staff, register, other_office, make_user):
    now = timezone.now()
    older = register(channel="web", at=now - dt.timedelta(days=2))
    newer = register(channel="api", at=now - dt.timedelta(hours=3))
    register(at=now - dt.timedelta(days=1))  # a letter: registered at the desk already
    done = register(channel="web", at=now - dt.timedelta(days=3))
    case_transition(actor=staff[Role.INTAKE_CLERK], case=done, transition="register")
    elsewhere = register(channel="web", at=now - dt.timedelta(days=4), office=other_office,
                         actor=make_user(Role.INTAKE_CLERK, other_office))
    client.force_login(staff[Role.INTAKE_CLERK])
    response = client.get("/ru/staff/")  # the clerk lands on it
    assert response.context["queue"] == "to_register"
    assert [case for case, _left in response.context["rows"]] == [older, newer]
    assert response.context["counts"]["to_register"] == 2
    content = response.content.decode()
    assert "К регистрации" in content and elsewhere.number not in content
    # Its deadline column is the registration deadline.
    assert older.next_due_on == older.deadlines.get(rule="registration").due_on
    # Others land on their own cases, and can open the queue.
    client.force_login(staff[Role.CASEWORKER])
    assert client.get("/en/staff/").context["queue"] == "mine"
    response = client.get("/en/staff/?queue=to_register")
    assert [case for case, _left in response.context["rows"]] == [older, newer]
    assert "To register" in response.content.decode()


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Выберите, что сделать с обращением: добавить его к одному из найденных дел или "
           "открыть новое дело."),
    ("en", "Choose what to do with this appeal: add it to one of the cases found, or open a "
           "new case."),
])
def test_a_possible_duplicate_needs_an_explicit_choice(client, staff, language, words):
    client.force_login(staff[Role.INTAKE_CLERK])
    url = f"/{language}/staff/register/"
    client.post(url, REGISTRATION)
    first = Case.objects.get()
    again = {**REGISTRATION, "text": "Второе письмо: отпуск так и не дали."}
    response = client.post(url, {**again, "action": "check"})
    content = response.content.decode()
    assert first.number in content and 'value="new"' in content
    assert "checked" not in content.split('id="possible-duplicates"')[1].split("</fieldset>")[0]
    response = client.post(url, {**again, "action": "save"})  # no choice made
    assert response.status_code == 400
    content = response.content.decode()
    assert words in content and again["text"] in content  # what was typed is kept
    assert Case.objects.count() == 1 and Appeal.objects.count() == 1
    response = client.post(url, {**again, "action": "save", "attach_to": first.number})
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert [a.text for a in first.appeals.order_by("pk")][-1] == again["text"]
    assert IncomingEntry.objects.filter(appeal__case=first).count() == 2


def test_an_attachment_chosen_again_on_the_second_submit_is_kept(client, staff):
    client.force_login(staff[Role.INTAKE_CLERK])
    with translation.override("en"):
        url = reverse("staff:register")
    client.post(url, REGISTRATION)
    first = Case.objects.get()
    scan = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**REGISTRATION, "action": "check", "document": scan,
                                 "document_type": "other"})
    # The browser will not send the file again: the clerk is told to choose it again.
    assert "The attachment you chose was not kept" in response.content.decode()
    assert Document.objects.count() == 0
    scan = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**REGISTRATION, "action": "save", "attach_to": "new",
                                 "document": scan, "document_type": "other"})
    assert response.status_code == 302
    new = Case.objects.exclude(pk=first.pk).get()
    document = Document.objects.get()
    assert document.case == new and document.appeal == new.appeals.get()


def test_a_web_appeal_registered_from_its_case_page_gets_the_next_number(
        client, staff, register):
    letter = register(at=timezone.now() - dt.timedelta(days=2))
    web = register(channel="web", at=timezone.now() - dt.timedelta(days=1))
    client.force_login(staff[Role.INTAKE_CLERK])
    url = reverse("staff:transition", args=[web.number, "register"])
    response = client.post(url, {"register-transition": "register"})
    assert response.status_code == 302
    web.refresh_from_db()
    assert web.state == "registered"
    year = local_date(letter.received_at).year
    assert IncomingEntry.objects.get(appeal__case=web).number == f"MSK/{year}/00002"
    with translation.override("ru"):  # the page in Russian, whatever a test before left
        case_url = reverse("staff:case", args=[web.number])
    page = client.get(case_url).content.decode()
    assert f"Вх. № MSK/{year}/00002" in page
    # Staff find it by that number in the queue search.
    response = client.get(reverse("staff:queues"), {"queue": "all",
                                                    "q": f"msk/{year}/2"})
    assert [case for case, _left in response.context["rows"]] == [web]
