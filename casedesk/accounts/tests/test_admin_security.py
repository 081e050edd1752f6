"""Issue 15, finding 1 (and the admin reads of finding 8): the administrator neither reads
case files nor impersonates staff without a trace.

- the admin holds no case files, appeals, events, documents, people or second-factor
  devices (deny by default: ``accounts.admin_site.ADMIN_MODELS``);
- every admin page an administrator opens is an ``admin.read`` audit entry;
- TOTP secrets are sealed at rest, and django-otp still verifies codes;
- an administrator's new password for another account waits for a second
  administrator, and the owner is emailed in their language, without the password;
- role, group, permission, office and flag changes are audited.
"""

from __future__ import annotations

import base64

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django_otp.oath import totp

from casedesk.accounts import services
from casedesk.accounts.admin_site import ADMIN_MODELS
from casedesk.accounts.models import PasswordResetRequest, SecondFactorDevice, User
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry

OLD = "correct horse battery staple"
NEW = "plum orbit harness quietly"

FORBIDDEN = {"cases.case", "cases.appeal", "cases.caseevent", "cases.document",
             "cases.note", "people.person", "otp_totp.totpdevice", "otp_static.staticdevice",
             "accounts.secondfactordevice", "accounts.enrolmentcode",
             "django_tasks_database.dbtaskresult", "axes.accessattempt"}


@pytest.fixture
def administrator(office, make_user):
    def make(username: str) -> User:
        user = make_user(Role.ADMINISTRATOR, office, username=username)
        user.is_staff = user.is_superuser = True
        user.save()
        return user

    return make


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_holds_no_case_files_people_or_second_factor_secrets():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered <= ADMIN_MODELS
    assert not registered & FORBIDDEN
    assert "accounts.user" in registered and "accounts.passwordresetrequest" in registered


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_admin_page_shows_no_appeal_text_or_secret_and_is_audited(
        language, register, administrator, staff):
    case = register()
    worker = staff[Role.CASEWORKER]
    device = SecondFactorDevice.objects.create(user=worker, name="totp", confirmed=True)
    secrets = {device.secret, base64.b32encode(device.bin_key).decode()}
    boss = administrator("boss")
    client = admin_client(boss)
    secret_texts = [*secrets, "Сына записали в СОЧ", "Иванова Анна", "Иванов Пётр",
                    "Примерная", case.number]

    pages = 0
    for model in list(admin.site._registry):
        opts = model._meta
        prefix = f"/{language}/admin/{opts.app_label}/{opts.model_name}/"
        first = model._default_manager.order_by("pk").first()
        urls = [prefix] + ([f"{prefix}{first.pk}/change/"] if first is not None else [])
        for url in urls:
            before = AuditEntry.objects.filter(action="admin.read", actor_id=boss.pk).count()
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            for text in secret_texts:
                assert text not in body, (url, text)
            entry = AuditEntry.objects.filter(action="admin.read",
                                              actor_id=boss.pk).order_by("-seq").first()
            assert AuditEntry.objects.filter(
                action="admin.read", actor_id=boss.pk).count() == before + 1, url
            assert entry.object_type == opts.label_lower
            if url.endswith("/change/"):
                assert entry.object_id == str(first.pk)
                assert entry.data["kind"] == "change"
            else:
                assert entry.data["kind"] == "changelist"
                assert entry.data["count"] == model._default_manager.count() or \
                    entry.data["count"] == 100
            pages += 1
    assert pages >= 10
    # The case pages the admin had are gone.
    assert client.get(f"/{language}/admin/cases/case/{case.pk}/change/").status_code == 404
    assert client.get(f"/{language}/admin/cases/case/rulebook/").status_code == 200


def test_totp_secrets_are_sealed_at_rest_and_codes_still_verify(staff):
    worker = staff[Role.CASEWORKER]
    device = SecondFactorDevice.objects.create(user=worker, name="totp", confirmed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_secondfactordevice WHERE id = %s",
                       [device.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("ck1.") and device.secret not in stored
    device = SecondFactorDevice.objects.get(pk=device.pk)  # read back: opened again
    code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                    drift=device.drift)).zfill(device.digits)
    assert device.verify_token(code)
    # Its key destroyed, the device verifies nothing (never an empty key).
    services.devices_remove(user=worker, actor=worker)
    assert not SecondFactorDevice.objects.filter(user=worker).exists()


def test_an_administrators_new_password_for_another_account_needs_a_second_administrator(
        administrator, office, make_user, django_capture_on_commit_callbacks):
    owner = make_user(Role.CASEWORKER, office, username="owner")
    owner.set_password(OLD)
    owner.email = "owner@example.org"
    owner.language = "ru"
    owner.save()
    owners_session = Client()
    owners_session.force_login(owner)
    first, second = administrator("first"), administrator("second")

    response = admin_client(first).post(
        f"/en/admin/accounts/user/{owner.pk}/password/",
        {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(OLD) and not owner.check_password(NEW)
    reset = PasswordResetRequest.objects.get(user=owner)
    assert reset.pending and NEW not in reset.password_hash

    # The same administrator cannot approve it.
    changelist = "/en/admin/accounts/passwordresetrequest/"
    approve = {"action": "approve", "_selected_action": [reset.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client(first).post(changelist, approve)
    owner.refresh_from_db()
    assert owner.check_password(OLD)
    assert mail.outbox == []

    # A second one can; then the password is set, the owner's sessions end, and the
    # owner is told, in Russian, without the password.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client(second).post(changelist, approve)
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW)
    reset.refresh_from_db()
    assert reset.approved_by == second and not reset.pending
    assert str(owner.pk) not in [s.get_decoded().get("_auth_user_id")
                                 for s in Session.objects.all()]
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["owner@example.org"]
    assert "пароль" in notice.subject.lower() and "сброшен" in notice.body
    assert NEW not in notice.body and NEW not in notice.subject

    # The audit shows who asked and who approved: signing in afterwards is not
    # indistinguishable from the owner's own doing.
    requested = AuditEntry.objects.get(action="password.reset_requested")
    approved = AuditEntry.objects.get(action="password.reset_approved")
    assert (requested.actor_id, requested.object_id) == (first.pk, str(owner.pk))
    assert (approved.actor_id, approved.object_id) == (second.pk, str(owner.pk))
    assert approved.data["requested_by"] == first.pk


def test_an_administrator_changes_their_own_password_audited(administrator):
    boss = administrator("boss")
    response = admin_client(boss).post(
        f"/en/admin/accounts/user/{boss.pk}/password/",
        {"password1": NEW, "password2": NEW, "usable_password": "true"})
    assert response.status_code == 302
    boss.refresh_from_db()
    assert boss.check_password(NEW)
    assert AuditEntry.objects.filter(action="password.changed", object_id=str(boss.pk),
                                     data__via="admin").exists()


def test_role_group_permission_office_and_flag_changes_are_audited(
        administrator, office, other_office, make_user):
    boss = administrator("boss")
    client = admin_client(boss)
    permission = Permission.objects.get(codename="view_office")
    response = client.post("/en/admin/auth/group/add/",
                           {"name": "readers", "permissions": [permission.pk]})
    assert response.status_code == 302
    group = Group.objects.get(name="readers")
    entry = AuditEntry.objects.get(action="group.created")
    assert entry.data["permissions_added"] == ["accounts.view_office"]

    person = make_user(Role.CASEWORKER, office, username="person")
    response = client.post(f"/en/admin/accounts/user/{person.pk}/change/", {
        "username": "person", "first_name": "", "last_name": "", "email": "",
        "is_active": "on", "is_staff": "on", "groups": [group.pk],
        "user_permissions": [permission.pk], "role": Role.SUPERVISOR,
        "offices": [other_office.pk], "position_ru": "", "position_en": "", "language": "",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.filter(action="permission.change",
                                      object_id=str(person.pk)).get()
    assert entry.actor_id == boss.pk
    assert entry.data["role"] == "supervisor" and entry.data["previous_role"] == "caseworker"
    assert entry.data["groups_added"] == [group.pk]
    assert entry.data["permissions_added"] == ["accounts.view_office"]
    assert entry.data["offices_added"] == [other_office.pk]
    assert entry.data["offices_removed"] == [office.pk]
    assert entry.data["is_staff"] is True
    assert {"role", "groups", "offices", "is_staff"} <= set(entry.data["fields"])


def test_the_migration_seals_existing_totp_devices_and_empties_the_old_table(staff):
    """django-otp's plaintext table, as an installation upgraded from before has it."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "casedesk.accounts.migrations.0004_totp_devices_sealed")
    worker = staff[Role.CASEWORKER]
    hex_key = "3132333435363738393031323334353637383930"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id serial PRIMARY KEY, user_id bigint, "
            "name text, confirmed boolean, key text, step int, t0 bigint, digits int, "
            "tolerance int, drift int, last_t bigint, throttling_failure_timestamp "
            "timestamptz NULL, throttling_failure_count int, created_at timestamptz NULL, "
            "last_used_at timestamptz NULL)")
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice (user_id, name, confirmed, key, step, t0, "
            "digits, tolerance, drift, last_t, throttling_failure_count) "
            "VALUES (%s, 'totp', true, %s, 30, 0, 6, 1, 0, -1, 0)", [worker.pk, hex_key])
    with connection.schema_editor() as editor:
        migration.forwards(apps, editor)
    device = SecondFactorDevice.objects.get(user=worker)
    assert device.confirmed and device.secret == hex_key
    code = str(totp(device.bin_key)).zfill(6)
    assert device.verify_token(code)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT secret FROM accounts_secondfactordevice")
        assert hex_key not in cursor.fetchone()[0]
