import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.audit.services import audit_record

pytestmark = pytest.mark.django_db


def table_as_text() -> str:
    """Every column of every row, as the database renders it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEntry._meta.db_table}")  # noqa: S608
        return "\n".join(" ".join(str(value) for value in row) for row in cursor.fetchall())


def test_entries_about_a_registered_case_hold_no_personal_data(client, staff, register):
    case = register()
    worker = staff[Role.CASEWORKER]
    client.login(username="caseworker", password="x" * 16)
    applicant = case.applicant_links.get().person
    # what the integrated services and views will write for this case
    audit_record(action="case.read", actor=worker, object_type="case", object_id=case.pk,
                 ip="192.0.2.1")
    audit_record(action="case.transition", actor=worker, object_type="case",
                 object_id=case.pk, data={"transition": "register", "source": "received",
                                          "target": "registered"})
    audit_record(action="person.read", actor=worker, object_type="person",
                 object_id=applicant.pk)
    audit_record(action="export", actor=worker, object_type="case", object_id=case.pk,
                 data={"format": "pdf", "kind": "acknowledgement", "language": "ru"})
    for refused in ({"case": applicant.full_name}, {"state": case.number + " Иванова"}):
        with pytest.raises(ValueError):
            audit_record(action="case.read", actor=worker, data=refused)

    text = table_as_text()
    # registering (appeal.register, case.transition), the login and the four above
    assert AuditEntry.objects.count() == 7
    for personal in ("Иванова", "Анна", "Петровна", "Иванов", "Пётр", "Примерная",
                     "caseworker", "СОЧ"):
        assert personal not in text


def test_the_services_and_pages_write_the_trail(client, staff, register):
    """Registering, moving, reading a case and its documents leave entries, in order."""
    from casedesk.cases.services import case_transition

    case = register()
    case_transition(actor=staff[Role.CASEWORKER], case=case, transition="start_review")
    client.force_login(staff[Role.SUPERVISOR])
    client.get(f"/en/staff/cases/{case.number}/")
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", "object_type"))
    assert actions == [("case.transition", "case"), ("appeal.register", "appeal"),
                       ("case.transition", "case"), ("login", "user"), ("case.read", "case")]
    read = AuditEntry.objects.order_by("seq").last()
    assert read.actor_id == staff[Role.SUPERVISOR].pk and read.ip == "127.0.0.1"


def test_a_role_or_office_change_in_the_admin_is_audited(client, office, other_office):
    from casedesk.accounts.models import User

    root = User.objects.create_superuser("root", password="x" * 16, role="administrator")
    worker = User.objects.create_user("w", password="x" * 16, role="caseworker")
    worker.offices.set([office])
    client.force_login(root)
    response = client.post(f"/en/admin/accounts/user/{worker.pk}/change/", {
        "username": "w", "role": "supervisor", "offices": [other_office.pk],
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "10:00:00"})
    assert response.status_code == 302, response.content[:300]
    entry = AuditEntry.objects.filter(action="permission.change").get()
    assert entry.actor_id == root.pk and entry.object_id == str(worker.pk)
    assert entry.data["role"] == "supervisor" and entry.data["previous_role"] == "caseworker"
    assert entry.data["offices_added"] == [other_office.pk]
    assert entry.data["offices_removed"] == [office.pk]
