"""Shared fixtures: offices and staff are reference data; cases come from the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casedesk.accounts.models import Office, User
from casedesk.accounts.roles import Role
from casedesk.browser_testing import (  # noqa: F401 - one Chromium for the whole session
    browser,
    new_page,
    page,
    pytest_runtest_makereport,
)
from casedesk.intake.services import PersonData, appeal_register


@pytest.fixture(autouse=True, scope="session")
def _second_factor_and_lockout_off():
    """Tests sign in with force_login/client.login (axes refuses authenticate() without a
    request); accounts/tests/test_auth.py switches both back on per test."""
    from django.conf import settings

    settings.CASEDESK_OTP_REQUIRED = False
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language and leaves none active: a test that
    activates a language (a view, a command's --language) must not decide the language
    of the tests that run after it on the same worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _registrar_stopped():
    """Batching is on in the suite (the production write path). A test whose appeals
    went through the registrar's thread (live server, transactional tests) leaves it
    stopped, its connections closed: the next test's database, or the end of the session
    dropping it, must not find them open."""
    yield
    from casedesk.intake import batching

    batching.registrar_stop()


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def pytest_collection_modifyitems(items):
    """Every test that uses the database gets the key store too (the ``keys`` alias,
    casedesk.core.crypto): writing a person writes their data key there."""
    from pytest_django.fixtures import validate_django_db

    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        transaction, reset, databases, serialized, apps = (
            validate_django_db(marker) if marker else (False, False, None, False, None))
        if databases is None:
            item.add_marker(pytest.mark.django_db(
                transaction=transaction, reset_sequences=reset, databases="__all__",
                serialized_rollback=serialized, available_apps=apps), append=False)


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """Regions come from a data migration; a transactional test's flush deletes them, so
    put them back before every test that uses the database."""
    if not (request.node.get_closest_marker("django_db")
            or DB_FIXTURES & set(request.fixturenames)):
        return
    request.getfixturevalue("django_db_setup")
    from casedesk.intake import routing

    routing.offices_forget()  # the offices of an earlier test were rolled back
    from casedesk.core.models import Region
    from casedesk.core.reference import load_regions
    from casedesk.intake import services as intake_services

    # The region ids intake keeps per process belong to the database of an earlier test:
    # a flush and reload, or a serialized rollback, gives the regions other ids (never in
    # production, where regions are loaded once).
    intake_services.region_ids_forget()
    with django_db_blocker.unblock():
        if not Region.objects.exists():
            load_regions(Region)


@pytest.fixture
def office(db):
    return Office.objects.create(code="MSK", name_ru="Москва", name_en="Moscow")


@pytest.fixture
def other_office(db):
    return Office.objects.create(code="SPB", name_ru="Санкт-Петербург", name_en="St Petersburg")


@pytest.fixture
def make_user(db):
    def make(role: str, *offices: Office, username: str | None = None) -> User:
        user = User.objects.create_user(
            username=username or f"{role}-{User.objects.count()}", password="x" * 16, role=role
        )
        user.offices.set(offices)
        return user

    return make


@pytest.fixture
def staff(office, make_user):
    """One user of every role in ``office``."""
    return {role: make_user(role, office, username=role) for role in Role.values}


@pytest.fixture
def person_data():
    """The intake's ``PersonData``, for tests of lower layers that cannot import it."""
    return PersonData


@pytest.fixture
def register(staff, office):
    """Register an appeal through the intake service; returns its case."""

    def do(*, channel: str = "letter", at: dt.datetime | None = None, **kwargs):
        params = dict(
            actor=staff[Role.INTAKE_CLERK],
            office=office,
            channel=channel,
            text="Сына записали в СОЧ, хотя он лежит в госпитале.",
            applicant=PersonData(full_name="Иванова Анна Петровна",
                                 postal_address="Москва, ул. Примерная, 1"),
            relation="mother",
            service_member=PersonData(full_name="Иванов Пётр Сергеевич",
                                      birth_date=dt.date(1990, 5, 1), unit="12345",
                                      service_type="mobilized"),
            category="record_error_awol",
            received_at=at or timezone.now(),
        )
        params.update(kwargs)
        return appeal_register(**params).case

    return do



def _deserialize_after_a_flush(original):
    """A transactional test without ``serialized_rollback`` ends with a flush that lets
    post_migrate create the content types (and their permissions) again, under new ids;
    a ``serialized_rollback`` test after it on the same worker then restores the rows of
    the migrated database with the old ids and hits the unique (app_label, model). Before
    restoring, drop the content types whose ids differ from the serialized ones (their
    permissions go with them and are restored too), so the order of tests does not
    matter."""

    def deserialize(self, data):
        import json

        from django.contrib.contenttypes.models import ContentType

        serialized = {(row["fields"]["app_label"], row["fields"]["model"]): row["pk"]
                      for row in json.loads(data) if row["model"] == "contenttypes.contenttype"}
        alias = self.connection.alias
        if serialized:
            stale = [ct.pk for ct in ContentType.objects.using(alias).all()
                     if serialized.get((ct.app_label, ct.model), ct.pk) != ct.pk]
            if stale:
                ContentType.objects.using(alias).filter(pk__in=stale).delete()
                ContentType.objects.clear_cache()
        return original(self, data)

    return deserialize


def pytest_configure(config):
    from django.db.backends.base.creation import BaseDatabaseCreation

    if not getattr(BaseDatabaseCreation.deserialize_db_from_string, "_casedesk", False):
        patched = _deserialize_after_a_flush(BaseDatabaseCreation.deserialize_db_from_string)
        patched._casedesk = True
        BaseDatabaseCreation.deserialize_db_from_string = patched
