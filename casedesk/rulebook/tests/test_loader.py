"""The real rulebook loads; a broken one is refused with file, line and rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from casedesk.core.states import CaseState
from casedesk.rulebook import RulebookError
from casedesk.rulebook.loader import load_all, load_version, pick_current

REAL = Path(settings.RULEBOOK_DIR)
TAXONOMY = [
    "wrongful_mobilization", "demobilization_term", "medical_discharge", "family_discharge",
    "contract_termination", "exit_request_delay", "refusal_legal_question",
    "record_error_awol", "pay_suspended", "insurance_payment", "medical_care",
    "missing_captivity", "coercion_threats", "misinformation", "service_booklet_mark",
    "leave_rotation", "collective_petition", "other",
]


@pytest.mark.smoke
def test_the_real_rulebook_loads_with_the_design_taxonomy():
    book = load_version(REAL / "2026.1")
    assert list(book.categories) == TAXONOMY
    for category in book.categories.values():
        assert category.label.ru and category.label.en and category.description.ru
    assert {r.code: (r.period.days, r.counting) for r in book.rules.values()} == {
        "registration": (3, "calendar"),
        "forwarding": (7, "calendar"),
        "answer": (30, "calendar"),
        "acceptance_notice": (10, "calendar"),
    }
    assert book.rules["answer"].max_extension_days == 30
    assert book.filing_limits["commissioner_complaint"].period.years == 1
    assert all("59-ФЗ" in r.citation or "1-ФКЗ" in r.citation for r in book.rules.values())
    assert set(book.grounds) == {"anonymous_or_no_address", "obscene_or_threatening",
                                 "unreadable", "essence_undeterminable",
                                 "repeated_no_new_arguments", "anonymous_offence_report",
                                 "state_or_other_secret"}


@pytest.fixture
def copy(tmp_path):
    """A copy of the real rulebook to break; returns (folder, edit)."""
    folder = tmp_path / "rb" / "2026.1"
    shutil.copytree(REAL / "2026.1", folder)

    def edit(name: str, old: str, new: str) -> Path:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return folder, edit


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("file", "old", "new", "needle", "rule", "words"),
    [
        ("deadlines.yaml", "period: {days: 30}", "period: {days: -30}", "period: {days: -30}",
         "answer", "greater than or equal to 0"),
        ("deadlines.yaml", "period: {days: 7}", "period: {weeks: 1}", "period: {weeks: 1}",
         "forwarding", "weeks"),
        ("deadlines.yaml", "active_in: [received]", "active_in: [recieved]",
         "active_in: [recieved]", "registration", "unknown case state(s): recieved"),
        ("deadlines.yaml", '    citation: "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 8, ч. 2"',
         "", "code: registration", "registration", "citation: Field required"),
        ("deadlines.yaml", "counting: calendar\n    starts_on: [registered, reopened]",
         "counting: weekly\n    starts_on: [registered, reopened]", "counting: weekly",
         "answer", "counting"),
        ("deadlines.yaml", "deadlines: [registration, forwarding, answer]",
         "deadlines: [registration, forwarding, reply]", "reply]", "appeal_59fz",
         "no deadline rule 'reply'"),
        # Issue 16: a procedure says who the office is; its own citations name its rules.
        ("deadlines.yaml", "kind: ngo", "kind: charity", "kind: charity", "ngo_own_rules",
         "kind"),
        ("deadlines.yaml", '      answer: "Собственные правила организации (не закон)"',
         '      forwarding: "Собственные правила организации (не закон)"',
         'forwarding: "Собственные', "ngo_own_rules", "not a deadline of this procedure"),
        ("deadlines.yaml", "  - code: forwarding", "  - code: registration",
         "  - code: registration\n", "registration", "used twice"),
        ("grounds.yaml", "notify_applicant: true\n    notice_days: 7",
         "notify_applicant: perhaps\n    notice_days: 7", "notify_applicant: perhaps",
         "unreadable", "notify_applicant"),
        ("categories.yaml", "  - code: other\n", "  - code: Other\n", "code: Other", "Other",
         "pattern"),
        ("answers.yaml", "оставлении части {member_name_genitive}. Документы",
         "оставлении части {member}. Документы", "{member}. Документы", "awol_record_check",
         "unknown placeholder '{member}'"),
        ("answers.yaml", "categories: [insurance_payment]", "categories: [insurance]",
         "categories: [insurance]", "insurance_documents", "no category 'insurance'"),
        ("answers.yaml", '    citation: "Федеральный закон от 02.05.2006 № 59-ФЗ, ст. 10"\n',
         "", "code: opening_reviewed", "opening_reviewed", "give its citation"),
    ],
)
def test_a_broken_file_is_refused_naming_file_line_and_rule(copy, file, old, new, needle,
                                                            rule, words):
    folder, edit = copy
    path = edit(file, old, new)
    with pytest.raises(RulebookError) as refused:
        load_version(folder)
    error = refused.value
    assert error.path == path
    assert error.rule == rule
    message = str(error)
    assert message.startswith(f"{path}, line ")
    assert f"rule '{rule}'" in message
    assert words in message
    if needle.endswith("\n"):  # a duplicate: the second occurrence
        lines = [n for n, line in enumerate(path.read_text().splitlines(), 1)
                 if line == needle.rstrip("\n")]
        assert error.line == lines[1]
    else:
        assert error.line == line_of(path, needle)


def test_invalid_yaml_names_the_line(copy):
    folder, edit = copy
    path = edit("grounds.yaml", "  - code: unreadable", "  - code: [unreadable")
    with pytest.raises(RulebookError) as refused:
        load_version(folder)
    assert "not valid YAML" in str(refused.value)
    assert refused.value.line is not None and refused.value.line >= line_of(path, "[unreadable")


def test_missing_file_and_missing_other_category(copy):
    folder, edit = copy
    edit("categories.yaml", "  - code: other\n", "  - code: elsewhere\n")
    with pytest.raises(RulebookError, match="must have the category 'other'"):
        load_version(folder)
    (folder / "grounds.yaml").unlink()
    shutil.copy(REAL / "2026.1" / "categories.yaml", folder / "categories.yaml")
    with pytest.raises(RulebookError, match=r"grounds\.yaml: the file is missing"):
        load_version(folder)


def test_version_must_match_its_folder(copy):
    folder, edit = copy
    edit("rulebook.yaml", 'version: "2026.1"', 'version: "2026.2"')
    with pytest.raises(RulebookError, match="does not match its folder"):
        load_version(folder)


def test_every_state_named_by_rules_exists():
    book = load_version(REAL / "2026.1")
    for rule in book.rules.values():
        assert set(rule.active_in) <= {s.value for s in CaseState}


def test_the_version_in_force_is_picked_by_date(copy):
    import datetime as dt

    folder, _ = copy
    newer = folder.parent / "2027.1"
    shutil.copytree(folder, newer)
    text = (newer / "rulebook.yaml").read_text()
    (newer / "rulebook.yaml").write_text(
        text.replace('version: "2026.1"', 'version: "2027.1"')
        .replace("effective_from: 2026-01-01", "effective_from: 2027-01-01"))
    books = load_all(folder.parent)
    assert pick_current(books, dt.date(2026, 12, 31)).version == "2026.1"
    assert pick_current(books, dt.date(2027, 1, 1)).version == "2027.1"


def test_rulebook_check_command(copy, capsys):
    folder, edit = copy
    call_command("rulebook_check", str(folder.parent))
    assert "2026.1: 18 categories, 4 deadline rules" in capsys.readouterr().out
    edit("deadlines.yaml", "period: {days: 30}", "period: {days: many}")
    with pytest.raises(CommandError, match=r"deadlines\.yaml, line \d+, rule 'answer'"):
        call_command("rulebook_check", str(folder.parent))


def test_django_refuses_to_start_with_a_broken_rulebook(copy):
    import os
    import subprocess
    import sys

    folder, edit = copy
    edit("deadlines.yaml", "period: {days: 30}", "period: {days: -1}")
    env = {**os.environ, "CASEDESK_RULEBOOK_DIR": str(folder.parent), "DATABASE_URL": ""}
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env,
        cwd=settings.BASE_DIR, timeout=120,
    )
    assert result.returncode != 0
    assert "deadlines.yaml, line" in result.stderr and "rule 'answer'" in result.stderr
