"""The Asterisk connector: one PBX per channel, read over AMI by the node holding its lease.

Inbound: the call tracker's CallEvents (ringing, answered, ended / missed with the finished
call in meta) are submitted one by one, in the order the PBX produced them, so the hub sees a
call ring before it is answered. Outbound: the CallControl capability (click-to-call,
transfers, queue pauses) as AMI actions on the live link; only the lease holder has one
(`connected`), any other node gets `AmiNotConnected` and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from typing import ClassVar

from connectors.base import BaseConnector, CallEvent, ConnectorContext, ConnectorOptions
from connectors.capabilities import CallControl, CallNotLive
from connectors.runner import backoff_delay

from .agents import AgentBoard
from .ami import AmiSettings
from .amiproto import AmiNotConnected
from .calls import CallTracker
from .channels import PbxLayout
from .frames import Frame
from .link import AsteriskLink
from .model import Leg, LiveCall
from .options import AsteriskOptions

log = logging.getLogger(__name__)

# What may be dialled: digits, a leading +, and the * and # of feature codes.
_DIALLABLE = re.compile(r"^\+?[0-9*#]{2,32}$")
# Events left unsubmitted when the reader stops get this long to reach the hub.
FLUSH_TIMEOUT_S = 5.0


class AsteriskConnector(BaseConnector, CallControl):
    kind: ClassVar[str] = "asterisk"
    options_model: ClassVar[type[ConnectorOptions]] = AsteriskOptions
    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        super().__init__(ctx, options)
        if not isinstance(options, AsteriskOptions):
            raise TypeError(f"asterisk needs AsteriskOptions, got {type(options).__name__}")
        self.pbx = options
        layout = PbxLayout(
            extension_pattern=options.extension_pattern,
            recording_variable=options.recording_variable,
        )
        # Kept across reconnects and lease changes: the resync after each (re)connect ends
        # or adopts the calls it knew, so none is lost or counted twice.
        self.tracker = CallTracker(layout, channel_name=ctx.channel_name, on_event=self._queue)
        self.agents = AgentBoard()
        self.link: AsteriskLink | None = None
        self._pending: asyncio.Queue[CallEvent] = asyncio.Queue()
        self.submitted = 0
        self._link_tasks: set[asyncio.Task[None]] = set()

    def ami_settings(self) -> AmiSettings:
        pbx = self.pbx
        return AmiSettings(
            username=pbx.username,
            secret=pbx.secret,
            host=pbx.host,
            port=pbx.port,
            action_timeout=pbx.action_timeout,
            ping_interval=pbx.ping_interval,
            ping_timeout=min(5.0, pbx.ping_interval),
        )

    async def start(self) -> None:
        self.ctx.spawn("ami", self._read)

    @property
    def connected(self) -> bool:
        link = self.link
        return link is not None and link.client.ready

    def link_up(self) -> bool:
        return self.connected

    def action_timeout(self) -> float:
        return self.pbx.action_timeout

    # -- inbound ------------------------------------------------------------------------------

    def _queue(self, event: CallEvent) -> None:
        recording = event.meta.get("recording")
        url = self.pbx.recording_url(recording if isinstance(recording, str) else None)
        if url is not None:
            event = dataclasses.replace(event, meta={**event.meta, "recording_url": url})
        self._pending.put_nowait(event)

    async def _read(self) -> None:
        """The leased reader: the AMI link (reconnecting with backoff by itself) and the pump
        that hands its events to the hub."""
        link = AsteriskLink(
            self.ami_settings(),
            self.tracker,
            self.agents,
            on_linked=self._linked,
            on_link=self.ctx.link_changed,
        )
        self.link = link
        pump = asyncio.create_task(self._pump())
        try:
            await link.run()
        finally:
            self.link = None
            for task in list(self._link_tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await link.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pending.join(), FLUSH_TIMEOUT_S)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    def _linked(self) -> None:
        task = asyncio.create_task(self._after_link())
        self._link_tasks.add(task)
        task.add_done_callback(self._link_tasks.discard)

    async def _after_link(self) -> None:
        """Asterisk kept its state across our reconnect, but the hub's may have moved on
        (an operator went away meanwhile): the hub re-applies it now that actions can be
        sent."""
        try:
            await self.ctx.linked()
        except Exception:
            self.ctx.log.exception("bringing the PBX in step after (re)connecting failed")

    async def _pump(self) -> None:
        while True:
            event = await self._pending.get()
            try:
                await self._submit(event)
            finally:
                self._pending.task_done()

    async def _submit(self, event: CallEvent) -> None:
        failures = 0
        while True:
            try:
                await self.ctx.submit(event)
                self.submitted += 1
                return
            except Exception:
                # The hub could not store it (database away): keep the order, try again.
                failures += 1
                delay = backoff_delay(failures, 0.5, 30.0)
                self.ctx.log.exception(
                    "call event %s not stored (%d); retrying in %.1fs",
                    event.external_id,
                    failures,
                    delay,
                )
                await asyncio.sleep(delay)

    # -- call control -------------------------------------------------------------------------

    def _live_link(self) -> AsteriskLink:
        link = self.link
        if link is None or not link.client.ready:
            raise AmiNotConnected(
                f"asterisk {self.ctx.channel_name}: this node has no AMI connection to the PBX"
            )
        return link

    def _extension(self, extension: str) -> str:
        if not self.tracker.layout.extension_re.match(extension):
            raise ValueError(f"{extension!r} is not an extension of this PBX")
        return extension

    async def originate(self, extension: str, number: str) -> Frame:
        """Click-to-call: ring the operator's phone, then dial `number` from it. Returns once
        Asterisk has queued it; the call itself then arrives as events."""
        if not _DIALLABLE.match(number):
            raise ValueError(f"{number!r} cannot be dialled")
        channel = self.pbx.phone_channel.format(extension=self._extension(extension))
        return await self._live_link().originate(
            channel=channel, exten=number, context=self.pbx.originate_context, caller_id=number
        )

    async def transfer(
        self,
        call_id: str,
        target: str,
        *,
        attended: bool = False,
        operator_extension: str | None = None,
    ) -> Frame:
        """Blind: Redirect the client's leg to `target`. Attended: Atxfer from the operator's
        phone (the operator talks to `target` first, then hangs up to complete it).
        `call_id` is the call's Linkedid."""
        if not _DIALLABLE.match(target):
            raise ValueError(f"{target!r} cannot be dialled")
        link = self._live_link()
        call = self.tracker.calls.get(call_id)
        if call is None:
            raise CallNotLive(f"call {call_id} is not in progress on this PBX")
        context = self.pbx.context_for_transfer
        if attended:
            leg = _operator_leg(call, operator_extension)
            return await link.atxfer(channel=leg.name, exten=target, context=context)
        leg = _client_leg(call, operator_extension)
        return await link.redirect(channel=leg.name, exten=target, context=context)

    async def pause(
        self, extension: str, paused: bool, *, queue: str | None = None, reason: str | None = None
    ) -> list[Frame]:
        """QueuePause the operator in every queue the PBX lists them in (or in `queue`); when
        it has listed none, the configured interface in all queues at once."""
        self._extension(extension)
        link = self._live_link()
        members = sorted(
            (state.queue, state.interface)
            for state in self.agents.members.values()
            if state.extension == extension and (queue is None or state.queue == queue)
        )
        targets: list[tuple[str | None, str]] = list(members) or [
            (queue, self.pbx.queue_interface.format(extension=extension))
        ]
        return [
            await link.queue_pause(interface=interface, paused=paused, queue=name, reason=reason)
            for name, interface in targets
        ]

    def queue_pause_states(self, extension: str) -> list[bool]:
        return [s.paused for s in self.agents.members.values() if s.extension == extension]


def _parties(call: LiveCall) -> list[Leg]:
    legs = [leg for leg in call.legs.values() if leg.kind != "helper"]
    # The origin first, then the others in the order they appeared.
    return sorted(legs, key=lambda leg: (leg is not call.origin, leg.created_at))


def _operator_leg(call: LiveCall, extension: str | None) -> Leg:
    phones = [leg for leg in _parties(call) if leg.kind == "phone"]
    for wanted in (extension, call.transferred_to, call.answered_by):
        for leg in phones:
            if wanted and leg.extension == wanted:
                return leg
    raise CallNotLive(f"no operator phone is on call {call.linkedid}")


def _client_leg(call: LiveCall, extension: str | None) -> Leg:
    parties = _parties(call)
    outside = [leg for leg in parties if leg.kind == "trunk"]
    # An internal call has no outside party: the other phone is the one moved.
    others = [leg for leg in parties if leg.extension is None or leg.extension != extension]
    if outside:
        return outside[0]
    if others and extension is not None:
        return others[0]
    raise CallNotLive(f"call {call.linkedid} has no party to transfer")
