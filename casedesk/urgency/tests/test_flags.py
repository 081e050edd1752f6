"""The urgency task: new cases of any office flagged after the receipt (the hook
cases_opened), the reasons sealed under the case's key, run again without change, a
cleared flag rising again only for a new reason, clearing audited and refused to roles
without ``urgency_clear`` or of another office, and a failure logged without anything
personal, leaving the cases as they were."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.models import Case
from casedesk.core.errors import ApplicationError
from casedesk.urgency import services, tasks
from casedesk.urgency.models import UrgencyFlag

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
URGENT = "Сын ранен, его не лечат. Он пишет, что не хочет жить."
PLAIN = "Просим пересчитать выплаты за март."


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def two(register, office, other_office, make_user, django_capture_on_commit_callbacks):
    """An urgent and a plain case here, an urgent one in the other office; each
    registered as the desk does, with the hook's task run after the commit."""
    clerk_there = make_user(Role.INTAKE_CLERK, other_office, username="clerk-there")
    with django_capture_on_commit_callbacks(execute=True):
        urgent = register(text=URGENT)
    with django_capture_on_commit_callbacks(execute=True):
        plain = register(text=PLAIN)
    with django_capture_on_commit_callbacks(execute=True):
        there = register(text="Мужа взяли в плен в марте.", actor=clerk_there,
                         office=other_office)
    return urgent, plain, there


def test_new_cases_of_both_offices_are_flagged_after_the_receipt(two):
    urgent, plain, there = two
    flags = {f.case_id: f for f in UrgencyFlag.objects.all()}
    assert set(flags) == {urgent.pk, there.pk}
    assert flags[urgent.pk].urgent and flags[urgent.pk].rulebook_version == "2026.1"
    assert flags[urgent.pk].codes == ["suicide", "wounded_untreated"]
    assert flags[there.pk].codes == ["missing_or_captive"]
    # Sealed: the column holds no code in the clear.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reasons FROM urgency_urgencyflag")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "suicide" not in stored and "missing" not in stored
    entries = AuditEntry.objects.filter(action="case.urgency_flagged")
    assert {e.object_id for e in entries} == {str(urgent.pk), str(there.pk)}
    assert all(set(e.data) == {"count"} for e in entries)


def test_run_again_changes_nothing(two):
    urgent, plain, there = two
    before = list(UrgencyFlag.objects.values_list("case_id", "set_at"))
    assert services.cases_evaluate(case_ids=[urgent.pk, plain.pk, there.pk]) == []
    assert list(UrgencyFlag.objects.values_list("case_id", "set_at")) == before


def test_clearing_is_audited_and_a_cleared_flag_rises_only_for_a_new_reason(two, staff):
    urgent, _plain, _there = two
    flag = services.urgency_clear(actor=staff[Role.CASEWORKER], case=urgent)
    assert not flag.urgent and flag.cleared_by == staff[Role.CASEWORKER]
    entry = AuditEntry.objects.get(action="case.urgency_cleared")
    assert entry.object_id == str(urgent.pk) and entry.actor_id == staff[Role.CASEWORKER].pk
    # The same texts read again: it stays cleared.
    assert services.cases_evaluate(case_ids=[urgent.pk]) == []
    assert not UrgencyFlag.objects.get(case=urgent).urgent
    with pytest.raises(ApplicationError):
        services.urgency_clear(actor=staff[Role.CASEWORKER], case=urgent)


def test_a_new_appeal_with_a_new_reason_raises_it_again(two, staff, register):
    urgent, _plain, _there = two
    services.urgency_clear(actor=staff[Role.CASEWORKER], case=urgent)
    later = register(text="Сына задержала военная полиция.", attach_to=urgent)
    assert later.pk == urgent.pk
    assert services.cases_evaluate(case_ids=[urgent.pk]) == [urgent.pk]
    flag = UrgencyFlag.objects.get(case=urgent)
    assert flag.urgent and flag.cleared_at is None
    assert flag.codes == ["suicide", "detention", "wounded_untreated"]


@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, Role.ANALYST, Role.COMMISSION_MEMBER])
def test_clearing_needs_the_action(two, staff, role):
    urgent, _plain, _there = two
    with pytest.raises(ApplicationError):
        services.urgency_clear(actor=staff[role], case=urgent)
    assert UrgencyFlag.objects.get(case=urgent).urgent


def test_clearing_another_office_s_case_is_refused(two, staff):
    _urgent, _plain, there = two
    with pytest.raises(ApplicationError):
        services.urgency_clear(actor=staff[Role.SUPERVISOR], case=there)
    assert UrgencyFlag.objects.get(case=there).urgent


def test_a_failure_is_logged_without_personal_data(register, monkeypatch, caplog):
    monkeypatch.setattr(services, "evaluate_later", lambda **kw: None)
    case = register(text=URGENT)

    def broken(**kwargs):
        raise ValueError("Иванов Пётр Сергеевич: " + URGENT)

    monkeypatch.setattr(services, "cases_evaluate", broken)
    assert tasks.urgency_evaluate.call(case_ids=[case.pk]) == 0
    assert "urgency not evaluated: count=1 error=ValueError" in caplog.text
    assert "Иванов" not in caplog.text and "жить" not in caplog.text
    assert not UrgencyFlag.objects.exists()
    assert Case.objects.get(pk=case.pk).state == case.state


def test_a_failure_to_queue_is_logged_and_the_appeal_stays(register, monkeypatch, caplog,
                                                           django_capture_on_commit_callbacks):
    def refused(**kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "urgency_evaluate", SimpleNamespace(enqueue=refused))
    with django_capture_on_commit_callbacks(execute=True):
        case = register(text=URGENT)
    assert Case.objects.filter(pk=case.pk).exists()
    assert "urgency not evaluated: count=1 error=ConnectionError" in caplog.text
    assert not UrgencyFlag.objects.exists()
