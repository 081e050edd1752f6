"""The person page and merging from it (staff.person_views): both languages, another
office's cases hidden and counted, a merged-away record's address leads to the kept one,
roles that read no cases are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.cases.services import note_add
from casedesk.intake.services import PersonData
from casedesk.people.models import Person

MEMBER = "Кузнецов Андрей Викторович"


@pytest.fixture
def his_cases(register, staff, office, other_office, make_user):
    """One man: a Moscow case by his mother (unit 74814), a second Moscow case by his wife
    under a second record (unit 12345), and a St Petersburg case by his mother."""
    mother = register(
        applicant=PersonData(full_name="Кузнецова Мария Ивановна", phone="+7 903 000-11-22"),
        relation="mother",
        service_member=PersonData(full_name=MEMBER, birth_date=dt.date(1994, 3, 2),
                                  unit="в/ч 74814", service_type="mobilized"),
        received_at=timezone.now() - dt.timedelta(days=40))
    note_add(actor=staff[Role.CASEWORKER], case=mother, text="Звонила мать.")
    member = mother.service_member
    wife = register(
        applicant=PersonData(full_name="Кузнецова Ольга Петровна", email="olga@example.org"),
        relation="wife",
        service_member=PersonData(full_name="Кузнецов Андрей", unit="12345"),
        received_at=timezone.now() - dt.timedelta(days=3))
    spb = register(actor=make_user(Role.INTAKE_CLERK, other_office), office=other_office,
                   applicant=PersonData(full_name="Кузнецова Мария"), relation="mother",
                   service_member=PersonData(full_name=MEMBER))
    Case.objects.filter(pk=spb.pk).update(service_member=member)
    return mother, wife, spb


@pytest.mark.parametrize(("language", "heading", "hidden"), [
    ("en", "Cases about him", "1 more case in offices you do not work for"),
    ("ru", "Дела о нём", "Ещё 1 дело в отделениях, где вы не работаете")])
def test_the_person_page_shows_his_cases_applicants_and_timeline(
        client, staff, his_cases, language, heading, hidden):
    mother, wife, spb = his_cases
    member = mother.service_member
    client.force_login(staff[Role.CASEWORKER])
    with translation.override(language):
        case_page = client.get(reverse("staff:case", args=[mother.number])).content.decode()
        url = reverse("staff:person", args=[member.pk])
        page = client.get(url).content.decode()
        mum_url = reverse("staff:person", args=[mother.appeals.get().submitter_id])
    assert f'href="{url}"' in case_page
    assert heading in page and hidden in page
    assert MEMBER in page and mother.number in page
    # The other office's case: counted, never shown.
    assert spb.number not in page
    # The mother, with her relation, linked to her own page; her phone as on the case page.
    assert "Кузнецова Мария Ивановна" in page and mum_url in page
    assert "+7 903 000-11-22" in page
    # The timeline of his cases, each entry labelled with its case.
    assert page.count(f'{mother.number}</a> ·') >= 1
    assert "<strong>в/ч 74814</strong>" in page  # as written, not «в/ч в/ч 74814»
    assert AuditEntry.objects.filter(action="person.viewed", object_id=str(member.pk)).exists()


@pytest.mark.parametrize(("language", "heading", "him"), [
    ("en", "Cases in which this person is the applicant", "about him"),
    ("ru", "Дела, в которых этот человек — заявитель", "о нём")])
def test_the_page_of_someone_who_only_wrote_lists_their_cases_without_his_sections(
        client, staff, his_cases, language, heading, him):
    """His mother's page: the cases she wrote in and her relation, not the service
    member's sections, which said "Cases about him" and "Nobody else wrote about him"."""
    mother, _wife, _spb = his_cases
    mum = mother.appeals.get().submitter
    client.force_login(staff[Role.CASEWORKER])
    with translation.override(language):
        page = client.get(reverse("staff:person", args=[mum.pk])).content.decode()
    assert heading in page
    assert mother.number in page and MEMBER in page
    assert "+7 903 000-11-22" in page
    assert him not in page
    for section in ("person-timeline", "person-units", "person-applicants", "person-merge"):
        assert f'id="{section}"' not in page


def test_the_other_office_sees_only_its_case(client, his_cases, make_user, other_office):
    mother, wife, spb = his_cases
    client.force_login(make_user(Role.CASEWORKER, other_office))
    with translation.override("en"):
        page = client.get(reverse("staff:person", args=[mother.service_member_id]))
    text = page.content.decode()
    assert page.status_code == 200 and spb.number in text and mother.number not in text
    assert "1 more case in offices you do not work for" in text
    assert "Кузнецова Мария Ивановна" not in text  # the Moscow mother is not shown
    # The wife's record is in no case of theirs: as if it did not exist.
    with translation.override("en"):
        wife_url = reverse("staff:person", args=[wife.service_member_id])
    assert client.get(wife_url).status_code == 404


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMINISTRATOR])
def test_roles_that_read_no_cases_are_refused(client, staff, his_cases, role):
    mother, _wife, _spb = his_cases
    client.force_login(staff[role])
    with translation.override("en"):
        response = client.get(reverse("staff:person", args=[mother.service_member_id]))
    assert response.status_code == 403


@pytest.mark.parametrize(("language", "confirm_text", "done"), [
    ("en", "Merge two records", "The records are merged"),
    ("ru", "Объединение двух записей", "Записи объединены")])
def test_merge_from_the_page_with_a_confirmation_step(client, staff, his_cases, office,
                                                      make_user, language, confirm_text,
                                                      done):
    mother, wife, spb = his_cases
    member, second = mother.service_member, wife.service_member
    # St Petersburg's case is his too: only someone of both offices may merge.
    both = make_user(Role.CASEWORKER, office, spb.office)
    client.force_login(both)
    with translation.override(language):
        url = reverse("staff:person_merge", args=[member.pk])
        step = client.get(url, {"case": wife.number})
        text = step.content.decode()
        assert step.status_code == 200 and confirm_text in text
        assert "Кузнецов Андрей" in text and "12345" in text and "74814" in text
        # A unit typed as a number is named as a unit; one written so is not named twice.
        assert {"ru": "в/ч 12345", "en": "unit 12345"}[language] in text
        assert "в/ч 74814" in text and "в/ч в/ч" not in text and "unit в/ч" not in text
        assert Person.objects.get(pk=second.pk).merged_into_id is None  # nothing yet
        unconfirmed = client.post(url, {"case": wife.number})
        assert unconfirmed.status_code == 400
        merged = client.post(url, {"case": wife.number, "confirm": "1"}, follow=True)
    assert done in merged.content.decode()
    assert Person.objects.get(pk=second.pk).merged_into_id == member.pk
    assert Case.objects.get(pk=wife.pk).service_member_id == member.pk
    # The merged-away record's address leads to the kept one.
    with translation.override(language):
        old = client.get(reverse("staff:person", args=[second.pk]))
        assert old.status_code == 302 and old["Location"].endswith(
            reverse("staff:person", args=[member.pk]))


def test_merge_refused_for_a_caseworker_who_cannot_see_every_case(client, staff, his_cases):
    mother, wife, _spb = his_cases
    client.force_login(staff[Role.CASEWORKER])
    with translation.override("en"):
        url = reverse("staff:person_merge", args=[mother.service_member_id])
        step = client.get(url, {"case": wife.number}).content.decode()
        unknown = client.get(url, {"case": "SPB-2026-999999"}).content.decode()
    assert "offices you do not work for" in step and 'name="confirm"' not in step
    assert "No case SPB-2026-999999 among the cases you can see" in unknown
    assert Person.objects.get(pk=wife.service_member_id).merged_into_id is None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_only_one_case_of_a_record_with_several_linked_to_this_person(
        client, his_cases, office, register, make_user, language):
    """The other record has two cases and only one is about this man: "only case N" moves
    that case alone; the other record stays with its other case."""
    mother, wife, spb = his_cases
    member, second = mother.service_member, wife.service_member
    also = register(applicant=PersonData(full_name="Кузнецова Ольга Петровна"),
                    relation="wife", service_member=PersonData(full_name="Кузнецов Андрей"))
    Case.objects.filter(pk=also.pk).update(service_member=second)  # the second record's 2nd
    client.force_login(make_user(Role.CASEWORKER, office, spb.office))
    with translation.override(language):
        url = reverse("staff:person_merge", args=[member.pk])
        step = client.get(url, {"case": wife.number}).content.decode()
        assert 'name="only"' in step and wife.number in step
        done = client.post(url, {"case": wife.number, "confirm": "1", "only": "1"})
    assert done.status_code == 302
    assert Case.objects.get(pk=wife.pk).service_member_id == member.pk
    assert Case.objects.get(pk=also.pk).service_member_id == second.pk
    assert Person.objects.get(pk=second.pk).merged_into_id is None
    assert AuditEntry.objects.filter(action="case.member_linked", object_id=wife.pk).exists()


@pytest.mark.parametrize(("language", "as_written"), [("en", "As written:"),
                                                      ("ru", "Как написано:")])
def test_the_heading_names_him_in_the_nominative_and_keeps_the_name_as_written(
        client, register, staff, language, as_written):
    """An appeal about a son names him as its sentence needs («о сыне Соколове Павле»,
    «прошу вернуть Соколова Павла Игоревича»): his page is headed with the nominative, the
    name as written beside it; a name written in the nominative is shown once."""
    case = register(applicant=PersonData(full_name="Соколова Ирина Павловна"),
                    relation="mother",
                    service_member=PersonData(full_name="Соколова Павла Игоревича"))
    mother = case.appeals.get().submitter
    client.force_login(staff[Role.CASEWORKER])
    with translation.override(language):
        his = client.get(reverse("staff:person", args=[case.service_member_id]))
        hers = client.get(reverse("staff:person", args=[mother.pk]))
    his, hers = his.content.decode(), hers.content.decode()
    assert "<h1>Соколов Павел Игоревич</h1>" in his
    assert f"{as_written} Соколова Павла Игоревича" in his
    assert "<h1>Соколова Ирина Павловна</h1>" in hers and as_written not in hers
