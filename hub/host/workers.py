"""Background work every node runs: deliver the outbox, retry inbound events left behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from connectors.base import Delivery, Outbound
from connectors.runner import ConnectorRunner
from hub.actions import outbox
from hub.cancellation import raise_if_cancelling
from hub.core import Hub
from hub.events import MessageCreated
from hub.listener import listen, on
from hub.models import Direction
from hub.outages import dependency_of, log_failure
from routing.ingest import Ingestor

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 60.0


class OutboxWorker:
    """Delivers queued replies through their channel's connector (rule 4).

    Woken at once when a reply is queued on this node's bus, and polling as a safety net
    for rows queued elsewhere or due for a retry.
    """

    def __init__(self, hub: Hub, runner: ConnectorRunner, poll_s: float = 1.0) -> None:
        self.hub = hub
        self.runner = runner
        self.poll_s = poll_s
        self.wake = asyncio.Event()

    async def run(self) -> None:
        waker = asyncio.create_task(self._wake_on_replies())
        try:
            while True:
                try:
                    await self.deliver_due()
                except Exception as exc:
                    if dependency_of(exc) is None:
                        raise  # a bug: the runner logs it and restarts the worker
                    # The database is away: counted in its outage (logged once), and the
                    # next pass (woken or polled) tries again, without a traceback each time.
                    log_failure(log, exc, "outbox pass failed")
                self.wake.clear()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that lands
                # with the wake-up, and shutdown would then wait forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_s):
                        await self.wake.wait()
        finally:
            waker.cancel()

    async def _wake_on_replies(self) -> None:
        routes = [on(MessageCreated, self._wake_on_reply)]
        # After falling behind the bus, one pass over the outbox finds whatever was missed.
        await listen(self.hub.bus, routes, on_gap=self.wake.set, name="outbox-waker")

    def _wake_on_reply(self, event: MessageCreated) -> None:
        if event.message.get("direction") == Direction.outbound.value:
            self.wake.set()

    async def deliver_due(self) -> int:
        sent = 0
        for outbox_id in await outbox.due_ids(self.hub):
            claimed = await outbox.claim(self.hub, outbox_id)
            if claimed is None:
                continue
            await outbox.record(self.hub, claimed, await self._send(claimed))
            sent += 1
        return sent

    async def _send(self, claimed: outbox.ClaimedDelivery) -> Delivery:
        if claimed.unreachable_reason:
            return Delivery("failed", error=f"client unreachable: {claimed.unreachable_reason}")
        if claimed.undeliverable:
            return Delivery("failed", error=claimed.undeliverable)
        connector = self.runner.get(claimed.channel_kind, claimed.channel_name)
        if connector is None:
            return Delivery(
                "retry",
                error=f"channel {claimed.channel_kind}:{claimed.channel_name} is not running",
            )
        item = Outbound(
            outbox_id=claimed.outbox_id,
            conversation_id=claimed.conversation_id,
            text=claimed.text,
            recipient=claimed.recipient,
            author_name=claimed.author_name,
            attachments=claimed.attachments,
            meta=claimed.meta,
        )
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                return await connector.send(item)
        except TimeoutError:
            return Delivery("retry", error="the channel did not answer in time")
        except Exception as exc:
            log.exception(
                "outbox %d: %s connector crashed while sending",
                claimed.outbox_id,
                claimed.channel_kind,
            )
            return Delivery("retry", error=f"connector error: {exc!r}")


async def retry_inbound_forever(ingestor: Ingestor, interval_s: float) -> None:
    while True:
        try:
            done = await ingestor.retry_due()
            if done:
                log.info("processed %d inbound events on retry", done)
        except Exception as exc:
            log_failure(log, exc, "inbound retry pass failed")
        raise_if_cancelling()
        await asyncio.sleep(interval_s)
