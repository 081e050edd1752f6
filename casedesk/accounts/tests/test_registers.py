"""The offices' registers of incoming and outgoing mail (вх. № / исх. №)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from casedesk.accounts.models import Office
from casedesk.accounts.services import register_number_next


@pytest.mark.django_db
def test_each_register_counts_on_its_own_per_office_and_year(office, other_office):
    day = dt.date(2026, 12, 7)
    assert register_number_next(office=office, direction="in", on=day) == "MSK/2026/00001"
    assert register_number_next(office=office, direction="in", on=day) == "MSK/2026/00002"
    assert register_number_next(office=office, direction="out", on=day) == "MSK/2026/00001"
    assert register_number_next(office=other_office, direction="in", on=day) \
        == "SPB/2026/00001"
    assert register_number_next(office=office, direction="in",
                                on=dt.date(2027, 1, 1)) == "MSK/2027/00001"


@pytest.mark.django_db
def test_a_rolled_back_number_is_given_again(office):
    day = dt.date(2026, 12, 7)
    with pytest.raises(RuntimeError), transaction.atomic():
        register_number_next(office=office, direction="out", on=day)
        raise RuntimeError
    assert register_number_next(office=office, direction="out", on=day) == "MSK/2026/00001"


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError):
        register_number_next(office=Office(code="MSK"), direction="sideways",
                             on=dt.date(2026, 1, 1))


@pytest.mark.django_db
def test_only_one_office_is_the_default(office, other_office):
    office.is_default = True
    office.save()
    other_office.is_default = True
    with pytest.raises(IntegrityError), transaction.atomic():
        other_office.save()
