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


def test_export_holds_the_facts_found_in_the_appeals_about_the_person(
        register, staff, person_data, other_office, make_user):
    """The facts (casedesk.facts) of the person's cases, decrypted with their key; not
    those of another man's case, nor of a case of an office the supervisor is not in.
    The mother who wrote the appeal gets the facts of her appeal too."""
    from casedesk.facts.services import facts_extract
    from casedesk.people.lifecycle.merge import person_merge

    text = "Сын, рядовой Кузнецов Андрей, служит в в/ч 74814 с 01.10.2022."
    member = person_data(full_name="Кузнецов Андрей Викторович")
    case = register(text=text, service_member=member)
    other = register(text="Муж служит в в/ч 55555.",
                     service_member=person_data(full_name="Петров Олег Иванович"))
    clerk_there = make_user(Role.INTAKE_CLERK, other_office, username="clerk-there")
    there = register(text="Сын служит в в/ч 99999.", service_member=member,
                     actor=clerk_there, office=other_office)
    facts_extract(case_ids=[case.pk, other.pk, there.pk], ner=False)
    person = case.service_member
    # The same man: his two records merged, by a supervisor of both offices.
    both = make_user(Role.SUPERVISOR, case.office, other_office, username="both")
    person_merge(actor=both, keep=person, other=there.service_member)

    data = json.loads(subject_export(actor=staff[Role.SUPERVISOR], person=person))

    facts = data["facts"]
    assert {f["case"] for f in facts} == {case.number}
    units = [f for f in facts if f["kind"] == "UNIT"]
    assert [(u["normal"], text[u["start"]:u["end"]]) for u in units] == [
        ("74814", units[0]["text"])]
    assert "74814" in units[0]["text"]
    assert "55555" not in json.dumps(data) and "99999" not in json.dumps(data)
    assert any(f["kind"] == "DATE" for f in facts)
    assert "74814" not in json.dumps(AuditEntry.objects.get(action="export").data)

    mother = case.applicant_links.get().person
    written = json.loads(subject_export(actor=staff[Role.SUPERVISOR], person=mother))
    assert {f["normal"] for f in written["facts"] if f["kind"] == "UNIT"} == {"74814"}
