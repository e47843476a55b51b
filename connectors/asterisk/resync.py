"""Bringing the ledger back in step with Asterisk after a (re)connect.

Events sent while the link was down are lost. The snapshot (CoreShowChannels, QueueStatus)
says which channels live now, so: legs we know that are gone hung up during the gap (their
calls may end now); channels we do not know started during the gap (their calls are adopted);
a known call found bridged to a party was answered during the gap. Calls touched this way are
marked `resynced`: their times are the best the snapshot allows. A leg gone from the snapshot
hung up somewhere between the last instant the link was heard alive and the snapshot: it is
dropped at the earliest (so talk time is never over-reported) with the latest kept, and a call
that ends this way says so (`Call.ended_not_after`). A call finished meanwhile is never
brought back, and a call seen before and after the gap stays one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .channels import classify, known_number
from .ledger import CallLedger
from .model import LiveCall
from .snapshot import (
    RINGING,
    ChannelInfo,
    connected_parties,
    queue_of,
    read_channels,
    waiting_in_queues,
)

Frame = Mapping[str, str]


def snapshot_time(frames: Sequence[Frame], default: float) -> float:
    stamps = []
    for frame in frames:
        try:
            stamps.append(float(frame["Timestamp"]))
        except (KeyError, ValueError):
            continue
    return max(stamps, default=default)


def apply_snapshot(
    ledger: CallLedger, channels: Sequence[Frame], queues: Sequence[Frame], at: float
) -> None:
    at = snapshot_time([*channels, *queues], at)
    # No loss reported (a snapshot taken offline): the last frame heard is the last sign of
    # life; nothing heard at all: the snapshot's own instant.
    alive_until = next((t for t in (ledger.gap_from, ledger.heard_at) if t is not None), at)
    ledger.gap_from = None
    by_call = read_channels(channels)
    alive = {info.uniqueid for infos in by_call.values() for info in infos}
    for leg in list(ledger.legs.values()):
        if leg.uniqueid not in alive:
            call = ledger.calls.get(leg.linkedid)
            earliest = min(at, max(alive_until, leg.created_at))
            if call is not None:
                call.resynced = True
                if leg is call.origin and call.in_queue and not call.answered:
                    # Left the queue unseen: giving up waiting is the likely story, and an
                    # answered call would still be up or would have left AgentComplete.
                    call.abandoned = True
                if call.answered_at is not None:
                    earliest = min(at, max(earliest, call.answered_at))
            ledger.drop_leg(leg, earliest, cause=None, latest=at)
    for linkedid, infos in by_call.items():
        if ledger.is_finished(linkedid):
            continue
        _adopt(ledger, linkedid, infos, at)
    for uniqueid, queue in waiting_in_queues(queues).items():
        caller_leg = ledger.legs.get(uniqueid)
        call = ledger.calls.get(caller_leg.linkedid) if caller_leg else None
        if call is not None and not call.answered:
            call.queue = queue or call.queue
            call.in_queue = True


def _adopt(ledger: CallLedger, linkedid: str, infos: list[ChannelInfo], at: float) -> None:
    fresh = [info for info in infos if info.uniqueid not in ledger.legs]
    call = ledger.calls.get(linkedid)
    if call is None:
        if not fresh:
            return
        oldest = max(info.age_s for info in infos)
        call = ledger.new_call(linkedid, at - oldest)
    if fresh:
        call.resynced = True
    # The origin first, so the others are recognised as the parties it reached.
    fresh.sort(key=lambda info: info.uniqueid != linkedid)
    for info in fresh:
        leg = ledger.add_leg(call, info.name, info.uniqueid, at - info.age_s)
        if leg is call.origin:
            call.started_at = leg.created_at
            if leg.kind == "trunk":
                call.caller = known_number(info.caller_num)
                call.callee = known_number(info.exten)
            else:
                call.caller = leg.extension
        elif leg.kind == "phone":
            call.rang_other_phone = True
            if leg.extension:
                call.agents_rung.add(leg.extension)
            if info.state == RINGING:
                ledger.ring(call, leg, at)
    origin_id = call.origin.uniqueid if call.origin else None
    origin = next((info for info in infos if info.uniqueid == origin_id), None)
    if origin is None:
        return
    call.queue = call.queue or queue_of(origin)
    if not call.answered:
        _answered_in_gap(ledger, call, infos, origin, at)


def _answered_in_gap(
    ledger: CallLedger, call: LiveCall, infos: list[ChannelInfo], origin: ChannelInfo, at: float
) -> None:
    parties = connected_parties(infos, origin, ledger.layout)
    if not parties:
        call.in_queue = queue_of(origin) is not None
        return
    names = [classify(info.name, ledger.layout) for info in parties]
    phones = [name.extension for name in names if name.kind == "phone"]
    origin_leg = call.origin
    if origin_leg is not None and origin_leg.kind == "phone" and len(phones) < len(parties):
        # A phone bridged with a trunk: the outbound call was answered by the far end.
        answered_by = origin_leg.extension
    else:
        answered_by = phones[0] if phones else None
    ledger.answer(call, at, answered_by, estimated=True)
