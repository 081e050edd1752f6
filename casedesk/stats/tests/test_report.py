"""The annual report: PDF and CSV in both languages for the hand-counted cases of
test_figures (office MSK, 2025), an empty year, and the command's errors.

The first two pages of each PDF are kept as PNGs in test-artifacts/screenshots/ for a
person to look at.
"""

# ruff: noqa: F811 - the fixtures of test_figures are imported by name
from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from .test_figures import (  # noqa: F401 - fixtures
    APPEAL_TEXT,
    MOTHER,
    SOLDIER,
    cases,
    commission,
    media,
    move,
)

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed",
)


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"],  # noqa: S603,S607
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def line_with(text: str, label: str) -> str:
    """The line of a pdftotext -layout page that holds ``label``, spaces collapsed."""
    for line in text.splitlines():
        if label in line:
            return flat(line.replace("\xa0", " "))
    raise AssertionError(f"{label!r} is not in the report")


def screenshot(pdf: Path, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf),  # noqa: S603,S607
                    str(SCREENSHOTS / name)], check=True)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def report(tmp_path: Path, *, year: int = 2025, language: str | None = None,
           office: str = "MSK") -> tuple[Path, Path]:
    arguments = ["annual_report", "--year", str(year), "--office", office,
                 "--output", str(tmp_path)]
    if language:
        arguments += ["--language", language]
    call_command(*arguments)
    stem = f"{office.upper()}-{year}-{language or 'ru'}"
    return tmp_path / f"{stem}.pdf", tmp_path / f"{stem}.csv"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_report_carries_the_hand_counted_figures(cases, tmp_path, language):
    pdf, table = report(tmp_path, language=None if language == "ru" else language)
    assert pdf.read_bytes().startswith(b"%PDF") and table.is_file()
    screenshot(pdf, f"stats_annual_report_{language}")
    text = pdf_text(pdf)
    with translation.override(language):
        def label(msgid: str) -> str:
            with translation.override(language):  # also called after this block
                return gettext(msgid)

        office = "Москва" if language == "ru" else "Moscow"
        march = formats.date_format(dt.date(2025, 3, 1), "YEAR_MONTH_FORMAT")
        today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    assert office in text and "2025" in text
    assert flat(today) in flat(text.replace("\xa0", " "))
    assert line_with(text, label("Cases received")).endswith(" 10")
    assert line_with(text, label("Answers on the merits")).endswith(" 5")
    assert line_with(text, label("Answered on time")).endswith(" 3")
    assert line_with(text, label("Median days to answer")).endswith(" 35")
    assert line_with(text, label("90th percentile of days to answer")).endswith(" 44")
    assert line_with(text, label("Deadline extensions")).endswith(" 1")
    # Numbers in the report's language: 60,0 in Russian, 60.0 in English.
    share = "60,0" if language == "ru" else "60.0"
    assert line_with(text, label("Share answered on time, %")).endswith(f" {share}")
    assert line_with(text, march).split()[-2:] == ["<5", "<5"]  # 3 received, 1 answered
    for personal in (SOLDIER, MOTHER, APPEAL_TEXT, cases["c1"].number):
        assert personal not in text


@pytest.mark.smoke
def test_the_csv_has_one_row_per_figure(cases, tmp_path):
    _pdf, table = report(tmp_path, language="en")
    rows = read_csv(table)
    assert rows[0] == ["table", "label", "column", "value"]
    body = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert len(body) == len(rows) - 1  # no cell twice
    summary = {label: value for (key, label, _column), value in body.items()
               if key == "summary"}
    assert summary == {
        "Cases received": "10", "Appeals received (letters, forms, messages)": "10",
        "Cases registered": "9", "Answers on the merits": "5", "Answered on time": "3",
        "Answered late": "2", "Share answered on time, %": "60.0",
        "Median days to answer": "35", "90th percentile of days to answer": "44",
        "Deadline extensions": "1", "Forwarded to the competent body": "1",
        "Left unanswered on lawful grounds": "0", "Withdrawn by the applicant": "1",
        "Cases closed": "1", "Commission decisions": "1",
    }
    months = [(r[1], r[2], r[3]) for r in rows if r[0] == "by_month"]
    assert len(months) == 24  # 12 months, received and answered
    assert ("January 2025", "Received", "0") in months
    assert ("March 2025", "Received", "<5") in months
    # By category: 7 and 3 received; the 3 is "<5", so the 7 is hidden too (10 is known).
    assert body[("by_category", "Wrongly recorded as AWOL", "Received")] == "…"
    assert body[("by_category", "Injury and insurance payments", "Received")] == "<5"
    assert body[("by_category", "Wrongly recorded as AWOL", "Answered")] == "<5"
    assert body[("outcomes", "upheld", "Answers")] == "<5"
    assert body[("decisions", "partly upheld", "Decisions")] == "<5"
    assert ("by_region", "Tver Oblast", "Received") in body
    assert not any(key == "by_region" and label == "Tver Oblast" and value.isdigit()
                   and int(value) < 5 for (key, label, _c), value in body.items())


def test_the_csv_in_russian(cases, tmp_path):
    _pdf, table = report(tmp_path)
    rows = read_csv(table)
    assert rows[0] == ["table", "label", "column", "value"]  # for programs: not translated
    with translation.override("ru"):
        received, value, column = (gettext("Cases received"), gettext("Value"),
                                   gettext("Received"))
        march = formats.date_format(dt.date(2025, 3, 1), "YEAR_MONTH_FORMAT")
    assert march.startswith("Март 2025")
    assert ["summary", received, value, "10"] in rows
    assert ["by_month", march, column, "<5"] in rows
    assert [r[:2] for r in rows if r[0] == "by_region"][0] == ["by_region", "Тверская обл"]


def test_a_year_without_cases_still_gets_a_report(cases, tmp_path, capsys):
    pdf, table = report(tmp_path, year=2019, language="en")
    text = flat(pdf_text(pdf))
    assert "No appeals were received or answered in 2019." in text
    assert "Moscow" in text
    rows = read_csv(table)
    assert ["summary", "Cases received", "Value", "0"] in rows
    assert {r[0] for r in rows[1:]} == {"summary"}
    assert "No appeals in 2019" in capsys.readouterr().out


def test_an_unknown_office_or_year_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No office with the code 'XYZ'"):
        report(tmp_path, office="XYZ")
    with pytest.raises(CommandError, match="not a year"):
        report(tmp_path, year=12)
    assert not list(tmp_path.iterdir())
