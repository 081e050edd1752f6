"""A broken letter template is refused with its file and line, and nothing is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from casedesk import rulebook
from casedesk.accounts.roles import Role
from casedesk.cases.models import Document
from casedesk.core.errors import ApplicationError
from casedesk.letters import checks
from casedesk.letters.services import letter_generate
from casedesk.testing import at

GOOD_BODY = """{% extends "layout.html" %}
{% block title %}Решение{% endblock %}
{% block body %}
<p>Решение подписано {{ signed_on|long_date }}.</p>
{% endblock %}
"""

BROKEN = {
    "syntax error": (
        '{% extends "layout.html" %}\n{% block title %}Решение{% endblock %}\n'
        "{% block body %}\n<p>{% if outcome %}поддержано</p>\n{% endblock %}\n",
        "decision.ru.html", 5, "expected 'elif', 'else' or 'endif'"),
    "unknown tag": (
        '{% extends "layout.html" %}\n{% block title %}Решение{% endblock %}\n'
        "{% block body %}\n\n<p>{% signature_stamp %}</p>\n{% endblock %}\n",
        "decision.ru.html", 5, "signature_stamp"),
    "unknown variable in a filter": (
        GOOD_BODY.replace("signed_on|long_date", "decision_date|long_date"),
        "decision.ru.html", 4, "decision_date"),
    "a filter that raises": (
        GOOD_BODY.replace("signed_on|long_date", "reasoning|long_date"),
        "decision.ru.html", 4, "long_date needs a date"),
    "unknown filter": (
        GOOD_BODY.replace("signed_on|long_date", "signed_on|stamp"),
        "decision.ru.html", 4, "stamp"),
    "missing layout": (
        GOOD_BODY.replace("layout.html", "blank.html"),
        "decision.ru.html", 1, "blank.html"),
    "no letter text": ("<html><body>Решение</body></html>", "decision.ru.html", None,
                       "no text"),
}


@pytest.fixture
def book_copy(settings, tmp_path):
    """A copy of the rulebook in tmp_path, in force for the test."""
    original = Path(settings.RULEBOOK_DIR)
    copy = tmp_path / "rulebook"
    shutil.copytree(original, copy)
    settings.RULEBOOK_DIR = copy
    rulebook.load(copy)
    yield copy / "2026.1" / "letters"
    rulebook.load(original)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def context():
    return {"outcome": "upheld", "reasoning": "Основания подтверждены.",
            "signed_on": "2027-02-03"}


@pytest.mark.parametrize("problem", list(BROKEN))
def test_a_broken_file_template_is_refused_and_nothing_is_stored(
        problem, book_copy, register, staff, media):
    body, file, line, words = BROKEN[problem]
    (book_copy / file).write_text(body, encoding="utf-8")
    case = register(at=at("2027-01-11"))
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=staff[Role.COMMISSION_MEMBER], case=case, kind="decision",
                        language="ru", context=context())
    error = refused.value
    message = str(error)
    assert error.code == "letter_template"
    assert f"rulebook/2026.1/letters/{file}" in message
    if line:
        assert f"line {line}:" in message
    assert words in message
    assert not Document.objects.filter(case=case).exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_broken_layout_is_named(book_copy, register, staff):
    layout = book_copy / "layout.html"
    layout.write_text(layout.read_text("utf-8").replace("{{ office }}</div>",
                                                         "{{ office|upper: }}</div>"),
                      encoding="utf-8")
    case = register(at=at("2027-01-11"))
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=staff[Role.CASEWORKER], case=case, kind="acknowledgement",
                        language="en")
    assert "rulebook/2026.1/letters/layout.html, line " in str(refused.value)


def test_a_missing_docx_template_is_refused(book_copy, register, staff):
    (book_copy / "letter.docx").unlink()
    case = register(at=at("2027-01-11"))
    with pytest.raises(ApplicationError) as refused:
        letter_generate(actor=staff[Role.CASEWORKER], case=case, kind="acknowledgement",
                        language="ru")
    assert "letter.docx" in str(refused.value)
    assert not Document.objects.filter(case=case).exists()


def test_letters_check_passes_on_the_rulebook(db, capsys):
    call_command("letters_check")
    assert "Letter templates are fine" in capsys.readouterr().out


def test_letters_check_and_the_system_check_name_the_broken_file(db, book_copy, capsys):
    body, file, line, words = BROKEN["unknown tag"]
    (book_copy / file).write_text(body, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("letters_check")
    err = capsys.readouterr().err
    assert f"rulebook/2026.1/letters/{file}, line {line}:" in err and words in err
    errors = checks.letter_templates()
    assert [e.id for e in errors] == ["letters.E001"]
    assert file in errors[0].msg


def test_the_system_check_is_quiet_on_the_rulebook():
    assert checks.letter_templates() == []
