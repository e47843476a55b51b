"""Sending robots' notices to people by e-mail and Telegram (`hub.actions.robot_staff`):
through the named channel's running connector, when it offers `StaffMessaging`.

Every node runs the worker; a message is claimed for one attempt at a time (an atomic
UPDATE), so two nodes never send it twice. A node where that channel does not run leaves
the message for a later attempt (the lease of the claim lapses and another node, or this one
once the channel starts, takes it up).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from connectors.base import BaseConnector
from connectors.capabilities import StaffMessaging
from hub.actions import robot_staff
from hub.cancellation import raise_if_cancelling
from hub.core import Hub
from hub.outages import log_failure

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 60.0


class Connectors(Protocol):
    """The node's running connectors (`connectors.runner.ConnectorRunner`)."""

    def get(self, kind: str, name: str) -> BaseConnector | None: ...


async def send_due(hub: Hub, runner: Connectors) -> int:
    """One pass: every due message tried once; returns how many went out."""
    sent = 0
    for message_id in await robot_staff.due_ids(hub):
        claimed = await robot_staff.claim(hub, message_id)
        if claimed is None:
            continue
        connector = runner.get(claimed.channel_kind, claimed.channel_name)
        if connector is None:
            await robot_staff.record(
                hub, claimed, "retry", f"channel {claimed.channel_name} is not running here"
            )
            continue
        if not isinstance(connector, StaffMessaging):
            await robot_staff.record(
                hub, claimed, "failed", f"{claimed.channel_kind} channels cannot write to staff"
            )
            continue
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                delivery = await connector.send_to_staff(
                    claimed.address, claimed.subject, claimed.text
                )
        except Exception as exc:
            raise_if_cancelling(exc)
            log.exception("staff message %d: the %s connector failed", claimed.id, claimed.medium)
            await robot_staff.record(hub, claimed, "retry", f"connector error: {exc!r}"[:500])
            continue
        await robot_staff.record(
            hub, claimed, delivery.status, delivery.error, delivery.retry_after
        )
        sent += delivery.status == "sent"
    return sent


async def send_forever(hub: Hub, runner: Connectors, poll_s: float = 1.0) -> None:
    while True:
        try:
            await send_due(hub, runner)
        except Exception as exc:
            log_failure(log, exc, "staff messages' pass failed; trying again")
        raise_if_cancelling()
        await asyncio.sleep(poll_s)
