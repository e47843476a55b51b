"""Cursors survive the round trip with their types, and a forged one is bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from hub.policy import InvalidInput
from hub.queries.keyset import decode_cursor, encode_cursor


@pytest.mark.parametrize(
    "value",
    ["иванов", 42, datetime(2026, 12, 5, 10, 30, tzinfo=UTC), date(2026, 1, 31), Decimal("12.50")],
)
def test_cursor_round_trip_keeps_the_type(value: object) -> None:
    assert decode_cursor(encode_cursor(value, 17)) == (value, 17)


@pytest.mark.parametrize("forged", ["", "!!!", "bm90IGpzb24", "WzEsInR3byJd", "W3sieCI6MX0sMV0"])
def test_a_forged_cursor_is_bad_input(forged: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(forged)
    assert caught.value.details[0]["type"] == "bad-cursor"
