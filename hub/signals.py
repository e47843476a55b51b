"""Transient signals: live-only envelopes (typing) that are never written to event_log.

They carry cursor 0, which no logged event has: the workspace socket passes them through
without its de-duplication and clients do not move their resume cursor on them. A signal
lost in a reconnect is simply gone, which is right for "typing…".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hub.core import Hub
from hub.events import Audience, Envelope
from hub.outages import log_failure

log = logging.getLogger(__name__)

TRANSIENT_CURSOR = 0


async def publish_transient(
    hub: Hub, kind: str, payload: Mapping[str, Any], audience: Audience
) -> None:
    envelope = Envelope(TRANSIENT_CURSOR, kind, dict(payload), audience)
    try:
        await hub.bus.publish(envelope)
    except Exception as exc:
        # Nothing durable depends on it; a failed "typing" must not fail the sender.
        log_failure(log, exc, "could not publish transient %s", kind)
