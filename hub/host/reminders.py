"""The reminder scheduler: on the node holding the "reminders" lease, a tick every
`reminder_tick_s` delivers what fell due (`hub.actions.reminders.deliver_due`).

No timer per reminder: one indexed query per tick, whatever the number of reminders, and a
restart loses nothing because pending reminders are rows. Another node takes over within
the lease TTL (`run_leased`); time comes from the hub's clock, so tests tick by hand.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from hub.actions import reminders
from hub.cancellation import raise_if_cancelling
from hub.core import NODE_ID, Hub
from hub.host.leased import run_leased
from hub.outages import log_failure

log = logging.getLogger(__name__)

LEASE = "reminders"


class ReminderScheduler:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        # "Late" is what a person would notice: well past a tick (60 s by default against a
        # 2 s tick), i.e. Okno was down or the lease was changing hands.
        self.late_after = timedelta(seconds=hub.settings.reminder_late_after_s)

    async def tick(self) -> int:
        delivered = await reminders.deliver_due(self.hub, self.late_after)
        if delivered:
            log.info("delivered %d reminders", delivered)
        return delivered

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:
                log_failure(log, exc, "reminder tick failed; trying again next tick")
            raise_if_cancelling()
            await asyncio.sleep(self.hub.settings.reminder_tick_s)


async def run_reminders(hub: Hub, holder: str = NODE_ID) -> None:
    await run_leased(hub, LEASE, ReminderScheduler(hub).run, holder)
