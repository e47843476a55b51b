"""Typed events (ARCHITECTURE rule 5); who may see them and how they travel, their
`Audience` and `Envelope`, are hub/envelope.py (imported from here as well).

An event is published only after the transaction that caused it commits; its row in
`event_log` gives it the cursor a reconnecting client resumes from. On the bus it travels as
an `Envelope`; `Event.from_envelope` gives a listener the typed event back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import UnionType
from typing import Any, ClassVar, Self, get_args, get_origin, get_type_hints

from hub.envelope import ALL_ROLES as ALL_ROLES
from hub.envelope import STAFF_ROLES as STAFF_ROLES
from hub.envelope import Audience as Audience
from hub.envelope import Envelope as Envelope
from hub.envelope import MalformedEnvelope as MalformedEnvelope
from hub.envelope import conversation_audience as conversation_audience

# Event classes by kind, filled as they are defined: how an envelope finds its type again.
_EVENT_CLASSES: dict[str, type[Event]] = {}
# Fields of the event itself, not of its payload.
_ENVELOPE_FIELDS = frozenset({"audience", "cursor"})


@dataclass(frozen=True, kw_only=True)
class Event:
    """A typed event. Its payload is its own fields (in declaration order, mappings copied),
    so `from_envelope` is the exact inverse of `payload`."""

    kind: ClassVar[str]
    audience: Audience
    # The event_log id: unknown (None) while the event is being emitted, set on an event
    # rebuilt from an envelope, so a handler can tell which logged event it is handling.
    cursor: int | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is None:
            return
        if kind in _EVENT_CLASSES:
            raise TypeError(f"two event classes for kind {kind!r}")
        _EVENT_CLASSES[kind] = cls

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name, _ in _payload_fields(type(self)):
            value = getattr(self, name)
            payload[name] = dict(value) if isinstance(value, Mapping) else value
        return payload

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> Self:
        """The typed event this envelope carries, with its cursor.

        Called on `Event` it accepts any kind; on a subclass, only that subclass's kind.
        Raises MalformedEnvelope for an unknown kind (say, a transient signal) or a payload
        that does not fit the class.
        """
        event_class = _EVENT_CLASSES.get(envelope.kind)
        if event_class is None or not issubclass(event_class, cls):
            raise MalformedEnvelope(f"no {cls.__name__} has kind {envelope.kind!r}")
        values: dict[str, Any] = {}
        for name, accepted in _payload_fields(event_class):
            if name not in envelope.payload:
                raise MalformedEnvelope(f"{envelope.kind} without {name!r}")
            value = envelope.payload[name]
            # bool is an int to isinstance, never to a field typed int.
            if not isinstance(value, accepted) or (
                isinstance(value, bool) and bool not in accepted
            ):
                raise MalformedEnvelope(f"{envelope.kind}.{name} is {type(value).__name__}")
            values[name] = value
        return event_class(audience=envelope.audience, cursor=envelope.cursor, **values)


PayloadFields = tuple[tuple[str, tuple[type, ...]], ...]
_payload_fields_of: dict[type[Event], PayloadFields] = {}


def _payload_fields(event_class: type[Event]) -> PayloadFields:
    """(name, the runtime types its annotation allows) for each payload field, in order;
    worked out once per class (after @dataclass has made its fields)."""
    found = _payload_fields_of.get(event_class)
    if found is None:
        hints = get_type_hints(event_class)
        found = tuple(
            (f.name, _runtime_types(hints[f.name]))
            for f in fields(event_class)
            if f.name not in _ENVELOPE_FIELDS
        )
        _payload_fields_of[event_class] = found
    return found


def _runtime_types(annotation: Any) -> tuple[type, ...]:
    # `int | None` -> (int, NoneType); `Mapping[str, Any]` -> (Mapping,)
    members = get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
    return tuple(get_origin(member) or member for member in members)


@dataclass(frozen=True, kw_only=True)
class ConversationChanged(Event):
    """A conversation was opened, assigned, reopened or closed; carries its summary."""

    kind: ClassVar[str] = "conversation.changed"
    conversation: Mapping[str, Any]
    change: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class MessageCreated(Event):
    kind: ClassVar[str] = "message.created"
    conversation_id: int
    message: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class MessageUpdated(Event):
    """A message changed: edited by the client, or its delivery status moved."""

    kind: ClassVar[str] = "message.updated"
    conversation_id: int
    message: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class PresenceChanged(Event):
    kind: ClassVar[str] = "presence.changed"
    user_id: int
    presence: str


@dataclass(frozen=True, kw_only=True)
class QueueAlert(Event):
    """A conversation has waited in the queue past its team's limit."""

    kind: ClassVar[str] = "queue.alert"
    conversation_id: int
    team_id: int | None
    waited_s: int


@dataclass(frozen=True, kw_only=True)
class CallRinging(Event):
    """Screen-pop: an operator's phone rings; `card` is the client's card (null when the
    caller is internal or withheld). Goes to that operator (`user_id`: whose screen pops)
    and the supervisors."""

    kind: ClassVar[str] = "call.ringing"
    call: Mapping[str, Any]
    extension: str
    user_id: int | None
    card: Mapping[str, Any] | None


@dataclass(frozen=True, kw_only=True)
class CallChanged(Event):
    """A call was answered (`change` "answered") or ended ("ended"); carries the call."""

    kind: ClassVar[str] = "call.changed"
    call: Mapping[str, Any]
    change: str


@dataclass(frozen=True, kw_only=True)
class ChannelChanged(Event):
    """A channel was created, changed, disabled or enabled (never its secrets: `channel` is
    the brief). Every node brings its connector in step; `origin` names the hub that made
    the change, which has applied it already."""

    kind: ClassVar[str] = "channel.changed"
    channel: Mapping[str, Any]
    enabled: bool
    origin: str


@dataclass(frozen=True, kw_only=True)
class TeamsOrCalendarChanged(Event):
    """A team (its settings or members) or a day of the production calendar was changed
    (`what`: "team" or "calendar"). Every node forgets the teams and calendar it keeps
    (hub/team_cache.py); nobody's workspace shows it (its audience is empty)."""

    kind: ClassVar[str] = "teams_or_calendar.changed"
    what: str
    origin: str


@dataclass(frozen=True, kw_only=True)
class RobotRuleChanged(Event):
    """A robot rule was created, changed, switched on or off. Every node's event robots keep
    the enabled rules between events and read them afresh on this."""

    kind: ClassVar[str] = "robot.rule_changed"
    rule_id: int
    change: str


@dataclass(frozen=True, kw_only=True)
class ConversationRead(Event):
    """The client ("client") or the agents ("agent") have seen the other side's messages up
    to message `up_to`; it only ever moves forward."""

    kind: ClassVar[str] = "conversation.read"
    conversation_id: int
    by: str
    up_to: int


@dataclass(frozen=True, kw_only=True)
class ContactChanged(Event):
    """A contact was created, edited, converted from a lead or merged (`change`); open cards
    and registries refetch it. The audience is whoever may see it (hub/queries/crm_access)."""

    kind: ClassVar[str] = "contact.changed"
    contact_id: int
    version: int
    change: str


@dataclass(frozen=True, kw_only=True)
class OrganisationChanged(Event):
    kind: ClassVar[str] = "organisation.changed"
    organisation_id: int
    version: int
    change: str


@dataclass(frozen=True, kw_only=True)
class DealChanged(Event):
    """A deal was created, edited or moved (`change`: "created", "updated", "moved");
    `deal` is its board card, so a board moves it without asking; `from_stage_id` is
    where a moved deal left."""

    kind: ClassVar[str] = "deal.changed"
    deal: Mapping[str, Any]
    change: str
    from_stage_id: int | None


@dataclass(frozen=True, kw_only=True)
class RobotNotice(Event):
    """A robot tells people about an object (the responsible manager, his supervisor, a
    team, a user: the audience); `text` is the rule's message with the object's values."""

    kind: ClassVar[str] = "robot.notice"
    rule_id: int
    rule_name: str
    object_type: str
    object_id: int
    text: str


@dataclass(frozen=True, kw_only=True)
class ActivityChanged(Event):
    """An activity was created, edited, done, cancelled, snoozed or rescheduled
    (`change`); `activity` is its full read model, so a «Сегодня» panel or a calendar
    updates without asking. Goes to whoever may see it (responsible, participants, creator
    and those whose CRM view covers the responsible user)."""

    kind: ClassVar[str] = "activity.changed"
    activity: Mapping[str, Any]
    change: str


@dataclass(frozen=True, kw_only=True)
class ReminderDue(Event):
    """A reminder fell due: the toast. `late` when it is delivered well after its time
    (Okno was down). Goes to the responsible user and the participating users only."""

    kind: ClassVar[str] = "reminder.due"
    activity: Mapping[str, Any]
    remind_at: str
    late: bool


@dataclass(frozen=True, kw_only=True)
class AbsenceChanged(Event):
    """Someone's absence was added, changed or removed (`change`: created | updated |
    removed); `absence` is
    its read model, so an open calendar redraws its band and a planner re-checks who is
    away. Goes to the absent user, his team mates and those whose CRM view covers him."""

    kind: ClassVar[str] = "absence.changed"
    absence: Mapping[str, Any]
    change: str


@dataclass(frozen=True, kw_only=True)
class SlaBreached(Event):
    """A conversation's SLA clock ran out (`measure`: first_response | next_response |
    resolution) at `due_at`; written with its breach row (hub.actions.sla_breaches). Goes
    to the conversation's holder (everyone while it is queued) and the supervisors."""

    kind: ClassVar[str] = "sla.breached"
    conversation_id: int
    breach_id: int
    measure: str
    policy_id: int
    target_s: int
    due_at: str
    team_id: int | None
    channel_id: int


@dataclass(frozen=True, kw_only=True)
class PersonalDataHandled(Event):
    """A contact's personal data was exported or erased (152-ФЗ requests): the audit record,
    kept in the event log for good, and a notice to the administrators."""

    kind: ClassVar[str] = "personal_data.handled"
    contact_id: int
    action: str  # exported | erased
    by_user_id: int | None
    counts: Mapping[str, int]
