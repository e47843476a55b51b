"""Reading a resync snapshot: the CoreShowChannel list Asterisk sends on request.

After a reconnect the events of the gap are gone; what is left is the list of channels alive
now, each with its Linkedid, state, age, application and bridge. This module turns that list
into facts per call (which channels, who is connected to the origin); the tracker decides
what they change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .channels import PbxLayout, classify

UP = 6
RINGING = 5


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    uniqueid: str
    name: str
    linkedid: str
    state: int
    caller_num: str
    exten: str
    application: str
    app_data: str
    age_s: float
    bridge_id: str


def parse_age(value: str) -> float:
    """CoreShowChannel Duration: "HH:MM:SS" (or plain seconds)."""
    total = 0.0
    try:
        for part in value.split(":"):
            total = total * 60 + float(part)
    except ValueError:
        return 0.0
    return total


def read_channels(frames: Iterable[Mapping[str, str]]) -> dict[str, list[ChannelInfo]]:
    """CoreShowChannel items grouped by Linkedid; other frames of the reply are ignored."""
    calls: dict[str, list[ChannelInfo]] = defaultdict(list)
    for frame in frames:
        if frame.get("Event") != "CoreShowChannel" or not frame.get("Uniqueid"):
            continue
        uniqueid = frame["Uniqueid"]
        linkedid = frame.get("Linkedid") or uniqueid
        state = frame.get("ChannelState", "")
        calls[linkedid].append(
            ChannelInfo(
                uniqueid=uniqueid,
                name=frame.get("Channel", ""),
                linkedid=linkedid,
                state=int(state) if state.isdigit() else -1,
                caller_num=frame.get("CallerIDNum", ""),
                exten=frame.get("Exten", ""),
                application=frame.get("Application", ""),
                app_data=frame.get("ApplicationData", ""),
                age_s=parse_age(frame.get("Duration", "")),
                bridge_id=frame.get("BridgeId", ""),
            )
        )
    return dict(calls)


def queue_of(info: ChannelInfo) -> str | None:
    """The queue a channel sits in, from Application Queue(sales,t,,,60)."""
    if info.application != "Queue":
        return None
    return info.app_data.split(",", 1)[0] or None


def connected_parties(
    infos: list[ChannelInfo], origin: ChannelInfo, layout: PbxLayout
) -> list[ChannelInfo]:
    """The answered parties (phones or trunks, state Up) the origin is bridged with, directly
    or through helper Local pairs (;1 in the caller's bridge, ;2 in the phone's)."""
    by_bridge: dict[str, list[ChannelInfo]] = defaultdict(list)
    by_pair: dict[str, list[ChannelInfo]] = defaultdict(list)
    for info in infos:
        if info.bridge_id:
            by_bridge[info.bridge_id].append(info)
        base = classify(info.name, layout).local_base
        if base:
            by_pair[base].append(info)
    seen = {origin.uniqueid}
    todo = [origin]
    found: list[ChannelInfo] = []
    while todo:
        current = todo.pop()
        near = list(by_bridge.get(current.bridge_id, ())) if current.bridge_id else []
        base = classify(current.name, layout).local_base
        if base:
            near += by_pair[base]
        for other in near:
            if other.uniqueid in seen:
                continue
            seen.add(other.uniqueid)
            if classify(other.name, layout).kind == "helper":
                todo.append(other)
            elif other.state == UP:
                found.append(other)
    return found


def waiting_in_queues(frames: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """QueueStatus QueueEntry items: Uniqueid of a waiting caller -> queue."""
    return {
        frame["Uniqueid"]: frame.get("Queue", "")
        for frame in frames
        if frame.get("Event") == "QueueEntry" and frame.get("Uniqueid")
    }
