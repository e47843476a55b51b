"""AsteriskLink: one PBX kept in step: the AMI client feeding the call tracker and the agent
board, a resync after every (re)connect, and the hub's call-control actions.

The hub's connector (later) wraps this: it submits the tracker's CallEvents and offers
click-to-call, transfers and queue pauses to operators.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .agents import AgentBoard
from .ami import AmiClient, AmiSettings
from .calls import CallTracker, event_time
from .frames import Frame


class AsteriskLink:
    def __init__(
        self,
        settings: AmiSettings,
        tracker: CallTracker,
        agents: AgentBoard | None = None,
        *,
        clock: Callable[[], float] = time.time,
        on_linked: Callable[[], None] | None = None,
        on_link: Callable[[bool], None] | None = None,
    ) -> None:
        self.tracker = tracker
        self.agents = agents or AgentBoard()
        self._clock = clock
        self._on_link = on_link
        self.client = AmiClient(
            settings,
            on_event=self._on_event,
            on_ready=self._resync,
            on_linked=on_linked,
            on_link=self._link_changed,
            on_reply=self._on_reply,
            clock=clock,
        )
        self.resyncs = 0
        self._round = 0
        self._waiters: dict[str, asyncio.Future[None]] = {}

    async def run(self) -> None:
        # The tracker may outlive a link (kept across lease changes): whatever it still holds
        # was last known alive at the last frame it heard, before this link's first snapshot.
        self.tracker.link_lost()
        await self.client.run()

    async def stop(self) -> None:
        await self.client.stop()

    async def wait_ready(self) -> None:
        await self.client.wait_ready()

    def _link_changed(self, up: bool) -> None:
        if not up:
            # Calls gone from the next snapshot ended after the last frame heard (an event or
            # a Ping reply): the earliest end their talk time runs to.
            self.tracker.link_lost()
        if self._on_link is not None:
            self._on_link(up)

    def _on_reply(self, frame: Frame, at: float) -> None:
        # On the events' clock: Asterisk's (a Ping reply carries its Timestamp; other replies
        # none, so they cannot be placed) when the events carry it, else the moment received.
        if not self.tracker.pbx_clock:
            self.tracker.heard(at)
        elif "Timestamp" in frame:
            self.tracker.heard(event_time(frame, at))

    def _on_event(self, frame: Frame, at: float) -> None:
        self.tracker.feed(frame, at)
        self.agents.feed(frame)
        if frame.get("Event", "").endswith("Complete"):
            waiter = self._waiters.pop(frame.get("ActionID", ""), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def _resync(self) -> None:
        """What happened while the link was down is only visible in these two lists. Their
        items come through the event stream (the actions are sent as single replies), so
        the tracker applies them in order with the events around them."""
        self._round += 1
        for action, prefix in (("CoreShowChannels", "channels"), ("QueueStatus", "queues")):
            action_id = f"resync-{prefix}-{self._round}"
            listed = asyncio.get_running_loop().create_future()
            self._waiters[action_id] = listed
            try:
                await self.client.send({"Action": action, "ActionID": action_id})
                async with asyncio.timeout(self.client.settings.action_timeout):
                    await listed
            finally:
                self._waiters.pop(action_id, None)
        self.resyncs += 1

    async def originate(
        self, *, channel: str, exten: str, context: str, caller_id: str | None = None
    ) -> Frame:
        return await self.client.originate(
            channel=channel, exten=exten, context=context, caller_id=caller_id
        )

    async def redirect(self, *, channel: str, exten: str, context: str) -> Frame:
        reply = await self.client.redirect(channel=channel, exten=exten, context=context)
        # Asterisk reports no transfer event for a Redirect: the call learns it from us.
        self.tracker.note_transfer(channel, exten, "redirect")
        return reply

    async def blind_transfer(self, *, channel: str, exten: str, context: str) -> Frame:
        return await self.client.blind_transfer(channel=channel, exten=exten, context=context)

    async def atxfer(self, *, channel: str, exten: str, context: str) -> Frame:
        return await self.client.atxfer(channel=channel, exten=exten, context=context)

    async def queue_pause(
        self, *, interface: str, paused: bool, queue: str | None = None, reason: str | None = None
    ) -> Frame:
        return await self.client.queue_pause(
            interface=interface, paused=paused, queue=queue, reason=reason
        )
