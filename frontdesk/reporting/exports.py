"""Tables out: CSV and XLSX, safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
read by Excel, LibreOffice or Google Sheets as a formula (CSV injection). Such cells get a
leading apostrophe, which spreadsheets show as plain text. Numbers stay numbers.

XLSX files are written with openpyxl (one sheet, bold header row); characters a workbook
cannot hold (control characters) are dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """A titled table: header texts and rows of plain values (str, int, float, None)."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


def cell_safe(value: Any) -> Any:
    """The value as a spreadsheet should store it: dangerous text quoted, dates as text."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell_safe(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([cell_safe(v) for v in row])
    # A byte-order mark so Excel opens UTF-8 (å, ä, ö) correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_name(title: str) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\").strip() or "Report"
    return ILLEGAL_CHARACTERS_RE.sub("", clean)[:31] or "Report"


def _xlsx_value(value: Any) -> Any:
    value = cell_safe(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def table_xlsx(table: Table) -> bytes:
    """A workbook with one sheet: the header row in bold, then the rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_name(table.title)
    sheet.append([_xlsx_value(h) for h in table.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
