"""The dashboard's count of open urgent cases (issue 19): the standing flags of the
offices the viewer may see, narrowed by the dashboard's office and category filters;
not a case staff marked "Not urgent", not a closed one, not another office's; counted
when the page is asked for (not at the refresh); a link to the queue's urgent cases
for those who read case files; in both languages."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases.services import case_transition
from casedesk.urgency.services import cases_evaluate, urgency_clear

URGENT = "Мужа взяли в плен в марте."
PLAIN = "Просим пересчитать выплаты за март."


def card(client, language: str = "en", query: str = "") -> str:
    content = client.get(f"/{language}/staff/stats/{query}").content.decode()
    return content.split('id="urgent-count"')[1].split("</section>")[0]


@pytest.fixture
def cases(register, staff, office, other_office, make_user):
    """Here: two urgent open cases (one of another category), one urgent case staff
    marked "Not urgent", one urgent case closed, a plain one. In the other office: one
    urgent. In a third office nobody here sees: one urgent. Flagged as the task does."""
    third = Office.objects.create(code="EKB", name_ru="Екатеринбург", name_en="Yekaterinburg")
    clerk_there = make_user(Role.INTAKE_CLERK, other_office, username="clerk-there")
    clerk_third = make_user(Role.INTAKE_CLERK, third, username="clerk-third")
    made = {
        "urgent": register(text=URGENT),
        "urgent_other_category": register(text=URGENT, category="insurance_payment"),
        "cleared": register(text=URGENT),
        "closed": register(text=URGENT),
        "plain": register(text=PLAIN),
        "there": register(text=URGENT, actor=clerk_there, office=other_office),
        "third": register(text=URGENT, actor=clerk_third, office=third),
    }
    flagged = cases_evaluate(case_ids=[c.pk for c in made.values()])
    assert len(flagged) == 6
    supervisor = staff[Role.SUPERVISOR]
    urgency_clear(actor=supervisor, case=made["cleared"])
    closed = case_transition(actor=supervisor, case=made["closed"], transition="withdraw",
                             reason="Заявитель отозвал обращение.")
    case_transition(actor=supervisor, case=closed, transition="close")
    call_command("stats_refresh", verbosity=0)
    return made


def test_the_supervisor_sees_the_count_of_their_office_and_the_link(client, staff, cases):
    client.force_login(staff[Role.SUPERVISOR])
    shown = card(client)
    assert "2 open cases are marked urgent." in shown
    assert "/en/staff/?queue=open&amp;urgent=1" in shown
    assert "urgent-by-office" not in shown  # one office: no breakdown


def test_several_offices_are_counted_each_and_filtered(client, staff, cases, office,
                                                       other_office, make_user):
    both = make_user(Role.SUPERVISOR, office, other_office, username="both")
    client.force_login(both)
    shown = card(client)
    assert "3 open cases are marked urgent." in shown
    assert "<li>Moscow: 2</li>" in shown and "<li>St Petersburg: 1</li>" in shown
    assert "Yekaterinburg" not in shown
    # The dashboard's filters: the office, the category (passed on to the queue).
    assert "1 open case is marked urgent." in card(client, query=f"?office={other_office.pk}")
    by_category = card(client, query="?category=insurance_payment")
    assert "1 open case is marked urgent." in by_category
    assert "queue=open&amp;urgent=1&amp;category=insurance_payment" in by_category


def test_the_administrator_counts_every_office_and_the_analyst_gets_no_link(client, staff,
                                                                            cases):
    client.force_login(staff[Role.ADMINISTRATOR])
    shown = card(client)
    assert "4 open cases are marked urgent." in shown
    assert "<li>Yekaterinburg: 1</li>" in shown
    assert "urgent=1" not in shown  # they read no case files
    client.force_login(staff[Role.ANALYST])
    shown = card(client)
    assert "2 open cases are marked urgent." in shown and "urgent=1" not in shown


def test_the_count_is_read_when_asked_not_at_the_refresh(client, staff, cases, register):
    client.force_login(staff[Role.SUPERVISOR])
    assert "2 open cases" in card(client)
    later = register(text=URGENT)
    cases_evaluate(case_ids=[later.pk])
    assert "3 open cases" in card(client)
    urgency_clear(actor=staff[Role.SUPERVISOR], case=later)
    urgency_clear(actor=staff[Role.SUPERVISOR], case=cases["urgent"])
    assert "1 open case is marked urgent." in card(client)


def test_the_card_in_russian(client, staff, cases, office, other_office, make_user):
    client.force_login(make_user(Role.SUPERVISOR, office, other_office, username="both"))
    shown = card(client, "ru")
    assert "Срочные дела" in shown
    assert "3 открытых дела отмечены как срочные." in shown
    assert "<li>Москва: 2</li>" in shown
    assert "/ru/staff/?queue=open&amp;urgent=1" in shown
    assert "Не срочно" in shown
