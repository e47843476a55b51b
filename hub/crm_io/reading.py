"""A file as a table of text cells: CSV (UTF-8 with or without a BOM, or windows-1251; `,`,
`;` or tab) or XLSX (the first sheet). Synchronous and CPU-bound: callers run it in a worker
thread (`asyncio.to_thread`) so the event loop never waits on a big file."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

XLSX_MAGIC = b"PK\x03\x04"
# Enough lines for the sniffer to see the delimiter, few enough to stay fast.
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t"
# What Okno's CSV export (hub/crm_io/writing.py) writes for text that would be a formula:
# one `'` more in front. Excel's own "text as typed" mark is the same quote.
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


class UnreadableFile(ValueError):
    """The file cannot be read as a table; `error_id` says why (the API's error id)."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


@dataclass(frozen=True)
class Table:
    headers: list[str]
    # Data rows, each as long as `headers` (short rows padded with ""), blank rows left out,
    # with the row's number in the file as a spreadsheet shows it (the header is row 1).
    rows: list[tuple[int, list[str]]]
    kind: str  # "csv" | "xlsx"


def is_xlsx_name(filename: str) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm"))


def read_table(data: bytes, filename: str) -> Table:
    """The file's table; a name ending in .xlsx (or bytes that are a zip) is read as XLSX."""
    if is_xlsx_name(filename) or data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM, as Excel writes it, is dropped), else windows-1251 (Russian Excel's
    "CSV (разделители - запятые)")."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def sniff_delimiter(sample: str) -> str:
    """`,`, `;` or tab, as csv.Sniffer sees it on the first lines; falls back to the one the
    header line holds most of (a one-column file sniffs as nothing)."""
    header = sample.split("\n", 1)[0]
    by_header = max(_DELIMITERS, key=header.count)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return by_header
    # The sniffer trusts quoted cells first, and a cell like «"=HYPERLINK(""http://x"",""y"")"»
    # makes it vote for the comma inside it; a delimiter the header line lacks while it holds
    # another one would read the whole header as one column, so the header's wins then.
    return sniffed if sniffed in header or by_header not in header else by_header


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    if "\x00" in text[:_SNIFF_BYTES]:
        raise UnreadableFile("not-a-table", "This is not a CSV text file.")
    sample = "\n".join(text[:_SNIFF_BYTES].splitlines()[:50])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(sample))
    rows = ((reader.line_num, [unquote_cell(cell) for cell in row]) for row in reader)
    return _table(rows, "csv")


def unquote_cell(cell: str) -> str:
    """The value an exported CSV cell stands for: the `'` put before text that a spreadsheet
    would run as a formula is taken off, so export → import gives back «=HYPERLINK(…)» or
    «+7 916 …» as they were. Other cells, and a `'` before ordinary text, stay as they are."""
    return cell[1:] if _QUOTED_FORMULA.match(cell) else cell


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person would type: whole numbers without ".0", dates as
    YYYY-MM-DD (a time of midnight left out)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError)
    if not data.startswith(XLSX_MAGIC):
        raise UnreadableFile("not-an-xlsx", "The file is named .xlsx but is not an Excel workbook.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except broken as exc:
        raise UnreadableFile(
            "not-an-xlsx", f"The file is not an Excel workbook (.xlsx): {exc}"
        ) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise UnreadableFile("empty-file", "The workbook has no sheets.")
        rows = (
            (number, [cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _table(rows, "xlsx")
    except UnreadableFile:
        raise
    except (*broken, SyntaxError) as exc:  # xml.etree's ParseError is a SyntaxError
        raise UnreadableFile("not-an-xlsx", f"The workbook cannot be read: {exc}") from None
    finally:
        book.close()


def _table(rows: Iterator[tuple[int, list[str]]], kind: str) -> Table:
    headers: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if headers is None:
            headers = cells
            continue
        body.append((number, cells))
    if headers is None:
        raise UnreadableFile("empty-file", "The file has no header row.")
    width = max([len(headers), *(len(cells) for _, cells in body)])
    return Table(
        headers + [""] * (width - len(headers)),
        [(number, cells + [""] * (width - len(cells))) for number, cells in body],
        kind,
    )
