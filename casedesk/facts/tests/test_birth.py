"""Which date of an appeal is the service member's birth date (casedesk.facts.birth): only
a whole day said to be a birth date, standing right after his name (surname and first
name, or surname and initials), with no other person, relative or sentence between, at
an age a service member can be. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.facts.birth import birth_date
from casedesk.facts.extract import extract

NAME = "Кузнецов Андрей Викторович"
ON = dt.date(2026, 3, 1)
MAY_1990 = dt.date(1990, 5, 1)


def found(text: str, name: str = NAME) -> list[dt.date | None]:
    """Per DATE fact of ``text`` (the rules' extraction), the birth date it gives."""
    out, previous = [], 0
    for span in extract(text, ner=False):
        if span.type != "DATE":
            continue
        out.append(birth_date(text, span.start, span.end, span.normal, name, ON, previous))
        previous = span.end
    return out


HIS = [
    "Мой сын, рядовой Кузнецов Андрей Викторович, 01.05.1990 г.р., служит в в/ч 74814.",
    "Кузнецов Андрей Викторович родился 1 мая 1990 года.",
    "Прошу помочь Кузнецову Андрею Викторовичу (дата рождения: 01.05.1990).",
    "Кузнецов А.В., 01.05.1990 г.р., призван по мобилизации.",
    "Кузнецов Андрей, 01.05.1990 года рождения.",
    "Андрей Викторович Кузнецов, born 01.05.1990",
    "Кузнецова Андрея Викторовича, д.р. 01.05.1990, задержали.",
]


@pytest.mark.parametrize("text", HIS)
def test_his_birth_date_is_read(text):
    assert found(text)[0] == MAY_1990


NOT_HIS = [
    # The mother who writes: her name, not his.
    "Я, Кузнецова Мария Ивановна, 15.04.1968 г.р., прошу помочь сыну.",
    "Кузнецова А.И., 01.05.1970 г.р.",
    # A relative named after him.
    "Кузнецов Андрей Викторович и его жена Кузнецова Анна, 10.10.1992 г.р.",
    "Кузнецов Андрей Викторович, его сын родился 10.10.1992.",
    # Another sentence.
    "Кузнецов Андрей Викторович служит в в/ч 74814. Муж сестры родился 10.10.1992.",
    # Not said to be a birth date.
    "Кузнецов Андрей Викторович служит с 01.05.2023 в в/ч 74814.",
    "Кузнецов Андрей Викторович, 01.05.1990 г. Ростов",
    # No name before it; only the first name; another man.
    "Дата рождения: 01.05.1990.",
    "Андрей, 01.05.1990 г.р.",
    "Петров Андрей Викторович, 01.05.1990 г.р.",
    # His initials wrong.
    "Кузнецов А.И., 01.05.1990 г.р.",
    # No year; a period.
    "Кузнецов Андрей Викторович родился 1 мая.",
    # An age no service member has (a child; a typo).
    "Кузнецов Андрей Викторович, 05.06.2019 г.р.",
    "Кузнецов Андрей Викторович, 05.06.1919 г.р.",
]


@pytest.mark.parametrize("text", NOT_HIS)
def test_another_date_is_not_his_birth_date(text):
    assert found(text) and set(found(text)) == {None}


def test_in_a_letter_with_both_birth_dates_only_his_is_his():
    text = ("Я, Кузнецова Мария Ивановна, 15.04.1968 г.р., мать военнослужащего "
            "Кузнецова Андрея Викторовича, 01.05.1990 г.р., призванного 01.10.2022.")
    assert found(text) == [None, MAY_1990, None]


def test_a_one_word_name_is_never_enough():
    assert found("Кузнецов, 01.05.1990 г.р.", name="Кузнецов") == [None]
