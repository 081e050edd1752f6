"""Every role against every page and action, including guessed URLs of another office."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casedesk.accounts.roles import Role
from casedesk.cases.models import Case, CaseNote

READERS = {Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR, Role.COMMISSION_MEMBER}
WRITERS = {Role.INTAKE_CLERK, Role.CASEWORKER, Role.SUPERVISOR}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Letters written by the actions (the extension notice) go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cases(register, other_office, make_user):
    mine = register()
    theirs = register(office=other_office, actor=make_user(Role.INTAKE_CLERK, other_office))
    return mine, theirs


def page(name, case=None, **kwargs):
    if case is not None:
        kwargs["number"] = case.number
    return reverse(f"staff:{name}", kwargs=kwargs)


GETS = [
    ("queues", None, READERS),
    ("case", "mine", READERS),
    ("register", None, WRITERS),
    ("supervisor", None, {Role.SUPERVISOR}),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "which", "allowed"), GETS)
def test_pages_by_role(client, staff, cases, role, name, which, allowed):
    client.force_login(staff[role])
    case = {"mine": cases[0], None: None}[which]
    response = client.get(page(name, case))
    if name == "queues" and role in (Role.ANALYST, Role.ADMINISTRATOR):
        # No case files for them: the queues send them to the statistics.
        assert response.status_code == 302
        assert response["Location"] == reverse("stats:dashboard")
        return
    assert response.status_code == (200 if role in allowed else 403)
    if role not in allowed:
        assert cases[0].number.encode() not in response.content


@pytest.mark.parametrize("role", Role.values)
def test_another_office_case_is_never_shown(client, staff, cases, role):
    _, theirs = cases
    client.force_login(staff[role])
    for url in [page("case", theirs), page("document", theirs, document_id=1)]:
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert "Иванов" not in response.content.decode()
    queue = client.get(reverse("staff:queues") + "?queue=all")
    assert theirs.number.encode() not in queue.content
    search = client.get(reverse("staff:queues") + f"?queue=all&q={theirs.number}")
    assert page("case", theirs).encode() not in search.content  # the query is echoed, no row


@pytest.mark.parametrize("role", Role.values)
def test_posting_to_another_office_changes_nothing(client, staff, cases, role):
    _, theirs = cases
    client.force_login(staff[role])
    before = (theirs.state, theirs.assignee_id, CaseNote.objects.count())
    for url, data in [
        (page("transition", theirs, transition="start_review"),
         {"start_review-transition": "start_review"}),
        (page("assign", theirs), {"assignee": staff[role].pk}),
        (page("note", theirs), {"text": "x"}),
        (page("extend", theirs), {"days": 5, "reason": "x"}),
    ]:
        assert client.post(url, data).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.state, theirs.assignee_id, CaseNote.objects.count()) == before


ACTIONS = [
    # (action, url kwargs, data, roles that succeed)
    ("start_review", {"name": "transition", "transition": "start_review"},
     {"start_review-transition": "start_review"}, {Role.CASEWORKER, Role.SUPERVISOR}),
    ("note", {"name": "note"}, {"text": "Позвонить матери"}, READERS),
    ("assign_self", {"name": "assign"}, "self", {Role.CASEWORKER, Role.SUPERVISOR}),
    ("extend", {"name": "extend"}, {"days": 10, "reason": "Запрос в в/ч"}, {Role.SUPERVISOR}),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("action", "target", "data", "allowed"), ACTIONS)
def test_actions_by_role(client, staff, cases, role, action, target, data, allowed):
    mine, _ = cases
    user = staff[role]
    client.force_login(user)
    kwargs = {k: v for k, v in target.items() if k != "name"}
    if data == "self":
        data = {"assignee": user.pk}
    events_before = mine.events.count()
    response = client.post(page(target["name"], mine, **kwargs), data)
    if role in allowed:
        assert response.status_code == 302, response.content[:500]
        # An extension also writes the applicant's notice (PDF and DOCX: two more events).
        assert mine.events.count() == events_before + (3 if action == "extend" else 1)
    else:
        assert response.status_code in (400, 403, 404)
        assert mine.events.count() == events_before
    if role not in READERS:
        assert response.status_code == 404


@pytest.mark.parametrize("url_name", ["queues", "register", "supervisor"])
def test_anonymous_is_sent_to_sign_in(client, url_name):
    response = client.get(reverse(f"staff:{url_name}"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_bulk_reassign_is_for_supervisors_of_the_office(client, staff, cases, make_user,
                                                        office):
    mine, theirs = cases
    worker = staff[Role.CASEWORKER]
    client.force_login(worker)
    client.post(reverse("staff:bulk_assign"), {"cases": [mine.pk], "assignee": worker.pk})
    assert Case.objects.get(pk=mine.pk).assignee is None
    client.force_login(staff[Role.SUPERVISOR])
    # A case of another office in the selection: nothing is reassigned.
    client.post(reverse("staff:bulk_assign"), {"cases": [mine.pk, theirs.pk],
                                               "assignee": worker.pk})
    assert Case.objects.get(pk=mine.pk).assignee is None
    response = client.post(reverse("staff:bulk_assign"), {"cases": [mine.pk],
                                                          "assignee": worker.pk})
    assert response.status_code == 302
    assert Case.objects.get(pk=mine.pk).assignee == worker


# --- the ACTIONS table is the one source of what the pages offer -------------------------

# The form (its action's URL name) or menu link (URL name) through which the case page
# offers each action of ``cases.workflow.ACTIONS``.
CASE_PAGE_FORMS = {
    "reclassify": "reclassify",
    "note": "note",
    "document_add": "document_add",
    "case_letter": "letter",
    "case_take": "assign",
    "deadline_extend": "extend",
}
MENU_LINKS = {
    "answer_post": "staff:to_post",
    "workload": "staff:supervisor",
    "stats_read": "stats:dashboard",
    "commission_sit": "staff:commission",
    "register": "staff:import",  # and "Register an appeal" beside it
}


def offered(client, case) -> set[str]:
    content = client.get(page("case", case)).content.decode()
    shown = {action for action, name in CASE_PAGE_FORMS.items()
             if f'action="{page(name, case)}"' in content}
    shown |= {action for action, name in MENU_LINKS.items()
              if f'href="{reverse(name)}"' in content}
    return shown


@pytest.mark.parametrize("role", sorted(READERS))
def test_the_case_page_offers_what_the_table_allows(client, staff, cases, role):
    from casedesk.cases.workflow import ACTIONS

    mine, _ = cases
    client.force_login(staff[role])
    expected = {action for action in {*CASE_PAGE_FORMS, *MENU_LINKS}
                if role in ACTIONS[action].roles}
    assert offered(client, mine) == expected


def test_changing_the_table_changes_the_page_and_the_service(client, staff, cases,
                                                             monkeypatch):
    from casedesk.cases import workflow

    mine, _ = cases
    clerk = staff[Role.INTAKE_CLERK]
    client.force_login(clerk)
    assert "reclassify" in offered(client, mine)
    monkeypatch.setitem(workflow.ACTIONS, "reclassify",
                        workflow.Action(frozenset({Role.SUPERVISOR}), "test"))
    assert "reclassify" not in offered(client, mine)
    response = client.post(page("reclassify", mine),
                           {"classification": f"{mine.category}/", "reason": "Ошибка"})
    assert response.status_code in (400, 403)
    assert not mine.events.filter(kind="reclassified").exists()
