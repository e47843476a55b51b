"""Waiting on a condition, not on the clock: the tests' one way to let something happen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(condition: Callable[[], Any], limit: float = 10.0, what: str = "") -> Any:
    """Poll an (async or plain) condition until it holds, and return what it gave then (a
    row, say); fail after `limit` seconds."""
    try:
        async with asyncio.timeout(limit):
            while True:
                result = condition()
                if asyncio.iscoroutine(result):
                    result = await result
                if result:
                    return result
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"waited {limit} s for {what or 'a condition'}") from None
