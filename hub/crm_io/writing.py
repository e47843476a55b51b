"""Rows out as CSV or XLSX, for Russian Excel to open as they are.

CSV: UTF-8 with a BOM (without it Excel reads windows-1251 and garbles Cyrillic), `;` as the
delimiter (Russian Excel's list separator, since `,` is the decimal point there), CRLF.
Written row by row, so an export streams. Text that a spreadsheet would evaluate (a cell
starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` (OWASP's "CSV injection"
advice), and the importer takes that `'` off again (`reading.unquote_cell`). XLSX: openpyxl's
write-only workbook (rows are not kept in memory as cells), built in a worker thread by the
caller.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

BOM = "\ufeff"
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Text Excel or LibreOffice would read as a formula: it starts (after any `'` already there,
# so that a value that itself begins with `'=` round-trips) with one of OWASP's characters.
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
# A negative number typed as text ("-5", "-1500,50") is no formula; it stays readable as the
# number it is. Anything starting with "+" is quoted, numbers too: a phone «+79161234567» or
# «+7 916 123-45-67» is text a user typed, and unquoted Excel would evaluate it or show
# 7,91612E+10 without its "+". Real numbers (int, float, Decimal cells) are never quoted.
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:[.,]\d+)?")


def csv_cell(value: object) -> str:
    """A cell's CSV text. Numbers (int, float, Decimal) are written as they are; text that a
    spreadsheet would run as a formula is prefixed with `'`."""
    if value is None:
        return ""
    text = str(value)
    if not isinstance(value, str):
        return text
    if FORMULA_START.match(text) and not _NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_lines(rows: Iterable[Sequence[object]], *, bom: bool = False) -> str:
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([[csv_cell(cell) for cell in row] for row in rows])
    return out.getvalue()


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([_xlsx_cell(sheet, cell) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Any, value: object) -> object:
    """Text stays text: a client's name «=HYPERLINK(…)» must not become a live formula in
    the manager's Excel (openpyxl makes any string starting with «=» one), and control
    characters, which XLSX cannot hold, are dropped instead of failing the whole export."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell
