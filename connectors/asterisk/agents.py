"""Queue members as the PBX sees them: paused (and why), in a call, device status.

Fed by QueueMemberPause / QueueMemberStatus / QueueMemberAdded / QueueMemberRemoved events and
by the QueueMember items of a QueueStatus reply (the resync). Agent presence, not calls: a
member shows "in use" during any call of its phone, queue call or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .channels import member_extension

Frame = Mapping[str, str]

_MEMBER_EVENTS = frozenset(
    {"QueueMember", "QueueMemberStatus", "QueueMemberPause", "QueueMemberAdded"}
)


@dataclass(frozen=True)
class AgentState:
    queue: str
    interface: str
    extension: str | None
    name: str
    paused: bool
    paused_reason: str
    # AST_DEVICE_*: 1 not in use, 2 in use, 5 unavailable, 6 ringing...
    status: int | None
    in_call: bool


class AgentBoard:
    def __init__(self, on_change: Callable[[AgentState], None] | None = None) -> None:
        self.on_change = on_change
        self.members: dict[tuple[str, str], AgentState] = {}
        self._listing: dict[str, list[Frame]] = {}

    def feed(self, frame: Frame) -> None:
        event = frame.get("Event")
        if event in _MEMBER_EVENTS:
            self._update(frame)
        elif event == "QueueMemberRemoved":
            self.members.pop((frame.get("Queue", ""), _interface(frame)), None)
        if event in ("QueueParams", "QueueMember"):
            self._listing.setdefault(frame.get("ActionID", ""), []).append(frame)
        elif event == "QueueStatusComplete":
            self._prune(self._listing.pop(frame.get("ActionID", ""), []))
            self._listing.clear()

    def apply_status(self, frames: Iterable[Frame]) -> None:
        """A whole QueueStatus reply at once (the live link streams it through `feed`)."""
        frames = list(frames)
        for frame in frames:
            if frame.get("Event") == "QueueMember":
                self._update(frame)
        self._prune(frames)

    def _prune(self, listing: list[Frame]) -> None:
        # A QueueStatus reply lists every member of the queues it covers: the rest have left.
        queues = {f.get("Queue", "") for f in listing if f.get("Event") == "QueueParams"}
        listed = {
            (f.get("Queue", ""), _interface(f)) for f in listing if f.get("Event") == "QueueMember"
        }
        for key in [key for key in self.members if key[0] in queues and key not in listed]:
            del self.members[key]

    def paused(self, extension: str) -> bool:
        return any(s.paused for s in self.members.values() if s.extension == extension)

    def _update(self, frame: Frame) -> None:
        interface = _interface(frame)
        queue = frame.get("Queue", "")
        if not interface or not queue:
            return
        status = frame.get("Status", "")
        state = AgentState(
            queue=queue,
            interface=interface,
            extension=member_extension(interface),
            name=frame.get("MemberName") or frame.get("Name") or "",
            paused=frame.get("Paused") == "1",
            paused_reason=frame.get("PausedReason", ""),
            status=int(status) if status.isdigit() else None,
            in_call=frame.get("InCall") == "1",
        )
        if self.members.get((queue, interface)) != state:
            self.members[(queue, interface)] = state
            if self.on_change is not None:
                self.on_change(state)


def _interface(frame: Frame) -> str:
    # Events call it Interface; QueueStatus items call it Location.
    return frame.get("Interface") or frame.get("Location") or ""
