"""Duplicates on the staff pages (issue 18): the case page's section (reasons in words,
the candidate's cases the reader may see, the others counted), "Not the same person"
(audited, both directions), the queue's marker, and the desk's scored check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.intake.models import DuplicateFlag
from casedesk.intake.services import PersonData, appeal_register, duplicates_flag

from .test_views import REGISTRATION

BORN = dt.date(1990, 5, 1)
WORDS = {
    "en": ("Likely the same person", "Possibly the same person", "the same surname",
           "the same birth date", "Not the same person",
           "1 case of an office you do not see"),
    "ru": ("Вероятно, тот же человек", "Возможно, тот же человек", "та же фамилия",
           "та же дата рождения", "Не тот же человек",
           "1 дело офиса, который вам не виден"),
}


def desk(user, office, member: PersonData):
    return appeal_register(
        actor=user, office=office, channel="letter", text="Сына записали в СОЧ.",
        applicant=PersonData(full_name="Кузнецова Анна Петровна",
                             postal_address="Тула, ул. Мира, 1"),
        relation="mother", service_member=member, category="record_error_awol").case


@pytest.fixture
def three(staff, office, other_office, make_user):
    """The same man: a case here, a case in the other office, and the new case here,
    flagged (as the task does after the receipt)."""
    clerk = staff[Role.INTAKE_CLERK]
    there = make_user(Role.INTAKE_CLERK, other_office, username="clerk-there")
    earlier = desk(clerk, office, PersonData(full_name="Кузнецов Андрей Петрович",
                                             birth_date=BORN))
    elsewhere = desk(there, other_office, PersonData(full_name="Кузнецов Андрей",
                                                     unit="в/ч 74814"))
    new = desk(clerk, office, PersonData(full_name="Кузнецова Андрея Петровича",
                                         birth_date=BORN, unit="войсковая часть 74814"))
    duplicates_flag(case_ids=[new.pk])
    return earlier, elsewhere, new


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_case_page_shows_the_candidates_the_reader_may_see(
        client, staff, three, language):
    earlier, elsewhere, new = three
    likely, possibly, surname, born, dismiss, hidden = WORDS[language]
    client.force_login(staff[Role.CASEWORKER])

    content = client.get(f"/{language}/staff/cases/{new.number}/").content.decode()

    section = content.split('id="duplicates"')[1].split("</section>")[0]
    assert likely in section and surname in section and born in section
    assert f'href="/{language}/staff/cases/{earlier.number}/"' in section
    # The other office's case is counted, never named.
    assert elsewhere.number not in content and hidden in section
    assert dismiss in section
    # The flags are stored for candidates of any office.
    assert set(DuplicateFlag.objects.filter(case=new).values_list("person_id", flat=True)) \
        == {earlier.service_member_id, elsewhere.service_member_id}


def test_the_other_office_sees_its_flag_without_this_office_s_case_number(
        client, make_user, other_office, three):
    earlier, elsewhere, new = three
    reader = make_user(Role.CASEWORKER, other_office, username="reader-there")
    client.force_login(reader)

    content = client.get(f"/en/staff/cases/{elsewhere.number}/").content.decode()

    # The mirror of the new case's flag: the man of this office may be theirs (the same
    # name and unit).
    section = content.split('id="duplicates"')[1].split("</section>")[0]
    assert "Likely the same person" in section and "the same military unit" in section
    assert new.number not in content and earlier.number not in content
    assert "1 case of an office you do not see" in section or \
        "cases of offices you do not see" in section


@pytest.mark.parametrize("language", ["ru", "en"])
def test_not_the_same_person_dismisses_the_pair_and_is_audited(
        client, staff, three, language):
    earlier, _elsewhere, new = three
    flag = DuplicateFlag.objects.get(case=new, person_id=earlier.service_member_id)
    mirror = DuplicateFlag.objects.get(case=earlier, person_id=new.service_member_id)
    client.force_login(staff[Role.CASEWORKER])

    response = client.post(f"/{language}/staff/cases/{new.number}/duplicates/{flag.pk}/"
                           "dismiss/")

    assert response.status_code == 302
    flag.refresh_from_db()
    mirror.refresh_from_db()
    assert flag.dismissed_by == staff[Role.CASEWORKER] and flag.dismissed_at is not None
    assert mirror.dismissed_at is not None  # the earlier case no longer shows it either
    entry = AuditEntry.objects.filter(action="duplicate.dismiss").get()
    assert entry.object_id == str(new.pk) and sorted(entry.data["ids"]) == sorted(
        [flag.pk, mirror.pk])
    content = client.get(f"/{language}/staff/cases/{earlier.number}/").content.decode()
    assert 'id="duplicates"' not in content


def test_dismissing_needs_the_action_and_the_office(client, staff, make_user,
                                                    other_office, three):
    _earlier, elsewhere, new = three
    flag = DuplicateFlag.objects.filter(case=new).first()
    url = f"/en/staff/cases/{new.number}/duplicates/{flag.pk}/dismiss/"
    client.force_login(staff[Role.COMMISSION_MEMBER])  # reads case files, no dismissing
    assert client.post(url).status_code == 400
    content = client.get(f"/en/staff/cases/{new.number}/").content.decode()
    assert "Not the same person" not in content
    client.force_login(make_user(Role.CASEWORKER, other_office, username="w-there"))
    assert client.post(url).status_code == 404
    # Another case's flag through this case's address: 404.
    client.force_login(staff[Role.CASEWORKER])
    other_flag = DuplicateFlag.objects.exclude(case=new).filter(
        case__office=new.office).first()
    assert client.post(f"/en/staff/cases/{new.number}/duplicates/{other_flag.pk}/"
                       "dismiss/").status_code == 404
    assert not DuplicateFlag.objects.exclude(dismissed_at=None).exists()


def test_the_queue_marks_flagged_cases_in_one_query(client, staff, three):
    earlier, _elsewhere, new = three
    client.force_login(staff[Role.SUPERVISOR])

    with CaptureQueriesContext(connection) as queries:
        content = client.get("/en/staff/?queue=all").content.decode()

    flagged = [q["sql"] for q in queries if "intake_duplicateflag" in q["sql"]]
    assert len(flagged) == 1
    rows = content.split("<tr")
    marked = {c.number for c in (earlier, new) if any(
        c.number in row and "Possible duplicate" in row for row in rows)}
    assert marked == {earlier.number, new.number}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_desk_finds_the_man_in_another_grammatical_form_with_a_typo(
        client, staff, language):
    client.force_login(staff[Role.INTAKE_CLERK])
    url = f"/{language}/staff/register/"
    client.post(url, REGISTRATION)
    first = Case.objects.get()
    assert first.service_member.full_name == "Сидоров Олег"
    # The parts in another order and one letter written as it sounds.
    typo = {**REGISTRATION, "member_name": "Олег Сидаров", "text": "Второе письмо."}

    content = client.post(url, {**typo, "action": "check"}).content.decode()

    section = content.split('id="possible-duplicates"')[1].split("</fieldset>")[0]
    assert first.number in section
    assert WORDS[language][1] in section  # possibly: the surname only sounds alike
    assert {"en": "a surname that sounds alike",
            "ru": "фамилия звучит похоже"}[language] in section


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_flag_leads_to_the_merge_and_the_merged_record_is_no_longer_flagged(
        client, staff, three, language):
    """From the section: the candidate's record, and "compare and merge" into this case's
    service member (the person page's confirmation step); once merged, the candidate is
    gone from the section and both cases are about one person."""
    earlier, _elsewhere, new = three
    client.force_login(staff[Role.CASEWORKER])
    content = client.get(f"/{language}/staff/cases/{new.number}/").content.decode()
    section = content.split('id="duplicates"')[1].split("</section>")[0]
    assert f'href="/{language}/staff/people/{earlier.service_member_id}/"' in section
    merge = f"/{language}/staff/people/{new.service_member_id}/merge/?case={earlier.number}"
    assert f'href="{merge}"' in section.replace("&amp;", "&")

    step = client.get(merge)
    assert step.status_code == 200 and earlier.number in step.content.decode()
    done = client.post(merge.split("?")[0], {"case": earlier.number, "confirm": "1"})
    assert done.status_code == 302

    earlier.refresh_from_db()
    assert earlier.service_member_id == new.service_member_id
    content = client.get(f"/{language}/staff/cases/{new.number}/").content.decode()
    assert f"/staff/people/{earlier.service_member_id}/merge/?case={earlier.number}" \
        not in content
