"""Keyset paging over a chosen sort: fast on the millionth row as on the first.

A page ends with a cursor holding the last row's sort value and id; the next page asks for
rows strictly after that pair in the same order. The sort column must be NOT NULL (the
registries sort by name key, dates, amounts), and the id breaks ties, so no row is skipped or
repeated while others are written meanwhile. The cursor is opaque to clients (URL-safe
base64 of JSON) and a tampered one is refused as bad input, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_

from hub.policy import InvalidInput


@dataclass(frozen=True)
class Sort:
    """Order by `column` (then id the same way), descending or not."""

    column: Any
    id_column: Any
    descending: bool = False

    def order(self, query: Select[Any]) -> Select[Any]:
        if self.descending:
            return query.order_by(self.column.desc(), self.id_column.desc())
        return query.order_by(self.column.asc(), self.id_column.asc())

    def after(self, cursor: tuple[Any, int]) -> ColumnElement[bool]:
        value, last_id = cursor
        if self.descending:
            return or_(self.column < value, and_(self.column == value, self.id_column < last_id))
        return or_(self.column > value, and_(self.column == value, self.id_column > last_id))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


_PARSERS: dict[str, Callable[[str], Any]] = {
    "t": datetime.fromisoformat,
    "d": date.fromisoformat,
    "n": Decimal,
}


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        [(tag, text)] = value.items()
        parse = _PARSERS.get(tag)
        if parse is not None and isinstance(text, str):
            return parse(text)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise ValueError("not a cursor value")


def encode_cursor(value: Any, row_id: int) -> str:
    raw = json.dumps([_plain(value), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = json.loads(raw)
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError("id")
        return _typed(value), row_id
    except (ValueError, TypeError, binascii.Error, ArithmeticError):
        raise InvalidInput(
            [
                {
                    "field": "cursor",
                    "location": "query",
                    "type": "bad-cursor",
                    "message": "not a cursor this list gave out",
                }
            ]
        ) from None


def keyset_page(rows: Sequence[Any], limit: int, sort_value: Any) -> tuple[list[Any], str | None]:
    """(the page, the next cursor or None): `rows` were fetched with LIMIT limit + 1;
    `sort_value(row)` gives a row's value of the sort column."""
    items = list(rows[:limit])
    if len(rows) <= limit:
        return items, None
    last = items[-1]
    return items, encode_cursor(sort_value(last), last.id)
