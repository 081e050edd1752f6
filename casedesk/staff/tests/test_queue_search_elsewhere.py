"""What the queue says about a search. One made in one queue ("My cases", the default of
most staff) that finds nothing there says how many of all the user's cases it finds, with
a link to them: a clerk who types a soldier's name on the front page must not read "no
cases" as "no such man". A word with * too short to be a beginning is named."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.models import Office
from casedesk.accounts.roles import Role
from casedesk.cases.models import Case
from casedesk.intake.services import PersonData

MEMBER = PersonData(full_name="Кузнецов Андрей Иванович", unit="74814")


@pytest.fixture
def supervisor(make_user, office, other_office):
    return make_user(Role.SUPERVISOR, office, other_office, username="chief")


@pytest.fixture
def kuznetsov(register, other_office, staff):
    """His case in the supervisor's second office, assigned to nobody; a namesake's case
    in an office the supervisor does not work for."""
    case = register(service_member=MEMBER)
    hidden = Office.objects.create(code="KZN", name_ru="Казань", name_en="Kazan")
    namesake = register(service_member=MEMBER)
    # Moved as a transfer between offices would (the search rows carry the office).
    Case.objects.filter(pk=case.pk).update(office=other_office)
    Case.objects.filter(pk=namesake.pk).update(office=hidden)
    return case


def _search(client, words: str, queue: str, language: str = "en"):
    with translation.override(language):
        url = reverse("staff:queues")
    return client.post(url, {"queue": queue, "q": words}, follow=True)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_an_empty_queue_search_points_to_the_cases_found_elsewhere(client, supervisor,
                                                                   kuznetsov):
    client.force_login(supervisor)
    response = _search(client, "кузнецова", "mine")
    assert response.context["queue"] == "mine" and response.context["rows"] == []
    # Counted among the cases he may see only: the namesake in Kazan is not one.
    assert response.context["search_elsewhere"] == 1
    text = _text(response)
    assert "No case in “My cases” matches this search." in text
    link = re.search(r'<a href="\?([^"]+)">Show the 1 case found among all cases</a>', text)
    assert link, text
    shown = client.get(reverse("staff:queues") + "?" + link.group(1).replace("&amp;", "&"))
    assert shown.context["queue"] == "all"
    assert [case.number for case, _left in shown.context["rows"]] == [kuznetsov.number]


def test_the_hint_is_in_russian(client, supervisor, kuznetsov):
    client.force_login(supervisor)
    text = _text(_search(client, "в/ч 74814", "mine", language="ru"))
    assert "Ни одно дело в очереди «Мои дела» не подходит под этот поиск." in text
    assert "Показать 1 дело, найденное среди всех дел" in text


def test_a_search_that_finds_nothing_anywhere_says_so(client, supervisor, kuznetsov):
    client.force_login(supervisor)
    response = _search(client, "Сидоров", "mine")
    assert response.context["search_elsewhere"] == 0
    assert "Nor does any of the other cases you can see." in _text(response)


def test_no_hint_when_the_queue_found_cases_or_was_all(client, supervisor, kuznetsov):
    client.force_login(supervisor)
    assert _search(client, "Кузнецов", "unassigned").context["search_elsewhere"] is None
    response = _search(client, "Сидоров", "all")
    assert response.context["search_elsewhere"] is None
    assert "Only this queue was searched" not in _text(response)


def test_a_star_word_too_short_for_a_beginning_is_named(client, supervisor, kuznetsov):
    """«ранен*» (five letters) is searched as the whole word «ранен», which finds no
    «ранение»: the page says so instead of leaving the user with no cases."""
    client.force_login(supervisor)
    response = _search(client, "ранен* госпиталь", "all")
    assert response.context["short_stars"] == ["ранен"]
    assert ("when it has at least 6 letters: ранен* was searched as a whole word."
            in _text(response))
    text = _text(_search(client, "ранен*", "all", language="ru"))
    assert "если в нём не меньше 6 букв: ранен* искали как целое слово." in text
    for long_enough in ("госпита*", "госпиталь", "12345*"):
        response = _search(client, long_enough, "all")
        assert response.context["short_stars"] == []
        assert "was searched as a whole word" not in _text(response)
