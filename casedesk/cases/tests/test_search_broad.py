"""A person search matching too many cases to rank them all (a common surname alone, at
1M cases ~15,000): the newest are shown, the service members named first, then the
applicants, then the texts; the queue says so instead of a count it did not make.

Thresholds are lowered here (search.RANKED, BROAD_SHOWN, BROAD_ESTIMATE) so that a
handful of cases are "too many"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from casedesk.accounts.roles import Role
from casedesk.cases import search
from casedesk.cases.models import Case

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the ranking reads PostgreSQL's people rows")]

TEXT = "Прошу разобраться и ответить письменно."


@pytest.fixture
def many(register, person_data, office, other_office):
    """In order of receipt: a text naming Кузнецов, two cases whose service member he is,
    one whose applicant he is, another service member, one of another office, and an
    unrelated case."""
    def member(name):
        return dict(service_member=person_data(full_name=name, service_type="mobilized"))

    made = {
        "text": register(text="Кузнецов пропал без вести, прошу найти."),
        "member1": register(text=TEXT, **member("Кузнецов Андрей Сергеевич")),
        "applicant": register(text=TEXT, applicant=person_data(
            full_name="Кузнецов Пётр Ильич", postal_address="Москва"), relation="father"),
        "member2": register(text=TEXT, **member("Кузнецов Олег Петрович")),
        "elsewhere": register(text=TEXT, **member("Кузнецов Иван Петрович")),
        "other": register(text=TEXT, **member("Сидоров Иван Петрович")),
    }
    Case.objects.filter(pk=made["elsewhere"].pk).update(office=other_office)
    return made


def ranked(queryset, query, offices):
    return list(search.case_search_ranked(queryset, query, offices=offices)
                .values_list("pk", flat=True))


@pytest.fixture
def broad(monkeypatch):
    """Any person search is broad: PostgreSQL's estimate above the limit always."""
    monkeypatch.setattr(search, "BROAD_ESTIMATE", -1)


def test_the_newest_members_first_then_applicants_then_texts(many, office, broad):
    offices = search.Offices(ids=frozenset({office.pk}), only=True)
    queryset = Case.objects.filter(office=office).order_by("received_at", "pk")
    query = search.prepared("Кузнецов")
    assert ranked(queryset, query, offices) == [
        many["member2"].pk, many["member1"].pk, many["applicant"].pk, many["text"].pk]
    assert query.broad
    # The count is what is shown, and where each matched is known without asking again.
    assert search.case_search_count(queryset, query, offices=offices) == 4
    assert search.case_search_where([many["member2"].pk, many["applicant"].pk,
                                     many["text"].pk], query) == {
        many["member2"].pk: ["service_member"], many["applicant"].pk: ["applicant"],
        many["text"].pk: ["text"]}


def test_no_more_than_shown(many, office, broad, monkeypatch):
    monkeypatch.setattr(search, "BROAD_SHOWN", 3)
    offices = search.Offices(ids=frozenset({office.pk}), only=True)
    queryset = Case.objects.filter(office=office).order_by("received_at", "pk")
    assert ranked(queryset, search.prepared("Кузнецов"), offices) == [
        many["member2"].pk, many["member1"].pk, many["applicant"].pk]


def test_more_than_ranked_counted_is_broad_too(many, office, monkeypatch):
    """Below PostgreSQL's estimate but more matches than RANKED when read: broad."""
    monkeypatch.setattr(search, "RANKED", 1)
    offices = search.Offices(ids=frozenset({office.pk}), only=True)
    queryset = Case.objects.filter(office=office).order_by("received_at", "pk")
    query = search.prepared("Кузнецов")
    assert ranked(queryset, query, offices)[:2] == [many["member2"].pk, many["member1"].pk]
    assert query.broad
    # Not too many: ranked, in the queue's order within each rank, and counted.
    query = search.prepared("Кузнецов Андрей")
    assert ranked(queryset, query, offices) == [many["member1"].pk]
    assert not query.broad


def test_a_narrower_queue_keeps_its_own_order(many, office, broad):
    """Not the office's whole queue (a queue of one person, a filter): its own order,
    not the newest."""
    offices = search.Offices(ids=frozenset({office.pk}), only=False)
    queryset = Case.objects.filter(office=office).order_by("received_at", "pk")
    query = search.prepared("Кузнецов")
    shown = ranked(queryset, query, offices)
    assert not query.broad
    assert set(shown) == {many[k].pk for k in ("text", "member1", "applicant",
                                                       "member2")}


def test_the_settings_are_set_back(many, office, monkeypatch):
    """The sequential scans and JIT switched off for the ranking's lookups are back on."""
    monkeypatch.setattr(search, "RANKED", 1)
    offices = search.Offices(ids=frozenset({office.pk}), only=True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        before = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        ranked(Case.objects.filter(office=office), search.prepared("Кузнецов"), offices)
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == before == "on"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == jit


@pytest.mark.parametrize("language, says", [
    ("ru", "Показаны самые новые (4)"), ("en", "shown are the 4 newest")])
def test_the_queue_says_what_it_shows(client, staff, many, broad, language, says, monkeypatch):
    client.force_login(staff[Role.SUPERVISOR])
    with translation.override(language):
        url = reverse("staff:queues")
    response = client.get(url + "?queue=all&q=Кузнецов", HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert response.status_code == 200 and says in page
    assert response.context["search_broad"]
    numbers = [case.number for case, _days in response.context["rows"]]
    assert numbers == [many[k].number for k in ("member2", "member1", "applicant", "text")]
    # A search PostgreSQL expects to match fewer is ranked and counted as before.
    monkeypatch.setattr(search, "BROAD_ESTIMATE", 10 ** 9)
    response = client.get(url + "?queue=all&q=Кузнецов+Андрей", HTTP_ACCEPT_LANGUAGE=language)
    assert not response.context["search_broad"] and says not in response.content.decode()


def test_two_common_names_nobody_has_together_name_nobody(many, office):
    """«Кузнецов Иван»: each is somebody's (the sample of the first people has both), so
    the query is read as naming a person without the index's answer; nobody has both
    here (Иван is Сидоров's and the other office's Кузнецов's), and the office's queue
    finds nothing, ranked or not."""

    groups = search._person_groups("Кузнецов Иван")
    assert groups and search._each_common(groups)
    offices = search.Offices(ids=frozenset({office.pk}), only=True)
    queryset = Case.objects.filter(office=office)
    assert ranked(queryset, search.prepared("Кузнецов Иван"), offices) == []
    assert not search.case_search(queryset, "Кузнецов Иван").exists()
    # A word nobody has is never taken so: the index is asked.
    assert not search._each_common(search.tokens.person_query("Кузнецов Зебрамир"))


@pytest.fixture
def texts_two_offices(register, office, other_office):
    """Five cases of each office whose appeal says «госпиталь», received in turn, and
    one of each that does not."""
    made = []
    for i in range(5):
        for where in (office, other_office):
            case = register(text=f"Сын {i} лежит в госпитале.")
            Case.objects.filter(pk=case.pk).update(office=where)
            made.append(case.pk)
    for where in (office, other_office):
        case = register(text="Просим пересчитать выплаты.")
        Case.objects.filter(pk=case.pk).update(office=where)
    return made


def test_a_common_word_of_two_offices_shows_the_first_in_the_queue_order(
        texts_two_offices, office, other_office, broad, monkeypatch):
    monkeypatch.setattr(search, "BROAD_SHOWN", 4)
    offices = search.Offices(ids=frozenset({office.pk, other_office.pk}), only=True)
    queryset = Case.objects.filter(office__in=[office, other_office]).order_by(
        "received_at", "pk")
    query = search.prepared("госпиталь")
    shown = ranked(queryset, query, offices)
    assert shown == texts_two_offices[:4]  # both offices, in the queue's order
    assert query.broad == "texts"
    assert search.case_search_count(queryset, query, offices=offices) == 4
    assert search.case_search_where(shown, query) == {pk: ["text"] for pk in shown}
    # One office: PostgreSQL reads its part of the queue in order itself; all are found.
    one = search.Offices(ids=frozenset({office.pk}), only=True)
    query = search.prepared("госпиталь")
    assert len(ranked(queryset.filter(office=office), query, one)) == 5
    assert not query.broad


@pytest.mark.parametrize("language, says", [
    ("ru", "Показаны первые по порядку очереди (10)"),
    ("en", "shown are the first 10 in the queue's order")])
def test_the_queue_says_it_shows_the_first_of_a_common_word(
        client, texts_two_offices, office, other_office, make_user, broad, language, says):
    client.force_login(make_user(Role.SUPERVISOR, office, other_office))
    with translation.override(language):
        url = reverse("staff:queues")
    response = client.get(url + "?queue=all&q=госпиталь", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and says in response.content.decode()
    assert response.context["search_broad"] == "texts"
    assert {case.pk for case, _days in response.context["rows"]} <= set(texts_two_offices)
