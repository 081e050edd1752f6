"""``UrgencyFlag.open`` follows its case's state (urgency.0002_flag_open's triggers, on
PostgreSQL), whatever writes the case: the "urgent only" queue and the urgent counts start
from the open standing flags, so a closed case's flag leaves them and a reopened one's
comes back."""

from __future__ import annotations

import pytest
from django.db import connection

from casedesk.cases.models import Case
from casedesk.core.states import OPEN_STATES, CaseState
from casedesk.urgency import selectors
from casedesk.urgency.models import UrgencyFlag

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the triggers are PostgreSQL's")]


def flag_for(case) -> UrgencyFlag:
    return UrgencyFlag.objects.create(case=case, reasons={"codes": ["threat_to_life"]},
                                      rulebook_version=case.rulebook_version)


def is_open(flag) -> bool:
    return UrgencyFlag.objects.values_list("open", flat=True).get(pk=flag.pk)


def test_the_migration_knows_the_open_states():
    """The triggers' list of open states is core.states.OPEN_STATES: a state added there
    needs a migration that writes the functions again."""
    from importlib import import_module

    migration = import_module("casedesk.urgency.migrations.0002_flag_open")
    assert set(migration.OPEN_STATES) == {str(state) for state in OPEN_STATES}


@pytest.mark.parametrize("state", list(CaseState))
def test_every_state_of_the_case_is_followed(register, state):
    case = register(text="Сын ранен.")
    flag = flag_for(case)
    assert is_open(flag)
    Case.objects.filter(pk=case.pk).update(state=state)  # as any writer may
    assert is_open(flag) == (state in OPEN_STATES)


def test_a_flag_takes_its_case_state_when_written(register):
    closed = register(text="Сын ранен.")
    Case.objects.filter(pk=closed.pk).update(state=CaseState.CLOSED)
    assert not is_open(flag_for(closed))
    # A flag moved to a closed case (as a merge of cases might) takes its state too.
    flag = flag_for(register(text="Мужа взяли в плен."))
    assert is_open(flag)
    UrgencyFlag.objects.filter(case=closed).delete()
    UrgencyFlag.objects.filter(pk=flag.pk).update(case=closed)
    assert not is_open(flag)


def test_closed_leaves_the_queue_and_the_count_reopened_comes_back(register, office):
    case = register(text="Сын ранен.")
    flag_for(case)
    others = register(text="Просим пересчитать выплаты.")
    flag_for(others)
    queue = Case.objects.filter(office=office)
    assert set(selectors.only_urgent(queue).values_list("pk", flat=True)) == {
        case.pk, others.pk}
    assert selectors.urgent_open_by_office(office_ids=[office.pk]) == {office.pk: 2}
    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED)
    assert set(selectors.only_urgent(queue).values_list("pk", flat=True)) == {others.pk}
    assert selectors.urgent_open_by_office(office_ids=[office.pk]) == {office.pk: 1}
    Case.objects.filter(pk=case.pk).update(state=CaseState.IN_REVIEW)
    assert selectors.urgent_open_by_office(office_ids=[office.pk]) == {office.pk: 2}


def test_the_state_decides_where_the_flag_does_not_know(register, office):
    """SQLite keeps no ``open`` (it stays true): the filter and the count still leave a
    closed case out by its state. Here a flag told it is open by a writer of its own."""
    case = register(text="Сын ранен.")
    flag_for(case)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED)
    UrgencyFlag.objects.filter(case=case).update(open=True)
    assert not selectors.only_urgent(Case.objects.all()).exists()
    assert selectors.urgent_open_by_office(office_ids=[office.pk]) == {}
