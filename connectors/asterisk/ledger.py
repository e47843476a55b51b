"""CallLedger: the tracker's state (calls by Linkedid, legs by Uniqueid and name) and the
steps that change it and report the result; `calls.CallTracker` decides when to take them."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from connectors.base import CallEvent

from .channels import PbxLayout, classify
from .model import Call, Leg, LiveCall, TransferKind, utc

Frame = Mapping[str, str]
EventSink = Callable[[CallEvent], None]
CallSink = Callable[[Call], None]
LiveState = Literal["ringing", "answered", "transferred", "ended", "missed"]

log = logging.getLogger(__name__)


@dataclass
class TrackerStats:
    applied: int = 0
    ignored: int = 0
    unknown: int = 0
    orphans: int = 0
    malformed: int = 0


class CallLedger:
    def __init__(
        self,
        layout: PbxLayout | None = None,
        *,
        channel_name: str = "asterisk",
        on_event: EventSink | None = None,
        on_call: CallSink | None = None,
        finished_memory: int = 4096,
    ) -> None:
        self.layout = layout or PbxLayout()
        self.channel_name = channel_name
        self.on_event = on_event
        self.on_call = on_call
        self.stats = TrackerStats()
        self.calls: dict[str, LiveCall] = {}
        self.legs: dict[str, Leg] = {}
        self._by_name: dict[str, Leg] = {}
        # Recently finished Linkedids: their stragglers (AgentComplete, Cdr) are expected.
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._finished_memory = finished_memory
        # The latest instant a frame came in, and the last instant the link was known alive
        # before its latest loss (set on the loss, cleared by the snapshot after it): a call
        # gone from the snapshot was still up at `gap_from`, since its Hangup never came.
        self.heard_at: float | None = None
        self.gap_from: float | None = None

    def heard(self, at: float) -> None:
        if self.heard_at is None or at > self.heard_at:
            self.heard_at = at

    def link_lost(self) -> None:
        """The link went down: calls that end unseen before the next snapshot were up at the
        last frame heard (an event, or a reply told through `heard`)."""
        if self.gap_from is None:  # else still the same gap: no snapshot since its start
            self.gap_from = self.heard_at

    def note_transfer(self, channel: str, target: str, kind: TransferKind) -> bool:
        """The hub transferred `channel` itself (a Redirect leaves no transfer event)."""
        leg = self._by_name.get(channel)
        call = self.calls.get(leg.linkedid) if leg else None
        if call is None:
            return False
        # Now, on the clock the call's other instants are on (the PBX's Timestamps when it
        # sends them): the latest frame heard is the nearest such instant.
        self.set_transfer(call, target, kind, self.heard_at)
        return True

    def is_finished(self, linkedid: str) -> bool:
        return linkedid in self._finished

    def leg(self, uniqueid: str | None, name: str | None) -> Leg | None:
        if uniqueid:
            found = self.legs.get(uniqueid)
            if found is not None:
                return found
        return self._by_name.get(name) if name else None

    def new_call(self, linkedid: str, at: float) -> LiveCall:
        self._finished.pop(linkedid, None)
        call = LiveCall(linkedid, started_at=at)
        self.calls[linkedid] = call
        return call

    def add_leg(self, call: LiveCall, name: str, uniqueid: str, at: float) -> Leg:
        kind = classify(name, self.layout)
        leg = Leg(uniqueid, name, call.linkedid, kind.kind, kind.extension, kind.local_base, at)
        self.legs[uniqueid] = leg
        self._by_name[name] = leg
        call.legs[uniqueid] = leg
        origin_leg = call.legs.get(call.linkedid)
        if call.origin is None and leg.kind != "helper":
            # The origin is the leg whose Uniqueid is the Linkedid; when that is a helper
            # (an Originate of a Local channel), the first real party stands in for it.
            if uniqueid == call.linkedid or (origin_leg and origin_leg.kind == "helper"):
                call.origin = leg
        if leg.kind == "trunk" and leg is not call.origin:
            call.reached_trunk = True
        return leg

    def answer(self, call: LiveCall, at: float, extension: str | None, estimated: bool) -> None:
        call.answered = True
        call.answered_at = at
        call.answer_estimated = estimated
        call.answered_by = extension
        call.in_queue = False
        self._emit(call, "answered", at, extension, f"{call.linkedid}:answered")

    def ring(self, call: LiveCall, leg: Leg, at: float) -> None:
        if leg.extension is None:
            return
        if leg is not call.origin:
            call.rang_other_phone = True
        call.agents_rung.add(leg.extension)
        if leg.uniqueid not in call.rung_legs:
            call.rung_legs.add(leg.uniqueid)
            key = f"{call.linkedid}:ringing:{leg.uniqueid}"
            self._emit(call, "ringing", at, leg.extension, key)

    def set_transfer(
        self, call: LiveCall, target: str | None, kind: TransferKind, at: float | None = None
    ) -> None:
        if not target:
            return
        first = call.transferred_to is None
        call.transferred_to = target
        call.transfer_kind = kind
        when = time.time() if at is None else at
        if first:
            call.transferred_at = when
        if first and call.answered and call.answered_by:
            # The operator who answered has handed the call on: free at once, not when the
            # caller hangs up (the record's talk time still runs to the end of the call).
            direction = call.direction
            client = call.caller if direction == "inbound" else call.callee
            meta = {
                "direction": direction,
                "callee": call.callee,
                "client_number": client if direction != "internal" else None,
                "transferred_to": target,
                "transfer_kind": kind,
            }
            key = f"{call.linkedid}:transferred"
            self._emit(call, "transferred", when, call.answered_by, key, meta)

    def drop_leg(self, leg: Leg, at: float, cause: str | None, latest: float | None = None) -> None:
        """The leg hung up at `at`; or, when `latest` is given, at some unseen instant in
        [at, latest] (it vanished while the link was down)."""
        self.legs.pop(leg.uniqueid, None)
        if self._by_name.get(leg.name) is leg:
            del self._by_name[leg.name]
        call = self.calls.get(leg.linkedid)
        if call is None or call.legs.pop(leg.uniqueid, None) is None:
            return
        if leg is call.origin:
            call.origin_ended_at = at
            call.hangup_cause = int(cause) if cause and cause.isdigit() else None
        if leg.kind != "helper":
            call.last_end = at
            call.last_end_latest = latest
        if call.origin is None:
            if not call.legs:
                # Only helpers, or a call whose start was never seen: nothing to record.
                del self.calls[call.linkedid]
            return
        if call.origin_ended_at is not None and not call.parties_alive():
            self._finish(call, at)

    def _orphan(self, frame: Frame, what: str) -> None:
        self.stats.orphans += 1
        linkedid = frame.get("Linkedid") or frame.get("DestLinkedid") or ""
        level = logging.DEBUG if linkedid in self._finished else logging.INFO
        log.log(level, "AMI %s for %s never seen: skipped", frame.get("Event"), what)

    def _call_of(self, frame: Frame) -> LiveCall | None:
        for key in ("Linkedid", "DestLinkedid"):
            linkedid = frame.get(key)
            if linkedid and linkedid in self.calls:
                return self.calls[linkedid]
        leg = self.leg(frame.get("Uniqueid"), frame.get("Channel"))
        return self.calls.get(leg.linkedid) if leg else None

    # -- output -----------------------------------------------------------------------------

    def _finish(self, call: LiveCall, at: float) -> None:
        del self.calls[call.linkedid]
        for leg in call.legs.values():
            self.legs.pop(leg.uniqueid, None)
            if self._by_name.get(leg.name) is leg:
                del self._by_name[leg.name]
        self._finished[call.linkedid] = None
        while len(self._finished) > self._finished_memory:
            self._finished.popitem(last=False)
        record = call.finish(at)
        unanswered = record.outcome in ("missed", "abandoned")
        state: LiveState = "missed" if unanswered and record.direction == "inbound" else "ended"
        self._emit(
            call, state, at, record.answered_by, f"{call.linkedid}:{state}", record.as_meta()
        )
        if self.on_call is not None:
            self.on_call(record)

    def _emit(
        self,
        call: LiveCall,
        state: LiveState,
        at: float,
        extension: str | None,
        key: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        if self.on_event is None:
            return
        if meta is None:
            direction = call.direction
            client = call.caller if direction == "inbound" else call.callee
            meta = {
                "direction": direction,
                "callee": call.callee,
                "client_number": client if direction != "internal" else None,
            }
        self.on_event(
            CallEvent(
                channel_kind="asterisk",
                channel_name=self.channel_name,
                external_id=key,
                call_id=call.linkedid,
                state=state,
                caller=call.caller or "",
                extension=extension,
                queue=call.queue,
                occurred_at=utc(at),
                meta=meta,
            )
        )
