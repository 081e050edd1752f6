"""Tables as files a spreadsheet opens: CSV and XLSX, for the staff queue and the
statistics (one helper, so both write the same way).

CSV in Russian is what Russian Excel reads without an import wizard: a UTF-8 byte-order
mark, ``;`` between cells, a decimal comma and dates as 07.12.2026. In English: the mark,
``,`` and a decimal point, ISO dates (2026-12-07). XLSX (openpyxl) keeps numbers as numbers
and dates as dates, with a bold, frozen header row.

Cells are ``str`` (or a lazy translation), ``int``, ``float``, ``Decimal``, ``date``,
``datetime`` (written in the current time zone) or ``None`` (an empty cell).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str
    date: str  # strftime
    datetime: str
    xlsx_date: str  # Excel number formats
    xlsx_datetime: str


DIALECTS = {
    "ru": Dialect(delimiter=";", decimal=",", date="%d.%m.%Y", datetime="%d.%m.%Y %H:%M",
                  xlsx_date="DD.MM.YYYY", xlsx_datetime="DD.MM.YYYY HH:MM"),
    "en": Dialect(delimiter=",", decimal=".", date="%Y-%m-%d", datetime="%Y-%m-%d %H:%M",
                  xlsx_date="D MMM YYYY", xlsx_datetime="D MMM YYYY, HH:MM"),
}


def dialect(language: str | None) -> Dialect:
    return DIALECTS.get((language or "ru")[:2], DIALECTS["ru"])


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_cell(value, d: Dialect) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", d.decimal)
    if isinstance(value, dt.datetime):
        return _local(value).strftime(d.datetime)
    if isinstance(value, dt.date):
        return value.strftime(d.date)
    return str(value)


def csv_text(header: Sequence, rows: Iterable[Sequence], *, language: str | None) -> str:
    """The table as CSV text in ``language``'s dialect, byte-order mark first."""
    d = dialect(language)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=d.delimiter, lineterminator="\r\n")
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(value, d) for value in row])
    return out.getvalue()


def _xlsx_cell(value):
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return _local(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, dt.date):
        return value
    return str(value)


def xlsx_bytes(header: Sequence, rows: Iterable[Sequence], *, title: str = "",
               language: str | None = None) -> bytes:
    """The table as an XLSX workbook of one sheet, header row bold and frozen; dates shown
    as 07.12.2026 (Russian) or 7 Dec 2026 (English)."""
    d = dialect(language)
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    # A sheet title: at most 31 characters, none of []:*?/\
    name = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet = book.create_sheet(name)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=str(h))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        out = []
        for value in row:
            value = _xlsx_cell(value)
            if isinstance(value, dt.datetime | dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = (d.xlsx_datetime if isinstance(value, dt.datetime)
                                      else d.xlsx_date)
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(header: Sequence, rows: Iterable[Sequence], *, fmt: str, stem: str,
             language: str | None, title: str = "") -> HttpResponse:
    """A download of the table as ``fmt`` ("csv" or "xlsx") named ``stem``.csv/.xlsx.
    ``stem`` must be ASCII without quotes (a code, never a name)."""
    if fmt == "xlsx":
        result = HttpResponse(xlsx_bytes(header, rows, title=title, language=language),
                              content_type=XLSX_TYPE)
    elif fmt == "csv":
        result = HttpResponse(csv_text(header, rows, language=language).encode(),
                              content_type=CSV_TYPE)
    else:
        raise ValueError(f"unknown table format {fmt!r}")
    result["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    result["Cache-Control"] = "private, no-store"
    return result
