"""urgency.yaml in the rulebook: the real one loads; a rule without a reason, with a
phrase the matcher cannot read, twice, or naming a law without a citation is refused
with the file, the line and the rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from casedesk.rulebook import RulebookError
from casedesk.rulebook.loader import load_version

REAL = Path(settings.RULEBOOK_DIR)
CODES = ["threat_to_life", "suicide", "return_to_combat", "detention",
         "missing_or_captive", "wounded_untreated"]


def test_the_real_rules_load_with_reasons_in_both_languages():
    book = load_version(REAL / "2026.1")
    assert list(book.urgency) == CODES
    for rule in book.urgency.values():
        assert rule.reason.ru and rule.reason.en and rule.label.ru and rule.label.en
    assert book.urgency["detention"].citation.startswith("Уголовный кодекс")


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "rb" / "2026.1"
    shutil.copytree(REAL / "2026.1", folder)
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "urgency.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _refusal(folder: Path) -> RulebookError:
    with pytest.raises(RulebookError) as caught:
        load_version(folder)
    return caught.value


SUICIDE_REASON = (
    "    reason:\n"
    '      ru: "В обращении есть слова о суициде или нежелании жить: нужна немедленная '
    'помощь и связь с заявителем."\n'
    '      en: "The appeal mentions suicide or not wanting to live: immediate help and '
    'contact with the applicant are needed."\n')


def test_a_rule_without_a_reason_is_refused(folder):
    _edit(folder, SUICIDE_REASON, "")
    error = _refusal(folder)
    assert error.path.name == "urgency.yaml" and error.rule == "suicide"
    assert "reason" in error.problem and error.line is not None


def test_a_reason_in_one_language_only_is_refused(folder):
    _edit(folder, SUICIDE_REASON, SUICIDE_REASON.split("      en:")[0])
    error = _refusal(folder)
    assert error.rule == "suicide" and "reason.en" in error.problem


def test_a_rule_without_patterns_is_refused(folder):
    _edit(folder, '''      - "пропасть без весть"''', '''      - ""''')
    error = _refusal(folder)
    assert error.rule == "missing_or_captive" and "empty phrase" in error.problem


def test_a_misplaced_star_is_refused(folder):
    _edit(folder, '"суицид*"', '"су*ицид"')
    assert "'*' goes only at the end" in _refusal(folder).problem


def test_a_code_used_twice_is_refused(folder):
    _edit(folder, "  - code: suicide", "  - code: threat_to_life")
    error = _refusal(folder)
    assert error.rule == "threat_to_life" and "twice" in error.problem


def test_a_reason_naming_a_law_needs_a_citation_or_verify(folder):
    _edit(folder, '''    citation: "Уголовный кодекс Российской Федерации, ст. 337, 338"
    verify: true
''', "")
    error = _refusal(folder)
    assert error.rule == "detention" and "citation" in error.problem
    _edit(folder, '''  - code: missing_or_captive''', '''    verify: true

  - code: missing_or_captive''')
    assert load_version(folder).urgency["detention"].verify


def test_a_version_without_the_file_flags_nothing(folder):
    (folder / "urgency.yaml").unlink()
    assert load_version(folder).urgency == {}
