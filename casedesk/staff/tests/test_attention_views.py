"""The staff side of attention items and names: the header's count in both languages,
the queue's markers and names (audited, for case readers only, in constant queries), the
"Needs my attention" page and its digest switch, and seen on opening the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casedesk.accounts.roles import Role
from casedesk.audit.models import AuditEntry
from casedesk.cases.selectors import case_names
from casedesk.cases.services import case_assign
from casedesk.core import crypto
from casedesk.intake.services import PersonData
from casedesk.notifications.models import Attention

MEMBER, MOTHER = "Иванов Пётр Сергеевич", "Иванова Анна Петровна"


def url(name, *args, language="en", query=""):
    with translation.override(language):
        return reverse(name, args=args) + (f"?{query}" if query else "")


def give(staff, *cases):
    for case in cases:
        case_assign(actor=staff[Role.SUPERVISOR], case=case, assignee=staff[Role.CASEWORKER])


@pytest.mark.parametrize("language, label", [("en", "Needs my attention"),
                                             ("ru", "Требует моего внимания")])
def test_the_header_counts_my_unseen_items_in_both_languages(client, staff, register,
                                                             language, label):
    give(staff, register(), register())
    client.force_login(staff[Role.CASEWORKER])
    text = client.get(url("staff:queues", language=language)).content.decode()
    assert label in text
    assert f'href="{url("staff:attention", language=language)}"' in text
    assert '<span class="attention-count">2</span>' in text
    client.force_login(staff[Role.INTAKE_CLERK])  # nothing for the clerk
    text = client.get(url("staff:queues", language=language)).content.decode()
    assert '<span class="attention-count">0</span>' in text


def test_roles_that_read_no_case_files_have_no_attention_link(client, staff):
    client.force_login(staff[Role.ANALYST])
    text = client.get(url("stats:dashboard")).content.decode()
    assert "attention-count" not in text
    assert client.get(url("staff:attention")).status_code == 403


def test_the_queue_row_has_a_marker_until_the_case_is_opened(client, staff, register):
    marked, plain = register(), register()
    give(staff, marked)
    case_assign(actor=staff[Role.CASEWORKER], case=plain, assignee=staff[Role.CASEWORKER])
    client.force_login(staff[Role.CASEWORKER])
    response = client.get(url("staff:queues", query="queue=mine"))
    assert response.context["attention"] == {marked.pk: ["assigned"]}
    rows = response.content.decode().split("<tr>")
    row = next(r for r in rows if marked.number in r)
    assert 'class="attention-mark"' in row and "assigned to you" in row
    assert 'class="attention-mark"' not in next(r for r in rows if plain.number in r)

    client.get(url("staff:case", marked.number))
    assert Attention.objects.get(case=marked).seen_at is not None
    response = client.get(url("staff:queues", query="queue=mine"))
    assert response.context["attention"] == {}
    assert '<span class="attention-count">0</span>' in response.content.decode()


def test_the_attention_page_lists_my_items_and_switches_the_digest(client, staff, register):
    case = register()
    give(staff, case)
    worker = staff[Role.CASEWORKER]
    client.force_login(worker)
    text = client.get(url("staff:attention", language="ru")).content.decode()
    assert f'href="{url("staff:case", case.number, language="ru")}"' in text
    assert "назначено вам" in text
    assert MEMBER not in text  # numbers and kinds, no names
    response = client.post(url("staff:attention"), {"daily_digest": "on"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.daily_digest
    assert AuditEntry.objects.filter(action="user.digest", actor_id=worker.pk).count() == 1
    client.post(url("staff:attention"), {})
    worker.refresh_from_db()
    assert not worker.daily_digest


def test_queue_rows_show_the_names_to_a_caseworker_and_the_read_is_audited_once(
        client, staff, register):
    cases = [register(), register(applicant=PersonData(full_name="Петрова Мария Ивановна"))]
    client.force_login(staff[Role.CASEWORKER])
    before = AuditEntry.objects.filter(action="case.names_read").count()
    text = client.get(url("staff:queues", query="queue=all")).content.decode()
    assert MEMBER in text and MOTHER in text and "Петрова Мария Ивановна" in text
    entries = AuditEntry.objects.filter(action="case.names_read")
    assert entries.count() == before + 1
    entry = entries.latest("seq")
    assert entry.actor_id == staff[Role.CASEWORKER].pk
    assert sorted(entry.data["case"]) == sorted(c.pk for c in cases)


def test_names_are_for_case_readers_of_the_office_only(staff, register, make_user,
                                                       other_office):
    cases = [register()]
    reader = case_names(actor=staff[Role.CASEWORKER], cases=cases)
    assert reader[cases[0].pk].service_member == MEMBER
    assert reader[cases[0].pk].applicants == [MOTHER]
    for role in (Role.ANALYST, Role.ADMINISTRATOR):
        assert case_names(actor=staff[role], cases=cases) == {}
    stranger = make_user(Role.CASEWORKER, other_office)
    assert case_names(actor=stranger, cases=cases) == {}


def test_a_member_writing_for_themselves_is_named_once(staff, register):
    me = PersonData(full_name=MEMBER, birth_date=dt.date(1990, 5, 1), unit="12345",
                    service_type="mobilized")
    case = register(applicant=me, relation="self")
    names = case_names(actor=staff[Role.CASEWORKER], cases=[case])[case.pk]
    assert names.service_member == MEMBER and names.applicants in ([], [MEMBER])


def page_queries(client, address):
    crypto.cache_clear()  # the keys of the page's people are read from the key store
    with CaptureQueriesContext(connections["default"]) as data, \
            CaptureQueriesContext(connections["keys"]) as keys:
        response = client.get(address)
    assert response.status_code == 200
    return len(data.captured_queries), len(keys.captured_queries), response


def test_the_queue_with_names_and_markers_runs_constant_queries(client, staff, register):
    client.force_login(staff[Role.CASEWORKER])
    address = url("staff:queues", query="queue=all")

    def add(n):
        for i in range(n):
            case = register(service_member=PersonData(full_name=f"Петров {i}"),
                            at=timezone.now() - dt.timedelta(days=i))
            give(staff, case)

    add(5)
    few, few_keys, response = page_queries(client, address)
    assert len(response.context["names"]) == 5 and len(response.context["attention"]) == 5
    add(20)
    many, many_keys, response = page_queries(client, address)
    assert len(response.context["names"]) == 25 and len(response.context["attention"]) == 25
    assert many == few
    assert many_keys == few_keys == 1  # all the page's data keys in one read


def test_an_erased_member_shows_as_erased_in_the_queue(client, staff, register):
    from casedesk.people.lifecycle.erasure import person_erase

    case = register()
    person_erase(actor=staff[Role.SUPERVISOR], person=case.service_member,
                 reason_code="request")
    crypto.cache_clear()
    client.force_login(staff[Role.CASEWORKER])
    text = client.get(url("staff:queues", query="queue=all")).content.decode()
    assert case.number in text and MEMBER not in text
    assert "name erased" in text and MOTHER in text
