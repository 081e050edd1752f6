"""Table downloads: CSV that Russian Excel opens (BOM, ";", decimal comma, 07.12.2026),
CSV for English (",", ".", ISO dates), XLSX with typed cells and a header row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from casedesk.core import tables

HEADER = ["Дело", "Доля", "Дата"]
ROWS = [["MSK-2026-00001", 12.5, dt.date(2026, 12, 7)],
        ["MSK-2026-00002; с точкой с запятой", Decimal("0.25"), None],
        ["MSK-2026-00003", 3, dt.date(2026, 1, 2)]]


def test_russian_csv_is_what_russian_excel_opens():
    text = tables.csv_text(HEADER, ROWS, language="ru")
    assert text.startswith("\ufeff")
    first_line = text[1:].splitlines()[0]
    assert first_line == "Дело;Доля;Дата"
    parsed = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert parsed[0] == HEADER
    assert parsed[1] == ["MSK-2026-00001", "12,5", "07.12.2026"]
    assert parsed[2] == ["MSK-2026-00002; с точкой с запятой", "0,25", ""]
    assert parsed[3] == ["MSK-2026-00003", "3", "02.01.2026"]


def test_english_csv_uses_commas_points_and_iso_dates():
    text = tables.csv_text(HEADER, ROWS, language="en")
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:])))
    assert parsed[1] == ["MSK-2026-00001", "12.5", "2026-12-07"]


def test_xlsx_has_the_header_row_and_typed_cells():
    data = tables.xlsx_bytes(HEADER, ROWS, title="Очередь")
    sheet = load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(HEADER)
    assert values[1][1] == 12.5
    assert values[1][2].date() == dt.date(2026, 12, 7)
    assert values[3][1] == 3
    assert sheet.title == "Очередь"
    assert sheet["A1"].font.bold
