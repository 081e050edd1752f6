"""Authentication (issue 6): breached passwords, login throttling, two-factor login for
staff, signing out everywhere."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from casedesk.accounts import services
from casedesk.accounts.models import SecondFactorDevice
from casedesk.accounts.passwords import BreachedPasswordValidator
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English messages: pages under /en/ (reverse() follows)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _auth_on(settings):
    """The shared conftest switches the second factor and axes off for other tests."""
    settings.CASEDESK_OTP_REQUIRED = True
    settings.AXES_ENABLED = True


@pytest.fixture
def person(office, make_user):
    user = make_user(Role.CASEWORKER, office, username="worker")
    user.set_password(PASSWORD)
    user.save()
    return user


def token_for(device: SecondFactorDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=device.drift + offset)
    return str(value).zfill(device.digits)


def sign_in(client: Client, username: str = "worker", password: str = PASSWORD):
    return client.post(reverse("staff:login"), {"username": username, "password": password},
                       REMOTE_ADDR="10.0.0.1")


# --- breached passwords --------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "password1234",  # on the list as it is
    "PASSWORD1234",  # any case
    "Iloveyou2024!",  # an entry plus digits and signs
    "qwertyuiop123!!",
    "Sunshine!!!!!!!",
    "123456789012",
])
def test_breached_and_common_passwords_are_refused(password):
    with pytest.raises(ValidationError) as caught:
        BreachedPasswordValidator().validate(password)
    assert caught.value.error_list[0].code == "password_breached"


@pytest.mark.parametrize("password", [
    "correct horse battery staple",
    "violet-kettle-arbitrage",
    "ab93847561029384",  # a short entry plus random digits is not that entry
])
def test_uncommon_passwords_pass(password):
    BreachedPasswordValidator().validate(password)


def test_the_message_is_translated(settings):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        BreachedPasswordValidator().validate("monkey123456")
    assert "list of passwords known to attackers" in caught.value.messages[0]


@pytest.mark.django_db
def test_the_configured_validators_refuse_short_and_breached_passwords():
    with pytest.raises(ValidationError):
        validate_password("Dragon2024!!")
    with pytest.raises(ValidationError):
        validate_password("kx8#Tq2")  # too short
    validate_password("plum orbit harness quietly")


def test_the_list_is_shipped_and_large():
    assert len(BreachedPasswordValidator().passwords) > 10_000


# --- login throttling ----------------------------------------------------------------

def test_five_failures_lock_the_username_from_that_address(client, person):
    for _ in range(4):
        response = sign_in(client, password="wrong password!")
        assert response.status_code == 200
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    # Locked: even the right password does not get in now.
    response = sign_in(client)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address, or another username from this address, is not locked.
    other = Client()
    response = other.post(reverse("staff:login"), {"username": "worker", "password": PASSWORD},
                          REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302


def test_the_lock_ends_after_fifteen_minutes(client, person):
    import datetime as dt

    from axes.models import AccessAttempt

    for _ in range(5):
        sign_in(client, password="wrong password!")
    assert sign_in(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert sign_in(client).status_code == 302


def test_the_lockout_page_follows_the_language(client, person):
    for _ in range(5):
        response = client.post("/ru/staff/login/", {"username": "worker", "password": "no"},
                               REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert '<html lang="ru">' in response.content.decode()


# --- two-factor login ----------------------------------------------------------------

def test_after_the_password_a_new_person_must_enrol_before_any_staff_page(client, person):
    response = sign_in(client)
    assert response.status_code == 302
    for url in (reverse("staff:queues"), "/en/admin/", reverse("staff:register")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:otp_enrol"))


def test_enrolment_shows_the_uri_and_an_inline_svg_qr_code(client, person, office, make_user):
    admin = make_user(Role.ADMINISTRATOR, office, username="admin")
    code, _expires = services.enrolment_code_issue(user=person, actor=admin)
    sign_in(client)
    client.post(reverse("accounts:otp_enrol"), {"code": code})
    response = client.get(reverse("accounts:otp_enrol"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "otpauth://totp/casedesk%3Aworker?secret=" in body
    assert "<svg" in body and "<path" in body
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert "style" not in svg and "<script" not in svg
    assert "<script>" not in body and "style=" not in body  # nothing inline for CSP
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_enrolment_with_the_right_code_signs_in_and_opens_staff_pages(client, person, office,
                                                                     make_user):
    admin = make_user(Role.ADMINISTRATOR, office, username="admin")
    code, _expires = services.enrolment_code_issue(user=person, actor=admin)
    sign_in(client)
    client.post(reverse("accounts:otp_enrol"), {"code": code})
    client.get(reverse("accounts:otp_enrol"))
    device = SecondFactorDevice.objects.get(user=person)
    assert not device.confirmed
    response = client.post(reverse("accounts:otp_enrol"), {"otp_token": "000000"})
    assert response.status_code == 400
    response = client.post(reverse("accounts:otp_enrol"), {"otp_token": token_for(device)})
    assert response.status_code == 400 and "Wait" in response.content.decode()  # throttled
    SecondFactorDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    response = client.post(reverse("accounts:otp_enrol"),
                           {"otp_token": token_for(device), "next": reverse("staff:queues")})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("staff:queues")).status_code == 200
    assert AuditEntry.objects.filter(action="otp.enrolled", actor_id=person.pk).exists()


@pytest.fixture
def device(person):
    return SecondFactorDevice.objects.create(user=person, name="totp", confirmed=True)


def test_a_person_with_a_device_must_enter_a_code(client, person, device):
    sign_in(client)
    response = client.get(reverse("staff:queues"))
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    # The password alone cannot enrol another device.
    response = client.get(reverse("accounts:otp_enrol"))
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    response = client.post(reverse("accounts:otp_verify"), {"otp_token": "123456"})
    assert response.status_code == 400
    assert client.get(reverse("staff:queues")).status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(reverse("accounts:otp_verify"),
                           {"otp_token": token_for(device), "next": reverse("staff:queues")})
    assert response.status_code == 302 and response["Location"] == reverse("staff:queues")
    assert client.get(reverse("staff:queues")).status_code == 200
    assert AuditEntry.objects.filter(action="login.second_factor", data__result="ok").exists()
    assert AuditEntry.objects.filter(action="login.second_factor",
                                     data__result="failed").exists()


def test_wrong_codes_are_throttled(client, person, device):
    sign_in(client)
    client.post(reverse("accounts:otp_verify"), {"otp_token": "123456"})
    response = client.post(reverse("accounts:otp_verify"), {"otp_token": token_for(device)})
    assert response.status_code == 400  # the right code too, while throttled
    assert "Wait" in response.content.decode()


def test_next_must_stay_on_this_site(client, person, device):
    sign_in(client)
    response = client.post(reverse("accounts:otp_verify"),
                           {"otp_token": token_for(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("staff:queues")


def test_the_admin_needs_the_second_factor_too(client, office, make_user):
    admin = make_user(Role.SUPERVISOR, office, username="boss")
    admin.is_staff = admin.is_superuser = True
    admin.set_password(PASSWORD)
    admin.save()
    SecondFactorDevice.objects.create(user=admin, name="totp", confirmed=True)
    client.post("/en/admin/login/", {"username": "boss", "password": PASSWORD},
                REMOTE_ADDR="10.0.0.1")
    response = client.get("/en/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))


def test_the_setting_turns_it_off_for_force_login_tests(client, person, settings):
    settings.CASEDESK_OTP_REQUIRED = False
    client.force_login(person)
    assert client.get(reverse("staff:queues")).status_code == 200


# --- sign out everywhere -------------------------------------------------------------

def test_sign_out_everywhere_ends_every_session_of_that_person_only(person, device, office,
                                                                   make_user):
    other = make_user(Role.CASEWORKER, office, username="other")
    phone, laptop, theirs = Client(), Client(), Client()
    phone.force_login(person)
    laptop.force_login(person)
    theirs.force_login(other)
    for c in (phone, laptop):
        sign_in(c)
        c.post(reverse("accounts:otp_verify"), {"otp_token": token_for(device)})
        device.refresh_from_db()
        device.last_t = -1
        device.throttling_failure_count = 0
        device.save()
    assert laptop.get(reverse("staff:queues")).status_code == 200
    response = phone.post(reverse("accounts:logout_everywhere"))
    assert response.status_code == 302
    assert laptop.get(reverse("staff:queues"))["Location"].startswith(reverse("staff:login"))
    assert phone.get(reverse("staff:queues"))["Location"].startswith(reverse("staff:login"))
    remaining = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(person.pk) not in remaining and str(other.pk) in remaining
    assert AuditEntry.objects.filter(action="logout.everywhere", data__count=2).exists()


def test_sign_out_everywhere_needs_post(client, person):
    client.force_login(person)
    assert client.get(reverse("accounts:logout_everywhere")).status_code in (302, 405)
