"""CallTracker: AMI events in, finished `Call` records and live `CallEvent`s out.

A pure state machine (no I/O, no clock of its own): every event comes with the instant it
happened, taken from the event's own Timestamp header when Asterisk sends one
(timestampevents=yes) and otherwise from the moment it was received. Events are grouped by
Linkedid; helper Local legs are followed (they say who answered) but are never parties.
Garbage, unknown events and events for channels never seen are counted, logged and skipped.
See `model` for the definitions of direction, answer, wait and talk.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable

from .channels import (
    PbxLayout,
    classify,
    dialled_number,
    file_basename,
    known_number,
    member_extension,
)
from .ledger import CallLedger, CallSink, EventSink, Frame
from .model import LiveCall
from .resync import apply_snapshot

log = logging.getLogger(__name__)

# Events Asterisk sends that the call model has no use for (dialplan steps, device states,
# bridges, CDRs...): skipped without a word. Anything else unknown is logged once.
IGNORED_EVENTS = frozenset(
    """
    Newexten Newstate Cdr CEL DeviceStateChange ExtensionStatus NewConnectedLine NewCallerid
    NewAccountCode DialState HangupRequest SoftHangupRequest HangupHandlerPush HangupHandlerRun
    HangupHandlerPop BridgeCreate BridgeDestroy BridgeEnter BridgeLeave BridgeMerge
    BridgeInfoChannel BridgeVideoSourceUpdate LocalBridge LocalOptimizationBegin
    LocalOptimizationEnd MusicOnHoldStart MusicOnHoldStop Hold Unhold DTMFBegin DTMFEnd
    MixMonitorStart MixMonitorStop MixMonitorMute FullyBooted SuccessfulAuth ChallengeSent
    ChallengeResponseFailed InvalidPassword AgentCalled AgentRingNoAnswer AgentDump
    QueueMemberStatus QueueMemberPause QueueMemberAdded QueueMemberRemoved QueueMemberPenalty
    QueueMemberRinginuse QueueParams QueueMember QueueStatusComplete PeerStatus ContactStatus
    Registry Reload RTCPSent RTCPReceived UserEvent Pickup ChanSpyStart ChanSpyStop Shutdown
    """.split()
)


# The PBX's own clock is kept when it is a time at all: a finite number of seconds that a
# date can hold (1970 up to the year 9999). Anything else ("nan", 1e20 from a broken
# module) is the moment Okno received the frame, never a crash of the call model.
_LATEST_TIMESTAMP = 253_402_300_799.0


def event_time(frame: Frame, received_at: float) -> float:
    stamp = frame.get("Timestamp")
    if stamp:
        try:
            value = float(stamp)
        except ValueError:
            return received_at
        if math.isfinite(value) and 0.0 <= value <= _LATEST_TIMESTAMP:
            return value
    return received_at


class CallTracker(CallLedger):
    def __init__(
        self,
        layout: PbxLayout | None = None,
        *,
        channel_name: str = "asterisk",
        on_event: EventSink | None = None,
        on_call: CallSink | None = None,
        finished_memory: int = 4096,
    ) -> None:
        super().__init__(
            layout,
            channel_name=channel_name,
            on_event=on_event,
            on_call=on_call,
            finished_memory=finished_memory,
        )
        self._unknown_names: set[str] = set()
        # Events carry Asterisk's own Timestamp (timestampevents=yes): the call's instants are
        # on the PBX's clock, so a reply without one cannot be placed among them.
        self.pbx_clock = False
        # CoreShowChannel items of a resync reply, by ActionID, until its ...Complete event.
        self._listing: dict[str, list[Frame]] = {}
        self._handlers: dict[str, Callable[[Frame, float], None]] = {
            "Newchannel": self._newchannel,
            "DialBegin": self._dial_begin,
            "DialEnd": self._dial_end,
            "Hangup": self._hangup,
            "QueueCallerJoin": self._queue_join,
            "QueueCallerLeave": self._queue_leave,
            "QueueCallerAbandon": self._queue_abandon,
            "AgentConnect": self._agent_connect,
            "AgentComplete": self._agent_complete,
            "BlindTransfer": self._blind_transfer,
            "AttendedTransfer": self._attended_transfer,
            "VarSet": self._varset,
            "OriginateResponse": self._originate_response,
            "Rename": self._rename,
            "CoreShowChannel": self._list_item,
            "CoreShowChannelsComplete": self._list_complete,
            "QueueEntry": self._queue_entry,
        }

    def feed(self, frame: Frame, received_at: float) -> None:
        name = frame.get("Event")
        if name is None:
            return
        when = event_time(frame, received_at)
        if "Timestamp" in frame:
            self.pbx_clock = True
        self.heard(when)
        handler = self._handlers.get(name)
        if handler is None:
            if name in IGNORED_EVENTS:
                self.stats.ignored += 1
            else:
                self.stats.unknown += 1
                if name not in self._unknown_names and len(self._unknown_names) < 256:
                    self._unknown_names.add(name)
                    log.info("AMI event %s is not used by the call model: skipped", name)
            return
        try:
            handler(frame, when)
        except (KeyError, ValueError) as exc:
            self.stats.malformed += 1
            log.warning("AMI %s event without usable %s: skipped", name, exc)
            return
        self.stats.applied += 1

    def resync(self, channels: Iterable[Frame], queues: Iterable[Frame] = (), *, at: float) -> None:
        """Apply a CoreShowChannels (+ QueueStatus) reply taken after a (re)connect.

        The live link does not call this: it lets the reply's items through the event stream
        (`_list_item` / `_list_complete`), so the snapshot lands exactly between the events
        Asterisk sent before it and those after it."""
        apply_snapshot(self, list(channels), list(queues), at)

    def _list_item(self, frame: Frame, at: float) -> None:
        self._listing.setdefault(frame.get("ActionID", ""), []).append(frame)

    def _list_complete(self, frame: Frame, at: float) -> None:
        items = self._listing.pop(frame.get("ActionID", ""), [])
        # A list cut short by a lost connection is never completed: forget it.
        self._listing.clear()
        apply_snapshot(self, items, [], at)

    def _queue_entry(self, frame: Frame, at: float) -> None:
        call = self._call_of(frame)
        if call is not None and not call.answered:
            call.queue = frame.get("Queue") or call.queue
            call.in_queue = True

    def _newchannel(self, frame: Frame, at: float) -> None:
        uniqueid, name = frame["Uniqueid"], frame["Channel"]
        if uniqueid in self.legs:
            return
        linkedid = frame.get("Linkedid") or uniqueid
        call = self.calls.get(linkedid) or self.new_call(linkedid, at)
        leg = self.add_leg(call, name, uniqueid, at)
        if leg is call.origin:
            if leg.kind == "trunk":
                call.caller = known_number(frame.get("CallerIDNum"))
                call.callee = known_number(frame.get("Exten"))
            else:
                call.caller = leg.extension
                # Only the PBX itself creates a phone leg in state Down: an Originate.
                call.originated = frame.get("ChannelState") == "0"
                if not call.originated:
                    call.callee = known_number(frame.get("Exten"))

    def _dial_begin(self, frame: Frame, at: float) -> None:
        dest = self.leg(frame.get("DestUniqueid"), frame.get("DestChannel"))
        call = self.calls.get(dest.linkedid) if dest else None
        if dest is None or call is None:
            self._orphan(frame, f"channel {frame.get('DestChannel')}")
            return
        # An Originate's own dial of the agent phone has no source channel.
        source = self.leg(frame.get("Uniqueid"), frame.get("Channel"))
        redialled = call.answered and source is not None and source is call.origin
        if dest.kind == "phone":
            self.ring(call, dest, at)
            if redialled and dest.extension not in (call.answered_by, call.transferred_to):
                # The caller left the agent and now dials someone else: a Redirect, which
                # Asterisk reports with no transfer event.
                self.set_transfer(call, dest.extension, "redirect", at)
        elif dest.kind == "trunk":
            number = dialled_number(frame.get("DialString", ""))
            origin = call.origin
            if origin is not None and origin.kind == "phone" and not call.answered:
                call.far_dial_at = call.far_dial_at or at
                call.callee = number or call.callee
            elif redialled and number != call.transferred_to:
                self.set_transfer(call, number, "redirect", at)

    def _dial_end(self, frame: Frame, at: float) -> None:
        dest = self.leg(frame.get("DestUniqueid"), frame.get("DestChannel"))
        call = self.calls.get(dest.linkedid) if dest else None
        if dest is None or call is None:
            self._orphan(frame, f"channel {frame.get('DestChannel')}")
            return
        source = self.leg(frame.get("Uniqueid"), frame.get("Channel"))
        status = frame.get("DialStatus", "")
        if status != "ANSWER":
            if source is call.origin and not call.answered and dest.kind != "helper":
                call.far_status = status
            return
        if dest.kind == "phone" and source is not None and source.local_base:
            call.local_answers[source.local_base] = dest.extension or ""
        # A queue call is answered by AgentConnect only: agent-side answers can lose a race.
        origin = call.origin
        if call.answered or call.in_queue or origin is None or source is not origin:
            return
        if dest.kind == "phone":
            self.answer(call, at, dest.extension, estimated=False)
        elif dest.kind == "helper":
            extension = call.local_answers.get(dest.local_base or "")
            if extension:
                self.answer(call, at, extension, estimated=False)
        else:
            self.answer(call, at, origin.extension, estimated=False)

    def _hangup(self, frame: Frame, at: float) -> None:
        leg = self.leg(frame.get("Uniqueid"), frame.get("Channel"))
        if leg is None:
            self._orphan(frame, f"channel {frame.get('Channel')}")
            return
        self.drop_leg(leg, at, frame.get("Cause"))

    def _queue_join(self, frame: Frame, at: float) -> None:
        call = self._call_of(frame)
        if call is None:
            self._orphan(frame, f"channel {frame.get('Channel')}")
            return
        call.queue = frame.get("Queue") or call.queue
        call.in_queue = True

    def _queue_leave(self, frame: Frame, at: float) -> None:
        call = self._call_of(frame)
        if call is not None:
            call.in_queue = False

    def _queue_abandon(self, frame: Frame, at: float) -> None:
        call = self._call_of(frame)
        if call is None:
            self._orphan(frame, f"channel {frame.get('Channel')}")
            return
        call.abandoned = True
        call.in_queue = False

    def _member(self, call: LiveCall, frame: Frame) -> str | None:
        extension = member_extension(frame.get("Interface", ""))
        if extension is None:
            base = classify(frame.get("DestChannel", ""), self.layout).local_base
            extension = call.local_answers.get(base or "")
        return extension

    def _agent_connect(self, frame: Frame, at: float) -> None:
        call = self._call_of(frame)
        if call is None:
            self._orphan(frame, f"call {frame.get('Linkedid') or frame.get('DestLinkedid')}")
            return
        call.queue = frame.get("Queue") or call.queue
        if not call.answered:
            self.answer(call, at, self._member(call, frame), estimated=False)

    def _agent_complete(self, frame: Frame, at: float) -> None:
        call = self._call_of(frame)
        if call is None:
            self._orphan(frame, f"call {frame.get('Linkedid') or frame.get('DestLinkedid')}")
            return
        talk = frame.get("TalkTime", "")
        if not talk.isdigit():
            return
        # The AgentConnect was lost in a reconnect gap: this tells when the agent answered.
        if not call.answered:
            self.answer(call, at - int(talk), self._member(call, frame), estimated=False)
        elif call.answer_estimated:
            call.answered_at = at - int(talk)
            call.answer_estimated = False

    def _transferred_call(self, frame: Frame, transferer_key: str) -> LiveCall | None:
        """The call a successful transfer event is about (by either side's Linkedid)."""
        if frame.get("Result") != "Success":
            return None
        call = self.calls.get(frame.get("TransfereeLinkedid") or "") or self.calls.get(
            frame.get(transferer_key) or ""
        )
        if call is None:
            self._orphan(frame, "a transferee")
        return call

    def _blind_transfer(self, frame: Frame, at: float) -> None:
        call = self._transferred_call(frame, "TransfererLinkedid")
        if call is None:
            return
        self.set_transfer(call, known_number(frame.get("Extension")), "blind", at)

    def _attended_transfer(self, frame: Frame, at: float) -> None:
        call = self._transferred_call(frame, "OrigTransfererLinkedid")
        if call is None:
            return
        target = self.leg(frame.get("TransferTargetUniqueid"), frame.get("TransferTargetChannel"))
        if target is not None and target.kind == "phone":
            extension = target.extension
        else:
            # Reached through a Local helper (Local/102@from-internal): its Exten is the target.
            extension = known_number(frame.get("TransferTargetExten"))
        self.set_transfer(call, extension, "attended", at)

    def _varset(self, frame: Frame, at: float) -> None:
        if frame.get("Variable") != self.layout.recording_variable:
            return
        call = self._call_of(frame)
        if call is not None:
            call.recording = file_basename(frame.get("Value", "")) or call.recording

    def _originate_response(self, frame: Frame, at: float) -> None:
        leg = self.leg(frame.get("Uniqueid"), frame.get("Channel"))
        call = self.calls.get(leg.linkedid) if leg else None
        if call is None:
            return  # The originate failed before any channel existed: there is no call.
        if frame.get("Response") == "Failure":
            call.originate_failed = True
        call.callee = call.callee or known_number(frame.get("Exten"))

    def _rename(self, frame: Frame, at: float) -> None:
        leg = self.leg(frame.get("Uniqueid"), frame.get("Channel"))
        new_name = frame.get("Newname")
        if leg is None or not new_name:
            return
        self._by_name.pop(leg.name, None)
        leg.name = new_name
        self._by_name[new_name] = leg
