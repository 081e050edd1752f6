"""Pure parts: the date filter, salutations, HTML to DOCX parts, what a letter may load."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from casedesk.letters import library
from casedesk.letters.rendering import Paragraph, _url_fetcher, letter_parts
from casedesk.letters.selectors import name_for_salutation


@pytest.mark.parametrize(("language", "expected"), [
    ("ru", "11 января 2027\u00a0г."), ("en", "January 11, 2027")])
def test_long_date(language, expected):
    with translation.override(language):
        assert library.long_date(dt.date(2027, 1, 11)) == expected


@pytest.mark.parametrize("value", [None, "", "2027-01-11", 5])
def test_long_date_refuses_what_is_not_a_date(value):
    with pytest.raises(ValueError, match="long_date needs a date"):
        library.long_date(value)


@pytest.mark.parametrize(("name", "expected"), [
    ("Иванова Анна Петровна", ("Анна Петровна", "f")),
    ("Иванов Пётр Сергеевич", ("Пётр Сергеевич", "m")),
    ("Кузнецова Ольга Ильинична", ("Ольга Ильинична", "f")),
    ("Сидоров Иван Ильич", ("Иван Ильич", "m")),
    ("Anna Ivanova", ("", "")),
    ("Иванова Анна", ("", "")),
    ("Мамедов Эльдар Рашид оглы", ("", "")),
    ("", ("", "")),
])
def test_salutation_from_the_patronymic(name, expected):
    assert name_for_salutation(name) == expected


def test_letter_parts_from_html():
    html = """<html><head><title>X</title><style>p { color: red }</style></head><body>
      <div data-docx="office">Офис &amp; Ко</div><div data-docx="date">1 мая</div>
      <div data-docx="reference">Дело №&nbsp;1</div><div data-docx="addressee">Анна</div>
      <h1 data-docx="title">Заголовок</h1>
      <main data-docx="body">
        <p>Первый
           абзац</p>
        <blockquote><p>Строка<br>вторая</p></blockquote>
        <ul><li>пункт</li></ul>
        свободный текст
        <h2>Раздел</h2>
        <p>один<p>два
      </main>
      <p data-docx="signature">casedesk — Офис</p>
    </body></html>"""
    parts = letter_parts(html, template="t")
    assert (parts.office, parts.date, parts.reference, parts.addressee, parts.title,
            parts.signature) == ("Офис & Ко", "1 мая", "Дело №\u00a01", "Анна", "Заголовок",
                                 "casedesk — Офис")
    assert parts.paragraphs == [
        Paragraph("Первый абзац"), Paragraph("Строка\nвторая", "quote"), Paragraph("• пункт"),
        Paragraph("свободный текст"), Paragraph("Раздел", "heading"), Paragraph("один"),
        Paragraph("два")]


def test_letters_may_not_load_files_or_urls():
    fetch = _url_fetcher()
    for url in ("file:///etc/hostname", "http://127.0.0.1/x.css"):
        with pytest.raises(ValueError):
            fetch(url)
    assert fetch("data:text/plain,hello") is not None
