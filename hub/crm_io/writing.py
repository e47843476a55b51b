"""Rows out as CSV or XLSX, for Russian Excel to open as they are.

CSV: UTF-8 with a BOM (without it Excel reads windows-1251 and garbles Cyrillic), `;` as the
delimiter (Russian Excel's list separator, since `,` is the decimal point there), CRLF.
Written row by row, so an export streams. XLSX: openpyxl's write-only workbook (rows are
not kept in memory as cells), built in a worker thread by the caller.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

BOM = "\ufeff"
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_lines(rows: Iterable[Sequence[object]], *, bom: bool = False) -> str:
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([["" if cell is None else str(cell) for cell in row] for row in rows])
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
