"""Issue 15, finding 10: guessable passwords, the demo password and demo seeding in
production, and failed sign-ins spread over many addresses."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.passwords import DEMO_PASSWORD, PasswordStrengthValidator
from casedesk.accounts.roles import Role

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa",  # a repetition
    "qwertyuiopas",  # a keyboard walk
    "москва123456",  # a Russian word and digits
    "moskva123456",  # the same in Latin letters
    "vjcrdf123456",  # the same typed without switching to the Russian layout
    "йцукенгшщзхъ",  # a walk on the Russian keyboard
    "пароль123456",
    "gfhjkm123456",  # "пароль" typed on the Latin layout
])
@pytest.mark.django_db
def test_guessable_passwords_are_refused_in_both_languages(password):
    for language, words in (("en", "too easy to guess"), ("ru", "слишком легко угадать")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            validate_password(password)
        assert "password_weak" in [error.code for error in caught.value.error_list]
        assert any(words in message for message in caught.value.messages), \
            caught.value.messages


@pytest.mark.parametrize("password", [
    "correct horse battery staple",
    "plum orbit harness quietly",
    "луна зеркало трамвай пингвин",
    "Ветер над Волгой 1987 синий",
])
@pytest.mark.django_db
def test_passphrases_pass(password):
    validate_password(password)


def test_the_persons_own_name_counts_as_a_known_word(make_user, office):
    user = make_user(Role.CASEWORKER, office, username="svetlichnaya")
    with pytest.raises(ValidationError):
        PasswordStrengthValidator().validate("svetlichnaya1990", user)


def test_the_demo_password_is_refused_in_production_only(settings, db):
    import re
    from pathlib import Path

    readme = (Path(settings.BASE_DIR) / "README.md").read_text("utf-8")
    assert re.search(r"password of every demo account is `([^`]+)`", readme)[1] == DEMO_PASSWORD
    validate_password(DEMO_PASSWORD)  # development: the demo logins keep it
    settings.ENV = "production"
    for language, words in (("en", "published password of the demo"),
                            ("ru", "опубликованный пароль демонстрационных")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            validate_password(DEMO_PASSWORD)
        assert any(words in message for message in caught.value.messages)


def test_seed_demo_refuses_to_run_in_production(settings, db):
    from casedesk.accounts.models import User

    settings.ENV = "production"
    with pytest.raises(CommandError, match="DJANGO_ENV=production"):
        call_command("seed_demo", "--cases", "0")
    assert not User.objects.exists()


# --- failed sign-ins for one account from many addresses ----------------------------------

@pytest.fixture
def _axes_on(settings):
    settings.AXES_ENABLED = True
    settings.CASEDESK_OTP_REQUIRED = False
    cache.clear()
    yield
    cache.clear()


def test_failures_from_many_addresses_lock_the_account(_axes_on, office, make_user):
    person = make_user(Role.CASEWORKER, office, username="worker")
    person.set_password(PASSWORD)
    person.save()

    def attempt(address: str, password: str, language: str = "en"):
        with translation.override(language):
            url = reverse("staff:login")
        return Client().post(url, {"username": "worker", "password": password},
                             REMOTE_ADDR=address)

    # Two wrong passwords from each of five addresses: no address reaches axes' 5.
    for n in range(10):
        response = attempt(f"10.0.1.{n // 2 + 1}", "wrong horse battery staple")
        assert response.status_code == 200, n
    # Now the right password from a sixth address is refused, and the page says why.
    response = attempt("10.0.1.99", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts for this account. Try again in 15 minutes." \
        in response.content.decode()
    response = attempt("10.0.1.98", PASSWORD, "ru")
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа в эту учётную запись." \
        in response.content.decode()
    # Another account is not affected.
    other = make_user(Role.CASEWORKER, office, username="other")
    other.set_password(PASSWORD)
    other.save()
    response = Client().post(reverse("staff:login"), {"username": "other",
                                                      "password": PASSWORD},
                             REMOTE_ADDR="10.0.1.99")
    assert response.status_code == 302
