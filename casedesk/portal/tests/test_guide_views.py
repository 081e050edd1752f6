"""The public pathways guide without a browser, against a fake guide (``guide_fake``):
each step, the back link, errors in Russian and English, the result, filing an appeal
with the answers, and the answers on the staff case page."""

from __future__ import annotations

import html

import pytest
from django.core.cache import cache
from django.db import connection

from casedesk import rulebook
from casedesk.accounts.roles import Role
from casedesk.cases.models import Appeal, Case

from . import guide_fake
from .test_views import appeal_data, form_key


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fake_guide(monkeypatch):
    return guide_fake.install(monkeypatch)


def text(response) -> str:
    return html.unescape(response.content.decode())


def answer(client, language, key, *values):
    return client.post(f"/{language}/guide/question/{key}/", {key: list(values)})


def walk_mobilized(client, language="ru"):
    """Start, then answer as a mobilized man of 52 with three children."""
    client.post(f"/{language}/guide/start/")
    answer(client, language, "status", "mobilized")
    answer(client, language, "age", "52")
    answer(client, language, "family", "children3")
    return answer(client, language, "called", "2022-09-25")


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "не юридическая консультация"), ("en", "not legal advice")])
def test_the_start_page_says_what_the_guide_is_and_its_version(client, db, fake_guide,
                                                                language, words):
    page = text(client.get(f"/{language}/guide/"))
    assert words in page
    assert fake_guide.version in page
    assert "<script>" not in page  # CSP: no inline scripts


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_home_and_appeal_pages_link_the_guide(client, office, fake_guide, language):
    assert f'href="/{language}/guide/"' in text(client.get(f"/{language}/"))
    assert f'href="/{language}/guide/"' in text(client.get(f"/{language}/appeal/"))


def test_one_question_a_screen_each_kind_its_inputs(client, db, fake_guide):
    start = client.post("/en/guide/start/")
    assert start.status_code == 302 and start.url == "/en/guide/next/"
    first = client.get("/en/guide/next/")
    assert first.url == "/en/guide/question/status/"
    page = text(client.get(first.url))
    assert "How does he serve?" in page and page.count('type="radio"') == 3
    assert "When was he called up?" not in page  # one question a screen
    assert answer(client, "en", "status", "mobilized").url == "/en/guide/next/"
    assert client.get("/en/guide/next/").url == "/en/guide/question/age/"
    assert 'type="number"' in text(client.get("/en/guide/question/age/"))
    answer(client, "en", "age", "52")
    assert page.count('type="checkbox"') == 0
    assert text(client.get("/en/guide/question/family/")).count('type="checkbox"') == 2
    answer(client, "en", "family", "children3", "carer")
    assert 'type="date"' in text(client.get("/en/guide/question/called/"))
    done = answer(client, "en", "called", "2022-09-25")
    assert client.get(done.url).url == "/en/guide/result/"
    stored = client.session["portal_guide"]
    assert stored["answers"] == {"status": "mobilized", "age": 52,
                                 "family": ["children3", "carer"], "called": "2022-09-25"}
    assert stored["version"] == fake_guide.version


def test_a_question_not_reached_yet_is_not_shown(client, db, fake_guide):
    client.post("/en/guide/start/")
    assert client.get("/en/guide/question/called/").url == "/en/guide/next/"
    assert client.get("/en/guide/question/nonsense/").url == "/en/guide/next/"


def test_the_back_link_and_a_changed_answer(client, db, fake_guide):
    client.post("/ru/guide/start/")
    answer(client, "ru", "status", "mobilized")
    age = text(client.get("/ru/guide/question/age/"))
    assert 'href="/ru/guide/question/status/"' in age  # back
    assert 'href="/ru/guide/question/' in age and "Назад" in age
    first = text(client.get("/ru/guide/question/status/"))
    assert 'value="mobilized" checked' in first  # the answer given is shown chosen
    assert "Назад" not in first  # nothing before the first question
    # Now a conscript: the age question no longer applies and its answer is dropped.
    answer(client, "ru", "status", "mobilized")
    answer(client, "ru", "age", "52")
    answer(client, "ru", "status", "conscript")
    assert client.session["portal_guide"]["answers"] == {"status": "conscript"}
    assert client.get("/ru/guide/next/").url == "/ru/guide/question/kept/"
    kept = text(client.get("/ru/guide/question/kept/"))
    assert 'value="yes"' in kept and 'value="no"' in kept


@pytest.mark.parametrize(("language", "key", "value", "words"), [
    ("ru", "age", "abc", "Напишите число лет"), ("en", "age", "abc", "Write a number of years"),
    ("ru", "status", "", "Выберите один ответ"), ("en", "status", "", "Choose one answer")])
def test_errors_are_shown_in_the_users_language(client, db, fake_guide, language, key, value,
                                                words):
    client.post(f"/{language}/guide/start/")
    if key == "age":
        answer(client, language, "status", "mobilized")
    response = client.post(f"/{language}/guide/question/{key}/", {key: value} if value else {})
    assert response.status_code == 400
    page = text(response)
    assert words in page and 'role="alert"' in page
    assert key not in client.session["portal_guide"]["answers"]


@pytest.mark.parametrize(("language", "words"), [
    ("ru", ["Основания, которые могут подойти", "Предельный возраст", "53-ФЗ, ст. 51, п. 1",
            "требует проверки", "Что закон говорит об отказе служить",
            "Законные альтернативы", "Это справка, а не юридическая консультация",
            "Мобилизован", "52", "Трое детей и больше"]),
    ("en", ["Grounds that may apply", "Age limit", "53-ФЗ, ст. 51, п. 1", "Federal Law",
            "to be verified", "What the law says about refusing or leaving",
            "Lawful alternatives", "This is information, not legal advice", "Mobilized",
            "Three or more children"])])
def test_the_result_lists_each_section_with_citations(client, db, fake_guide, language, words):
    walk_mobilized(client, language)
    response = client.get(f"/{language}/guide/result/")
    page = text(response)
    for word in words:
        assert word in page, word
    assert fake_guide.version in page
    assert "Истёк срок службы" not in page and "Term of service over" not in page
    # The answers are in the session, never in an address.
    assert "52" not in response.wsgi_request.get_full_path()


def test_the_result_waits_for_every_answer(client, db, fake_guide):
    client.post("/en/guide/start/")
    answer(client, "en", "status", "mobilized")
    assert client.get("/en/guide/result/").url == "/en/guide/question/age/"


def test_start_again_forgets_the_answers(client, db, fake_guide):
    walk_mobilized(client, "en")
    assert "Start again" in text(client.get("/en/guide/result/"))
    client.post("/en/guide/start/")
    assert client.session["portal_guide"]["answers"] == {}
    assert client.get("/en/guide/next/").url == "/en/guide/question/status/"


def file_with_answers(client, language="en", **changes):
    walk_mobilized(client, language)
    opened = client.post(f"/{language}/guide/file/")
    assert opened.url == f"/{language}/appeal/"
    form = text(client.get(f"/{language}/appeal/"))
    key = form_key(client, language)
    data = appeal_data(key, **changes)
    data.pop("category")
    data["category"] = "demobilization_term"
    return form, client.post(f"/{language}/appeal/", data)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Ответы, которые вы дали в справочнике, будут приложены"),
    ("en", "The answers you gave in the guide will be attached")])
def test_filing_opens_the_form_with_the_category_and_a_note(client, office, fake_guide,
                                                            language, words):
    walk_mobilized(client, language)
    client.post(f"/{language}/guide/file/")
    page = text(client.get(f"/{language}/appeal/"))
    assert words in page
    assert '<option value="demobilization_term" selected>' in page


def test_the_filed_appeal_carries_the_answers_encrypted(client, office, fake_guide):
    _form, response = file_with_answers(client)
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.guide_answers == {"status": "mobilized", "age": 52,
                                    "family": ["children3"], "called": "2022-09-25"}
    assert appeal.guide_version == fake_guide.version
    assert appeal.case.category == "demobilization_term"
    with connection.cursor() as cursor:
        cursor.execute("SELECT guide_answers FROM cases_appeal WHERE id = %s", [appeal.pk])
        raw = cursor.fetchone()[0]
    # The plaintext's JSON, not its bare digits: "52" turns up in a random ciphertext now
    # and then, a quote or a colon never does.
    assert raw and "mobilized" not in raw and "children3" not in raw
    assert '"age"' not in raw and ": 52" not in raw


def test_without_the_guide_an_appeal_has_no_answers(client, office, fake_guide):
    client.post("/en/appeal/", appeal_data(form_key(client, "en")))
    appeal = Appeal.objects.get()
    assert appeal.guide_answers == {} and appeal.guide_version == ""


def test_send_without_the_answers(client, office, fake_guide):
    walk_mobilized(client, "en")
    client.post("/en/guide/file/")
    client.post("/en/guide/detach/")
    page = text(client.get("/en/appeal/"))
    assert "will be attached" not in page
    client.post("/en/appeal/", appeal_data(form_key(client, "en")))
    assert Appeal.objects.get().guide_answers == {}


@pytest.mark.parametrize(("language", "words"), [
    ("ru", ["Ответы в справочнике", "Как он служит?", "Мобилизован", "Предельный возраст",
            "53-ФЗ, ст. 51, п. 1", "требует проверки"]),
    ("en", ["Answers given in the pathways guide", "How does he serve?", "Mobilized",
            "Age limit", "53-ФЗ, ст. 51, п. 1", "to be verified"])])
def test_staff_see_the_answers_on_the_case(client, office, staff, fake_guide, language, words):
    file_with_answers(client)
    case = Case.objects.get()
    client.force_login(staff[Role.CASEWORKER])
    page = text(client.get(f"/{language}/staff/cases/{case.number}/"))
    for word in words:
        assert word in page, word
    assert f'href="/{language}/guide/"' in page  # the public guide, from the case


def test_staff_read_the_answers_with_the_appeals_own_version(client, office, staff,
                                                             fake_guide, monkeypatch):
    """The guide of the appeal's version is read, not the one in force; where that
    version has none any more, the answers are shown as stored."""
    file_with_answers(client)
    appeal = Appeal.objects.get()
    other = guide_fake.FakeGuide("2099.1")
    monkeypatch.setattr(other, "result", lambda answers: pytest.fail("read the wrong guide"))
    monkeypatch.setitem(rulebook.versions(), "2099.1", rulebook.current())
    monkeypatch.delitem(rulebook.get(appeal.guide_version).__dict__, "guide")
    client.force_login(staff[Role.CASEWORKER])
    page = text(client.get(f"/en/staff/cases/{appeal.case.number}/"))
    assert "guide is not installed" in page and "children3" in page


def test_erasing_the_writer_erases_the_answers(client, office, staff, fake_guide):
    """The answers say much about the family: erasure blanks them with the text, and the
    person's data export carries them while they exist."""
    from casedesk.people.lifecycle.erasure import person_erase
    from casedesk.people.lifecycle.subject import subject_export

    file_with_answers(client)
    appeal = Appeal.objects.get()
    exported = subject_export(actor=staff[Role.SUPERVISOR], person=appeal.submitter)
    assert b"children3" in exported
    person_erase(actor=staff[Role.SUPERVISOR], person=appeal.submitter, reason_code="request")
    with connection.cursor() as cursor:
        cursor.execute("SELECT guide_answers FROM cases_appeal WHERE id = %s", [appeal.pk])
        assert cursor.fetchone()[0] == ""
    assert Appeal.objects.get().guide_answers == {}
