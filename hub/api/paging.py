"""Keyset paging: fetch one row more than asked to know whether another page exists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class HasId(Protocol):
    @property
    def id(self) -> int: ...


ItemT = TypeVar("ItemT", bound=HasId)


def one_more(limit: int) -> int:
    """The LIMIT to ask the database for, so `page` can tell whether more rows follow."""
    return limit + 1


def page(rows: Sequence[ItemT], limit: int) -> tuple[list[ItemT], int | None]:
    """(the page, next_cursor): the cursor is the last item's id, or None on the last page."""
    items = list(rows[:limit])
    return items, (items[-1].id if len(rows) > limit else None)
