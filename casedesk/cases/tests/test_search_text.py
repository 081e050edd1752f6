"""The text search of issue 18: HTML stripped before indexing (the text kept as
received), surname forms meeting, a word prefix with ``*``."""

from __future__ import annotations

import pytest

from casedesk.cases.models import Appeal, Case
from casedesk.cases.search import case_search
from casedesk.core import tokens

pytestmark = pytest.mark.django_db


def found(query: str) -> set[str]:
    return set(case_search(Case.objects.all(), query).values_list("number", flat=True))


def test_html_is_stripped_before_indexing_and_the_text_kept_as_received(register):
    text = "<p>Сын&nbsp;лежит в <b>госпитале</b>,&nbsp;нет связи.</p>"
    case = register(text=text)
    assert Appeal.objects.get(case=case).text == text
    assert found("госпиталь") == found("связи") == {case.number}
    assert found("nbsp") == found("b") == found("p") == set()


def test_html_words_are_not_tokens():
    assert tokens.text_tokens("<div class='x'>&nbsp;</div>") == ""
    assert tokens.words("a&amp;b <span>слово</span>") == tokens.words("a&b слово")


@pytest.mark.parametrize(("in_text", "queried"), [
    ("Кузнецов", "Кузнецова"), ("Кузнецова", "Кузнецов"), ("Кузнецову", "кузнецовой"),
    ("Зайцев", "Зайцевой"), ("Никитину", "Никитина"), ("Васильев", "Васильевой"),
    ("Морозов", "Морозова"),
])
def test_surname_forms_in_text_meet(register, in_text, queried):
    case = register(text=f"Прошу найти {in_text}, связи нет с марта.")
    assert found(queried) == {case.number}


def test_a_surname_in_text_does_not_match_the_first_name(register):
    register(text="Прошу найти Иванова, связи нет.")
    assert found("Иван") == set()


def test_a_word_prefix_with_a_star(register):
    water = register(text="В части нет водоснабжения уже месяц.")
    other = register(text="Водоснабжение восстановлено, спасибо.")
    register(text="Сын лежит в госпитале.")
    assert found("водоснабж*") == {water.number, other.number}
    assert found("водоснабж* месяц") == {water.number}
    assert found("водоснабж") == set()  # without the star, a word of its own


def test_prefix_tokens_do_not_reveal_the_word():
    prefix_only = tokens.text_tokens("водоснабжение").split()
    assert tokens.token(tokens._searchable("водоснабжение")) in prefix_only
    assert len(prefix_only) == 2  # the stem and the six-letter prefix, both hashed
    assert not any("водо" in t for t in prefix_only)
