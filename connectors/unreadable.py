"""Keeping what a source sent but a connector cannot read: stored raw, acknowledged, logged once.

Telegram and VK send an update again until they get a 2xx, so an update that Okno cannot
read must still be acknowledged, or the channel stalls behind it for ever. Acknowledging it
without a trace would lose it, so it is stored first, like everything else (ARCHITECTURE
rule 2), as an `UnreadableInput` holding the raw body: the hub marks it ignored with the
reason and counts it (`okno_inbound_unreadable`). Only a failure to store it (our own
outage) propagates, so the caller can answer 503 and the source retries.

A fuzzer or a new update type can send thousands of these, so each kind is logged once per
connector at WARNING (with the traceback, if a parser bug caused it) and then at DEBUG.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .base import ConnectorContext, Receipt, UnreadableInput

# The raw body kept for a look; a longer one is cut (the whole of it is rarely the point).
RAW_LIMIT = 256 * 1024
# Kinds remembered as already logged; past this, new kinds still log (the set is reset).
_LOGGED_LIMIT = 1000


def raw_text(data: Any) -> str:
    """The body as JSON text, ASCII only, so NUL and lone surrogates survive every backend."""
    try:
        text = json.dumps(data, ensure_ascii=True, default=repr)
    except (ValueError, TypeError, RecursionError):
        text = repr(data)
    return text[:RAW_LIMIT]


class UnreadableKeeper:
    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self._logged: set[str] = set()

    async def keep(
        self,
        external_id: str,
        kind: str,
        reason: str,
        raw: Any,
        *,
        error: BaseException | None = None,
    ) -> Receipt:
        """Store it (raises only if storing failed), then log it once per kind."""
        item = UnreadableInput(
            channel_kind=self.ctx.channel_kind,
            channel_name=self.ctx.channel_name,
            external_id=external_id,
            kind=kind,
            reason=reason[:2000],
            raw=raw if isinstance(raw, str) else raw_text(raw),
        )
        receipt = await self.ctx.submit(item)
        first = kind not in self._logged
        if first:
            if len(self._logged) >= _LOGGED_LIMIT:
                self._logged.clear()
            self._logged.add(kind)
        self.ctx.log.log(
            logging.WARNING if first else logging.DEBUG,
            "%s %s: kept an unreadable input (%s) as inbound %d%s and acknowledged it: %s%s",
            self.ctx.channel_kind,
            self.ctx.channel_name,
            kind,
            receipt.event_id,
            " (a repeat)" if receipt.duplicate else "",
            reason[:300],
            "; later ones of this kind are logged at debug level" if first else "",
            exc_info=error if first and error is not None else None,
        )
        return receipt
