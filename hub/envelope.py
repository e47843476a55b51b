"""How an event travels: who may see it (`Audience`), and the envelope that carries it on
the bus and over the websocket, with its cursor in event_log and its JSON texts. The typed
events themselves are hub/events.py."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

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


class MalformedEnvelope(ValueError):
    """An envelope that no event class can be rebuilt from (unknown kind, missing or
    mistyped payload field)."""


def sender_head(sender: str) -> str:
    """How an envelope's bus text begins when `sender` published it."""
    return f'{{"from": {json.dumps(sender)}, '


@dataclass(frozen=True)
class Envelope:
    """An event as it travels on the bus and over the websocket."""

    cursor: int
    kind: str
    payload: Mapping[str, Any]
    audience: Audience
    # The payload and the audience as JSON, when the publisher encoded them already (the
    # unit of work does, for event_log): the bus message is made of them, not encoded again.
    # Not part of what the envelope is (equality, repr).
    encoded: tuple[str, str] | None = field(default=None, compare=False, repr=False, kw_only=True)

    def to_json(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "kind": self.kind,
            "payload": dict(self.payload),
            "audience": self.audience.to_json(),
        }

    def to_json_text(self, sender: str = "") -> str:
        """`to_json` as JSON text (what the Redis bus carries); `sender`, when given, comes
        first as "from" (the publishing node knows its own messages by it, undecoded; a
        receiver takes no other notice of it)."""
        head = sender_head(sender) if sender else "{"
        if self.encoded is None:
            return head + json.dumps(self.to_json())[1:]
        payload, audience = self.encoded
        return (
            f'{head}"cursor": {int(self.cursor)}, "kind": {json.dumps(self.kind)},'
            f' "payload": {payload}, "audience": {audience}}}'
        )

    @cached_property
    def socket_frame(self) -> str:
        """The workspace socket's frame for it (agent_ui/ws.py), encoded once however many
        sockets of its audience it goes to; from the payload's text when the publisher
        encoded it already. (cached_property writes the instance's own dict, so it works on
        this frozen dataclass.)"""
        if self.encoded is not None:
            return (
                f'{{"type": "event", "cursor": {int(self.cursor)},'
                f' "kind": {json.dumps(self.kind)}, "payload": {self.encoded[0]}}}'
            )
        return json.dumps(
            {
                "type": "event",
                "cursor": self.cursor,
                "kind": self.kind,
                "payload": dict(self.payload),
            }
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Envelope:
        return cls(
            cursor=int(data["cursor"]),
            kind=str(data["kind"]),
            payload=dict(data["payload"]),
            audience=Audience.from_json(data["audience"]),
        )
