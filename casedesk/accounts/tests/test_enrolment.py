"""Issue 15, finding 5: the first authenticator needs a one-time enrolment code that an
administrator issued out of band; the password alone enrols nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from casedesk.accounts import services
from casedesk.accounts.models import EnrolmentCode, SecondFactorDevice
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.core.errors import ApplicationError

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.CASEDESK_OTP_REQUIRED = True
    settings.AXES_ENABLED = True


@pytest.fixture
def person(office, make_user):
    user = make_user(Role.CASEWORKER, office, username="worker")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def administrator(office, make_user):
    user = make_user(Role.ADMINISTRATOR, office, username="admin")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def signed_in(language: str) -> Client:
    client = Client()
    response = client.post(f"/{language}/staff/login/",
                           {"username": "worker", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    return client


def token_for(device: SecondFactorDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                    drift=device.drift)).zfill(device.digits)


@pytest.mark.parametrize(("language", "heading", "what_to_do"), [
    ("ru", "Настройка двухфакторного входа", "Попросите код подключения у администратора"),
    ("en", "Set up two-factor sign-in", "Ask an administrator of casedesk for an enrolment"),
])
def test_the_password_alone_enrols_no_device_and_the_page_says_what_to_do(
        person, language, heading, what_to_do):
    client = signed_in(language)
    # Every staff page sends the person to enrolment, which asks for the code first.
    response = client.get(f"/{language}/staff/", follow=True)
    body = response.content.decode()
    assert heading in body and what_to_do in body
    # No secret, no QR code, no device before an enrolment code is accepted.
    assert "otpauth://" not in body and "<svg" not in body
    assert not SecondFactorDevice.objects.filter(user=person).exists()
    response = client.post(f"/{language}/staff/account/two-factor/",
                           {"code": "ACDE-FGHJ-KMNP"})
    assert response.status_code == 400
    assert "otpauth://" not in response.content.decode()
    assert not SecondFactorDevice.objects.filter(user=person).exists()
    assert AuditEntry.objects.filter(action="otp.enrolment_code_refused",
                                     actor_id=person.pk, data__result="wrong").exists()


def test_an_issued_code_enrols_once_and_is_stored_only_as_a_hash(person, administrator):
    code, expires = services.enrolment_code_issue(user=person, actor=administrator)
    assert expires > timezone.now() + dt.timedelta(hours=71)
    stored = EnrolmentCode.objects.get(user=person)
    assert code not in stored.code_hash and code.replace("-", "") not in stored.code_hash
    issued = AuditEntry.objects.get(action="otp.enrolment_code_issued")
    assert (issued.actor_id, issued.object_id) == (administrator.pk, str(person.pk))

    client = signed_in("en")
    response = client.post("/en/staff/account/two-factor/", {"code": code.lower()})
    assert response.status_code == 302
    response = client.get("/en/staff/account/two-factor/")
    assert "otpauth://totp/casedesk%3Aworker?secret=" in response.content.decode()
    device = SecondFactorDevice.objects.get(user=person)
    response = client.post("/en/staff/account/two-factor/",
                           {"otp_token": token_for(device), "next": "/en/staff/"})
    assert response.status_code == 302 and response["Location"] == "/en/staff/"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="otp.enrolment_code_used",
                                     actor_id=person.pk).exists()
    assert AuditEntry.objects.filter(action="otp.enrolled", actor_id=person.pk).exists()

    # Used: it does not work a second time.
    with pytest.raises(ApplicationError):
        services.enrolment_code_redeem(user=person, code=code)
    assert AuditEntry.objects.filter(action="otp.enrolment_code_refused",
                                     data__result="used").exists()


def test_an_expired_or_replaced_code_is_refused(person, administrator):
    old, _expires = services.enrolment_code_issue(user=person, actor=administrator)
    new, _expires = services.enrolment_code_issue(user=person, actor=administrator)
    with pytest.raises(ApplicationError):
        services.enrolment_code_redeem(user=person, code=old)  # replaced by the new one
    EnrolmentCode.objects.filter(user=person).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ApplicationError):
        services.enrolment_code_redeem(user=person, code=new)
    assert AuditEntry.objects.filter(action="otp.enrolment_code_refused",
                                     data__result="expired").count() == 2


def test_only_an_administrator_issues_codes(person, office, make_user):
    supervisor = make_user(Role.SUPERVISOR, office, username="boss")
    with pytest.raises(ApplicationError):
        services.enrolment_code_issue(user=person, actor=supervisor)
    with pytest.raises(ApplicationError):
        services.enrolment_code_issue(user=person, actor=person)


def test_the_administrator_issues_a_code_in_the_admin_and_sees_it_once(person, administrator,
                                                                      settings):
    settings.CASEDESK_OTP_REQUIRED = False  # the administrator signs in with force_login
    client = Client()
    client.force_login(administrator)
    response = client.post("/ru/admin/accounts/user/", {
        "action": "issue_enrolment_code", "_selected_action": [person.pk]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "Код подключения для worker" in body
    code = body.split("<code>")[1].split("</code>")[0]
    services.enrolment_code_redeem(user=person, code=code)


def test_a_lost_phone_is_replaced_with_a_new_code(person, administrator):
    old = SecondFactorDevice.objects.create(user=person, name="totp", confirmed=True)
    client = signed_in("en")
    # Without a code, the person with a device is asked for that device's code.
    response = client.get("/en/staff/account/two-factor/")
    assert response["Location"].startswith("/en/staff/account/verify/")
    code, _expires = services.enrolment_code_issue(user=person, actor=administrator)
    response = client.post("/en/staff/account/two-factor/", {"code": code})
    assert response.status_code == 302
    client.get("/en/staff/account/two-factor/")
    new = SecondFactorDevice.objects.get(user=person, confirmed=False)
    response = client.post("/en/staff/account/two-factor/", {"otp_token": token_for(new)})
    assert response.status_code == 302
    assert list(SecondFactorDevice.objects.filter(user=person)) == [new]
    assert not SecondFactorDevice.objects.filter(pk=old.pk).exists()


def test_the_first_administrator_gets_a_code_from_the_shell(person, administrator):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("enrolment_code_issue", "admin", "--operator", "admin", stdout=out)
    code = out.getvalue().split("admin: ")[1].split()[0]
    services.enrolment_code_redeem(user=administrator, code=code)
    issued = AuditEntry.objects.get(action="otp.enrolment_code_issued")
    assert issued.actor_id == administrator.pk
