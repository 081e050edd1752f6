"""Subject access export: everything about the person, only for a supervisor, logged."""

import json

import pytest
from django.core.management import CommandError, call_command

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.core.errors import ApplicationError
from casedesk.people.lifecycle.subject import subject_export


def test_export_holds_the_persons_data_and_is_audited(register, staff):
    case = register()
    mother = case.applicant_links.get().person
    data = json.loads(subject_export(actor=staff[Role.SUPERVISOR], person=mother))
    assert data["person"]["full_name"] == "Иванова Анна Петровна"
    assert [c["number"] for c in data["cases"]] == [case.number]
    assert data["cases"][0]["role"] == "applicant"
    assert "госпитале" in data["appeals"][0]["text"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.object_id == str(mother.pk) and entry.data["kind"] == "subject_access"
    assert "Иванова" not in json.dumps(entry.data)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.SUPERVISOR])
def test_only_a_supervisor_exports(register, staff, role):
    person = register().service_member
    with pytest.raises(ApplicationError):
        subject_export(actor=staff[role], person=person)


def test_other_offices_cases_are_not_exported(register, other_office, make_user):
    person = register().service_member
    outsider = make_user(Role.SUPERVISOR, other_office)
    with pytest.raises(ApplicationError) as refused:
        subject_export(actor=outsider, person=person)
    assert refused.value.code == "not_found"


def test_command_writes_the_file(register, staff, tmp_path):
    person = register().service_member
    out = tmp_path / "export.json"
    call_command("subject_export", person=person.pk, operator="supervisor", output=str(out))
    assert json.loads(out.read_text())["person"]["unit"] == "12345"
    with pytest.raises(CommandError):
        call_command("subject_export", person=person.pk, operator="caseworker",
                     output=str(out))


def test_export_names_the_body_the_case_was_forwarded_to(register, staff):
    """The body a case was forwarded to received the person's data: the export says so
    (as typed by staff, decrypted)."""
    from casedesk.cases.services import case_transition

    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="forward",
                    forward_body="other", forwarded_to="Военная прокуратура в/ч 12345")
    data = json.loads(subject_export(actor=staff[Role.SUPERVISOR], person=case.service_member))
    assert data["cases"][0]["forwarded_to"] == "Военная прокуратура в/ч 12345"
    assert data["cases"][0]["forward_body"] == "other"
