"""Signing in as staff in a real (headless) Chromium: the second factor (TOTP) after the
password, enrolling an authenticator with an administrator's enrolment code, and the
lockout after five wrong passwords.

The two-factor walkthrough runs in Russian (/ru/...), the lockout in English (/en/...).
Screenshots go to test-artifacts/screenshots/auth_*.png for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django_otp.oath import totp
from playwright.sync_api import expect

from casedesk.accounts.models import SecondFactorDevice
from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.browser_testing import screenshot, url

# The regions come from a data migration: restore them after each flush of the database.
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery staple"
WRONG = "wrong horse battery staple"


@pytest.fixture(autouse=True)
def _auth_on(settings):
    """The shared conftest switches the second factor and axes off for other tests; the
    live server runs in this process, so it sees the override."""
    settings.CASEDESK_OTP_REQUIRED = True
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Throttles count in the cache as well as in the database: start and end clean."""
    cache.clear()
    yield
    cache.clear()


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


def a_wrong_token(device: SecondFactorDevice) -> str:
    """Six digits that no step within the device's tolerance accepts."""
    near = {token_for(device, offset) for offset in range(-device.tolerance - 1,
                                                            device.tolerance + 2)}
    return next(t for t in (f"{n:06d}" for n in range(123456, 1_000_000, 111)) if t not in near)


def submit_password(page, live_server, language: str, password: str) -> None:
    """Fill in the staff sign-in form (opening it first if the page is elsewhere)."""
    address = url(live_server, "staff:login", language=language)
    if page.url.split("?")[0] != address:
        page.goto(address)
    form = page.locator("main form")
    form.locator("#id_username").fill("worker")
    form.locator("#id_password").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


# --- 1. two-factor login, in Russian ------------------------------------------------------

def test_after_the_password_the_code_is_asked_a_wrong_one_refused_the_right_one_lets_in(
        live_server, page, person):
    device = SecondFactorDevice.objects.create(user=person, name="totp", confirmed=True)
    queues = url(live_server, "staff:queues", language="ru")

    submit_password(page, live_server, "ru", PASSWORD)
    # The password alone does not open the queues: the code page asks for the app's code.
    expect(page).to_have_url(re.compile(r"/ru/staff/account/verify/\?next="))
    expect(page.locator("main h1")).to_have_text("Подтверждение входа")
    code = page.get_by_label("Код из приложения-аутентификатора")
    expect(code).to_be_visible()
    expect(code).to_be_focused()
    expect(page.locator("main [role=alert]")).to_have_count(0)
    screenshot(page, "auth_otp_code_asked_ru")

    code.fill(a_wrong_token(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator("main [role=alert]")).to_have_text(
        "Код неверный. Введите текущий код из приложения.")
    expect(page.locator("main h1")).to_have_text("Подтверждение входа")
    screenshot(page, "auth_otp_wrong_code_ru")
    # Still not in: the queues send the person back to the code page.
    page.goto(queues)
    expect(page).to_have_url(re.compile(r"/ru/staff/account/verify/\?next="))

    # django-otp makes the device wait after a wrong code (1 s after the first), as a
    # person would before typing the next one.
    page.wait_for_timeout(1500)
    page.get_by_label("Код из приложения-аутентификатора").fill(token_for(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Подтвердить").click()
    expect(page).to_have_url(queues)
    expect(page.locator("main h1")).to_have_text("Очереди")
    expect(page.locator("header .who")).to_have_text("worker · исполнитель")
    screenshot(page, "auth_otp_signed_in_ru")

    results = list(AuditEntry.objects.filter(action="login.second_factor", actor_id=person.pk)
                   .order_by("seq").values_list("data__result", flat=True))
    assert results == ["failed", "ok"]


# --- 1b. enrolment needs the administrator's code, in Russian -------------------------------

def test_enrolment_asks_for_the_administrators_code_then_shows_the_app_setup(
        live_server, page, person, office, make_user):
    from casedesk.accounts import services

    admin = make_user(Role.ADMINISTRATOR, office, username="admin")
    queues = url(live_server, "staff:queues", language="ru")
    submit_password(page, live_server, "ru", PASSWORD)
    # The password alone: the page asks for an enrolment code and says where to get it.
    expect(page).to_have_url(re.compile(r"/ru/staff/account/two-factor/\?next="))
    expect(page.locator("main h1")).to_have_text("Настройка двухфакторного входа")
    expect(page.locator("main")).to_contain_text(
        "Попросите код подключения у администратора casedesk")
    expect(page.locator("main svg")).to_have_count(0)
    screenshot(page, "auth_enrolment_code_asked_ru")

    field = page.get_by_label("Код подключения от администратора")
    field.fill("ACDE-FGHJ-KMNP")
    with page.expect_navigation():
        page.get_by_role("button", name="Продолжить").click()
    expect(page.locator("main [role=alert]")).to_contain_text(
        "Код подключения неверный, уже использован или истёк.")
    assert not SecondFactorDevice.objects.filter(user=person).exists()

    code, _expires = services.enrolment_code_issue(user=person, actor=admin)
    page.get_by_label("Код подключения от администратора").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Продолжить").click()
    expect(page.locator("main svg")).to_have_count(1)  # the QR code, only now
    screenshot(page, "auth_enrolment_app_setup_ru")
    device = SecondFactorDevice.objects.get(user=person, confirmed=False)
    page.get_by_label("Код из приложения-аутентификатора").fill(token_for(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Подтвердить и войти").click()
    expect(page).to_have_url(queues)
    expect(page.locator("main h1")).to_have_text("Очереди")


# --- 2. the lockout after five wrong passwords, in English --------------------------------

def test_five_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(
        live_server, page, person):
    login_page = url(live_server, "staff:login", language="en")

    for attempt in range(1, 5):
        submit_password(page, live_server, "en", WRONG)
        expect(page.locator("main [role=alert]")).to_have_text("Wrong username or password.")
        expect(page.locator("main h1")).to_have_text("Staff sign-in")
        if attempt == 1:
            screenshot(page, "auth_wrong_password_en")

    submit_password(page, live_server, "en", WRONG)
    expect(page.locator("main h1")).to_have_text("Sign-in blocked for a while")
    expect(page.locator("main [role=alert]")).to_have_text(
        "Too many failed sign-in attempts for this account from your address. "
        "Try again in 15 minutes.")
    screenshot(page, "auth_locked_out_en")

    # Back to the form: now even the right password gets the lockout page.
    with page.expect_navigation():
        page.get_by_role("link", name="Back to sign-in").click()
    expect(page).to_have_url(login_page)
    submit_password(page, live_server, "en", PASSWORD)
    expect(page.locator("main h1")).to_have_text("Sign-in blocked for a while")
    screenshot(page, "auth_locked_out_right_password_en")

    # Not signed in: the queues still send the person to the sign-in page.
    page.goto(url(live_server, "staff:queues", language="en"))
    expect(page).to_have_url(re.compile(r"/en/staff/login/\?next="))
    assert person.pk not in AuditEntry.objects.filter(action="login").values_list(
        "actor_id", flat=True)
