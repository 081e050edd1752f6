"""retention.yaml: the real one loads; a broken one is refused with file, line and rule;
the period arithmetic, without a database."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from casedesk.rulebook import RulebookError
from casedesk.rulebook.loader import load_version
from casedesk.rulebook.schema import CASE_ENDINGS, Retention

REAL = Path(settings.RULEBOOK_DIR)


def test_the_real_retention_rules_load_and_cover_every_ending():
    retention = load_version(REAL / "2026.1").retention
    assert retention.counted_from == "next_january"
    assert {ending: retention.rule_for(ending).years for ending in CASE_ENDINGS} == {
        "answered": 5, "forwarded": 5, "left_unanswered": 5, "withdrawn": 5}
    # Not checked against the office's archive rules yet: every rule says so.
    assert all(rule.verify and "Росархив" in rule.citation
               for rule in retention.closed_cases)


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "rb" / "2026.1"
    shutil.copytree(REAL / "2026.1", folder)
    path = folder / "retention.yaml"

    def edit(old: str, new: str) -> Path:
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return folder, edit


def line_of(path: Path, needle: str, occurrence: int = 0) -> int:
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if needle in line]
    return lines[occurrence]


@pytest.mark.parametrize(
    ("old", "new", "needle", "rule", "words"),
    [
        ("years: 5", "years: 0", "years: 0", "answered_on_merits",
         "greater than or equal to 1"),
        ("years: 5", "years: five", "years: five", "answered_on_merits", "years"),
        ("ended_as: [answered]", "ended_as: [answred]", "ended_as: [answred]",
         "answered_on_merits", "ended_as"),
        ("ended_as: [forwarded, left_unanswered, withdrawn]",
         "ended_as: [forwarded, left_unanswered, answered]", "left_unanswered, answered]",
         "not_answered_on_merits", "already have the rule 'answered_on_merits'"),
        ("    verify: true\n\n", "    verify: true\n    keep_forever: true\n\n",
         "keep_forever", "answered_on_merits", "keep_forever"),
        ("  - code: not_answered_on_merits", "  - code: answered_on_merits",
         "  - code: answered_on_merits", "answered_on_merits", "used twice"),
    ],
)
def test_a_broken_retention_file_names_file_line_and_rule(copy, old, new, needle, rule,
                                                          words):
    folder, edit = copy
    path = edit(old, new)
    with pytest.raises(RulebookError) as refused:
        load_version(folder)
    error = refused.value
    assert error.path == path and error.rule == rule
    assert str(error).startswith(f"{path}, line ") and words in str(error)
    assert error.line == line_of(path, needle, 1 if words == "used twice" else 0)


def test_an_ending_without_a_rule_and_a_missing_file_are_refused(copy):
    folder, edit = copy
    path = edit("ended_as: [forwarded, left_unanswered, withdrawn]",
                "ended_as: [forwarded, left_unanswered]")
    with pytest.raises(RulebookError, match="no rule for cases that ended as withdrawn") as refused:
        load_version(folder)
    assert refused.value.path == path and refused.value.line == line_of(path, "closed_cases:")
    path.unlink()
    with pytest.raises(RulebookError, match=r"retention\.yaml: the file is missing"):
        load_version(folder)
    path.write_text("counted_from: whenever\nclosed_cases: []\n", encoding="utf-8")
    with pytest.raises(RulebookError, match=r"retention\.yaml, line 1: counted_from"):
        load_version(folder)


def _retention(counted_from: str, years: int = 5) -> Retention:
    rule = {"code": "all", "label": {"ru": "Все", "en": "All"}, "ended_as": list(CASE_ENDINGS),
            "years": years, "citation": "test"}
    return Retention.model_validate({"counted_from": counted_from, "closed_cases": [rule]})


D = dt.date


@pytest.mark.parametrize(
    ("counted_from", "closed", "kept_until"),
    [
        ("next_january", D(2026, 3, 10), D(2032, 1, 1)),
        ("next_january", D(2026, 1, 1), D(2032, 1, 1)),
        ("next_january", D(2026, 12, 31), D(2032, 1, 1)),
        ("closed", D(2026, 3, 10), D(2031, 3, 10)),
        ("closed", D(2024, 2, 29), D(2029, 2, 28)),
        ("closed", D(2023, 12, 31), D(2028, 12, 31)),
    ],
)
def test_kept_until(counted_from, closed, kept_until):
    retention = _retention(counted_from)
    assert retention.kept_until(retention.closed_cases[0], closed) == kept_until


@pytest.mark.parametrize("counted_from", ["next_january", "closed"])
def test_closed_before_agrees_with_kept_until_on_every_day(counted_from):
    """Past retention on ``today`` exactly when closed before ``closed_before(today)``,
    for every closing day over a span with two leap days and every ``today`` of a year."""
    closings = [D(2023, 12, 1) + dt.timedelta(days=n) for n in range(0, 500, 3)]
    closings += [D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1), D(2024, 12, 31)]
    todays = [D(2027, 6, 1) + dt.timedelta(days=n) for n in range(0, 366 * 3, 5)]
    todays += [D(year, month, day) for year in (2028, 2029)
               for month, day in ((2, 27), (2, 28), (3, 1), (12, 31), (1, 1))]
    todays += [D(2028, 2, 29)]
    for years in (4, 5):  # to a leap year and to a common one
        retention = _retention(counted_from, years=years)
        rule = retention.closed_cases[0]
        for today in todays:
            before = retention.closed_before(rule, today)
            for closed in closings:
                assert (closed < before) == (retention.kept_until(rule, closed) <= today), (
                    years, today, closed)
