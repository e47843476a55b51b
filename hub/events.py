"""Typed events and their audience (ARCHITECTURE rule 5).

An event is published only after the transaction that caused it commits; its row in
`event_log` gives it the cursor a reconnecting client resumes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hub.models.people import Role

STAFF_ROLES = frozenset({Role.supervisor, Role.admin})
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Audience:
    """Who may see an event: named users, plus everyone holding one of the roles."""

    users: frozenset[int] = frozenset()
    roles: frozenset[Role] = frozenset()

    def allows(self, user_id: int, role: Role) -> bool:
        return user_id in self.users or role in self.roles

    def to_json(self) -> dict[str, list[Any]]:
        return {"users": sorted(self.users), "roles": sorted(r.value for r in self.roles)}

    @classmethod
    def from_json(cls, data: Mapping[str, Iterable[Any]]) -> Audience:
        return cls(
            users=frozenset(int(u) for u in data.get("users", ())),
            roles=frozenset(Role(r) for r in data.get("roles", ())),
        )


def conversation_audience(*assignee_ids: int | None) -> Audience:
    """Assigned work goes to its holders and the supervisors; queued work to every operator.

    Pass the previous assignee as well on a hand-over, so it leaves their list too.
    """
    users = frozenset(i for i in assignee_ids if i is not None)
    if assignee_ids and assignee_ids[0] is not None:
        return Audience(users=users, roles=STAFF_ROLES)
    return Audience(users=users, roles=ALL_ROLES)


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]
    audience: Audience

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class ConversationChanged(Event):
    """A conversation was opened, assigned, reopened or closed; carries its summary."""

    kind: ClassVar[str] = "conversation.changed"
    conversation: Mapping[str, Any] = field(default_factory=dict)
    change: str = "updated"
    reason: str = ""

    def payload(self) -> dict[str, Any]:
        return {
            "conversation": dict(self.conversation),
            "change": self.change,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class MessageCreated(Event):
    kind: ClassVar[str] = "message.created"
    conversation_id: int = 0
    message: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "message": dict(self.message)}


@dataclass(frozen=True)
class MessageUpdated(Event):
    """A message changed: edited by the client, or its delivery status moved."""

    kind: ClassVar[str] = "message.updated"
    conversation_id: int = 0
    message: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "message": dict(self.message)}


@dataclass(frozen=True)
class PresenceChanged(Event):
    kind: ClassVar[str] = "presence.changed"
    user_id: int = 0
    presence: str = "offline"

    def payload(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "presence": self.presence}


@dataclass(frozen=True)
class QueueAlert(Event):
    """A conversation has waited in the queue past its team's limit."""

    kind: ClassVar[str] = "queue.alert"
    conversation_id: int = 0
    team_id: int | None = None
    waited_s: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "team_id": self.team_id,
            "waited_s": self.waited_s,
        }


@dataclass(frozen=True)
class CallRinging(Event):
    """Screen-pop: an operator's phone rings; `card` is the client's card (null when the
    caller is internal or withheld). Goes to that operator (`user_id`: whose screen pops)
    and the supervisors."""

    kind: ClassVar[str] = "call.ringing"
    call: Mapping[str, Any] = field(default_factory=dict)
    extension: str = ""
    card: Mapping[str, Any] | None = None
    user_id: int | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "call": dict(self.call),
            "extension": self.extension,
            "user_id": self.user_id,
            "card": dict(self.card) if self.card is not None else None,
        }


@dataclass(frozen=True)
class CallChanged(Event):
    """A call was answered (`change` "answered") or ended ("ended"); carries the call."""

    kind: ClassVar[str] = "call.changed"
    call: Mapping[str, Any] = field(default_factory=dict)
    change: str = "updated"

    def payload(self) -> dict[str, Any]:
        return {"call": dict(self.call), "change": self.change}


@dataclass(frozen=True)
class ChannelChanged(Event):
    """A channel was created, changed, disabled or enabled (never its secrets: `channel` is
    the brief). Every node brings its connector in step; `origin` names the hub that made
    the change, which has applied it already."""

    kind: ClassVar[str] = "channel.changed"
    channel: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    origin: str = ""

    def payload(self) -> dict[str, Any]:
        return {"channel": dict(self.channel), "enabled": self.enabled, "origin": self.origin}


@dataclass(frozen=True)
class ConversationRead(Event):
    """The client ("client") or the agents ("agent") have seen the other side's messages up
    to message `up_to`; it only ever moves forward."""

    kind: ClassVar[str] = "conversation.read"
    conversation_id: int = 0
    by: str = "client"
    up_to: int = 0

    def payload(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "by": self.by, "up_to": self.up_to}


@dataclass(frozen=True)
class Envelope:
    """An event as it travels on the bus and over the websocket."""

    cursor: int
    kind: str
    payload: Mapping[str, Any]
    audience: Audience

    def to_json(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "kind": self.kind,
            "payload": dict(self.payload),
            "audience": self.audience.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Envelope:
        return cls(
            cursor=int(data["cursor"]),
            kind=str(data["kind"]),
            payload=dict(data["payload"]),
            audience=Audience.from_json(data["audience"]),
        )
