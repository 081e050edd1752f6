"""Issue 15, finding 8d: commands that read or change personal data name their operator.

Before: ``person_erase`` from the command line wrote an entry of the system, with no trace
of who ran it; so did ``retention_apply``, ``keys_rotate`` and ``import_appeals`` without
``--user``. Now each of them, and ``subject_export``, requires ``--operator USERNAME``,
and every entry they write carries the operator's id and the process's OS user id.
"""

import io
import os

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

COMMANDS = ["person_erase", "subject_export", "keys_rotate", "import_appeals",
            "retention_apply"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_on_personal_data_requires_an_operator(name):
    parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
    [action] = [a for a in parser._actions if "--operator" in a.option_strings]
    assert action.required


def test_person_erase_records_its_operator(register, staff):
    person = register().service_member
    with pytest.raises(CommandError, match="--operator"):
        call_command("person_erase", person=person.pk, reason="request")
    admin = staff[Role.ADMINISTRATOR]
    call_command("person_erase", person=person.pk, reason="request",
                 operator=admin.username, stdout=io.StringIO())
    entry = AuditEntry.objects.get(action="person.erased")
    assert (entry.actor_id, entry.actor_kind) == (admin.pk, "command")
    assert entry.data["operator"] == admin.pk
    assert entry.data["os_uid"] == os.getuid()
    assert admin.username not in str(entry.data)  # an id, never the name


def test_an_unknown_or_inactive_operator_is_refused_before_anything_changes(register, staff):
    person = register().service_member
    before = AuditEntry.objects.count()
    for name in ("nobody", "Иванова"):
        with pytest.raises(CommandError, match="--operator"):
            call_command("person_erase", person=person.pk, reason="request", operator=name)
    gone = staff[Role.CASEWORKER]
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="--operator"):
        call_command("person_erase", person=person.pk, reason="request",
                     operator=gone.username)
    person.refresh_from_db()
    assert person.erased_at is None
    assert AuditEntry.objects.count() == before


def test_an_export_by_a_supervisor_records_both_as_the_same_person(register, staff, tmp_path):
    supervisor = staff[Role.SUPERVISOR]
    person = register().service_member
    call_command("subject_export", person=person.pk, operator=supervisor.username,
                 output=str(tmp_path / "export.json"), stdout=io.StringIO())
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_id, entry.actor_kind) == (supervisor.pk, "staff")
    assert entry.data["operator"] == supervisor.pk


def test_retention_from_cron_records_the_schedulers_account(register, staff, make_user):
    """Scheduled runs name an account kept for the scheduler (no roles it could use)."""
    scheduler = make_user(Role.ANALYST, username="scheduler")
    call_command("retention_apply", operator="scheduler", today="2026-06-01",
                 stdout=io.StringIO())
    entry = AuditEntry.objects.get(action="retention.applied")
    assert (entry.actor_id, entry.actor_kind) == (scheduler.pk, "command")
    assert entry.data["operator"] == scheduler.pk


def test_outside_a_command_nothing_changes(register, staff):
    register()
    assert not AuditEntry.objects.filter(data__has_key="operator").exists()
    assert not AuditEntry.objects.filter(actor_kind="command").exists()
