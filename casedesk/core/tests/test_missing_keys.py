"""Issue 15, finding 17: a key store older than the data must not show blank cases.

Reading a field whose data key is not in the key store is an error naming the record (a
person's id and case numbers, nothing personal); a key destroyed by an erasure is
recorded, and what it sealed still reads as empty; staff see a page naming the case;
``backup_verify`` names the case. The restore itself (pg_dump of both databases, in the
right and the wrong order) is in test_backup_restore.py."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.core import crypto
from casedesk.core.models import DataKey, DestroyedKey
from casedesk.intake.services import PersonData
from casedesk.people.lifecycle.erasure import person_erase
from casedesk.people.models import Person

MEMBER = "Забытов Кирилл Остапович"


def _lose_key(key_id: str) -> None:
    """The key store as restored from before this key was made: the row is not there,
    and no process remembers it."""
    DataKey.objects.filter(pk=key_id).delete()
    crypto.cache_clear()


@pytest.fixture
def newest(register):
    return register(service_member=PersonData(full_name=MEMBER, service_type="mobilized"))


def test_a_field_whose_key_is_missing_is_an_error_naming_the_case(newest):
    member = newest.service_member
    _lose_key(member.key_id)
    with pytest.raises(crypto.KeyNotInStore) as caught:
        Person.objects.get(pk=member.pk)
    message = str(caught.value)
    assert newest.number in message and f"person #{member.pk}" in message
    assert "people_person." in message  # the column it was read from
    assert MEMBER not in message and "Забытов" not in message
    # The other people of the case still read.
    submitter = newest.appeals.get().submitter
    assert Person.objects.get(pk=submitter.pk).full_name == "Иванова Анна Петровна"


def test_an_erased_persons_data_reads_empty_from_an_older_data_copy(newest, staff):
    member = Person.objects.get(pk=newest.service_member_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM people_person WHERE id = %s", [member.pk])
        sealed_name = cursor.fetchone()[0]
    person_erase(actor=staff[Role.SUPERVISOR], person=member, reason_code="request")
    assert DestroyedKey.objects.filter(pk=sealed_name.split(".")[1]).exists()
    # The data as a backup from before the erasure holds it: sealed with the destroyed
    # key, it reads as erased (empty), not as an error.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_person SET full_name = %s WHERE id = %s",
                       [sealed_name, member.pk])
    crypto.cache_clear()
    assert Person.objects.get(pk=member.pk).full_name == ""


@pytest.mark.parametrize(("language", "title"), [
    ("ru", "Отсутствует ключ данных"), ("en", "A data key is missing")])
def test_staff_see_a_page_naming_the_case_not_empty_names(client, staff, newest,
                                                         language, title):
    client.raise_request_exception = False
    client.force_login(staff[Role.CASEWORKER])
    assert MEMBER in client.get(f"/{language}/staff/cases/{newest.number}/").content.decode()
    _lose_key(newest.service_member.key_id)
    response = client.get(f"/{language}/staff/cases/{newest.number}/")
    page = response.content.decode()
    assert response.status_code == 500
    assert title in page and newest.number in page
    assert f"person #{newest.service_member_id}" in page
    assert MEMBER not in page and "Забытов" not in page


def test_backup_verify_names_the_case_whose_key_is_missing(register, newest):
    older = register()
    out = io.StringIO()
    call_command("backup_verify", stdout=out)
    assert "OK" in out.getvalue()
    _lose_key(newest.service_member.key_id)
    out = io.StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("backup_verify", stdout=out)
    report = out.getvalue()
    assert "MISSING: 1 data key" in report
    assert newest.number in report and older.number not in report
    assert MEMBER not in report


def test_backup_verify_finds_data_older_than_an_erasure(newest, staff):
    member = Person.objects.get(pk=newest.service_member_id)
    key_id = member.key_id
    person_erase(actor=staff[Role.SUPERVISOR], person=member, reason_code="request")
    call_command("backup_verify", stdout=io.StringIO())  # erased properly: nothing refers
    # The data restored from before the erasure still names the key.
    Person.objects.filter(pk=member.pk).update(key_id=key_id, erased_at=None)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("backup_verify", stdout=out)
    assert "DESTROYED: 1" in out.getvalue() and f"person #{member.pk}" in out.getvalue()
