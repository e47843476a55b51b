"""Typed events: their payloads (what clients and event_log store) and their rebuilding from
envelopes. Every payload below is written out by hand: it is the wire shape."""

from __future__ import annotations

from typing import Any

import pytest

from hub.events import (
    AbsenceChanged,
    ActivityChanged,
    Audience,
    CallChanged,
    CallRinging,
    ChannelChanged,
    ContactChanged,
    ConversationChanged,
    ConversationRead,
    DealChanged,
    Envelope,
    Event,
    MalformedEnvelope,
    MessageCreated,
    MessageUpdated,
    OrganisationChanged,
    PersonalDataHandled,
    PresenceChanged,
    QueueAlert,
    ReminderDue,
    RobotNotice,
    RobotRuleChanged,
    SlaBreached,
    TeamsOrCalendarChanged,
)
from hub.models import Role

AUDIENCE = Audience(users=frozenset({4}), roles=frozenset({Role.supervisor}))
MESSAGE = {"id": 9, "direction": "out", "text": "Здравствуйте", "meta": {}}
CALL = {"id": 3, "caller": "+79001234567", "status": "ringing"}

# (event as an action emits it, kind, payload as it goes on the wire)
CASES: list[tuple[Event, str, dict[str, Any]]] = [
    (
        ConversationChanged(
            audience=AUDIENCE, conversation={"id": 1, "status": "open"}, change="closed", reason=""
        ),
        "conversation.changed",
        {"conversation": {"id": 1, "status": "open"}, "change": "closed", "reason": ""},
    ),
    (
        MessageCreated(audience=AUDIENCE, conversation_id=1, message=MESSAGE),
        "message.created",
        {"conversation_id": 1, "message": MESSAGE},
    ),
    (
        MessageUpdated(audience=AUDIENCE, conversation_id=2, message=MESSAGE),
        "message.updated",
        {"conversation_id": 2, "message": MESSAGE},
    ),
    (
        PresenceChanged(audience=AUDIENCE, user_id=4, presence="away"),
        "presence.changed",
        {"user_id": 4, "presence": "away"},
    ),
    (
        QueueAlert(audience=AUDIENCE, conversation_id=5, team_id=None, waited_s=301),
        "queue.alert",
        {"conversation_id": 5, "team_id": None, "waited_s": 301},
    ),
    (
        CallRinging(
            audience=AUDIENCE, call=CALL, extension="101", user_id=4, card={"name": "Анна"}
        ),
        "call.ringing",
        {"call": CALL, "extension": "101", "user_id": 4, "card": {"name": "Анна"}},
    ),
    (
        CallRinging(audience=AUDIENCE, call=CALL, extension="102", user_id=None, card=None),
        "call.ringing",
        {"call": CALL, "extension": "102", "user_id": None, "card": None},
    ),
    (
        CallChanged(audience=AUDIENCE, call=CALL, change="answered"),
        "call.changed",
        {"call": CALL, "change": "answered"},
    ),
    (
        ChannelChanged(
            audience=AUDIENCE, channel={"id": 7, "kind": "vk"}, enabled=False, origin="node-a"
        ),
        "channel.changed",
        {"channel": {"id": 7, "kind": "vk"}, "enabled": False, "origin": "node-a"},
    ),
    (
        TeamsOrCalendarChanged(audience=AUDIENCE, what="calendar", origin="node-b"),
        "teams_or_calendar.changed",
        {"what": "calendar", "origin": "node-b"},
    ),
    (
        ConversationRead(audience=AUDIENCE, conversation_id=1, by="client", up_to=12),
        "conversation.read",
        {"conversation_id": 1, "by": "client", "up_to": 12},
    ),
    (
        ContactChanged(audience=AUDIENCE, contact_id=3, version=2, change="updated"),
        "contact.changed",
        {"contact_id": 3, "version": 2, "change": "updated"},
    ),
    (
        OrganisationChanged(audience=AUDIENCE, organisation_id=8, version=1, change="created"),
        "organisation.changed",
        {"organisation_id": 8, "version": 1, "change": "created"},
    ),
    (
        DealChanged(
            audience=AUDIENCE, deal={"id": 9, "stage_id": 4}, change="moved", from_stage_id=3
        ),
        "deal.changed",
        {"deal": {"id": 9, "stage_id": 4}, "change": "moved", "from_stage_id": 3},
    ),
    (
        RobotNotice(
            audience=AUDIENCE,
            rule_id=2,
            rule_name="Зависшая сделка",
            object_type="deal",
            object_id=9,
            text="Сделка «Поставка» зависла",
        ),
        "robot.notice",
        {
            "rule_id": 2,
            "rule_name": "Зависшая сделка",
            "object_type": "deal",
            "object_id": 9,
            "text": "Сделка «Поставка» зависла",
        },
    ),
    (
        PersonalDataHandled(
            audience=AUDIENCE,
            contact_id=7,
            action="erased",
            by_user_id=1,
            counts={"identities": 2, "messages": 5, "files": 1},
        ),
        "personal_data.handled",
        {
            "contact_id": 7,
            "action": "erased",
            "by_user_id": 1,
            "counts": {"identities": 2, "messages": 5, "files": 1},
        },
    ),
    (
        AbsenceChanged(audience=AUDIENCE, absence={"id": 3, "kind": "vacation"}, change="created"),
        "absence.changed",
        {"absence": {"id": 3, "kind": "vacation"}, "change": "created"},
    ),
    (
        ActivityChanged(audience=AUDIENCE, activity={"id": 5, "status": "done"}, change="done"),
        "activity.changed",
        {"activity": {"id": 5, "status": "done"}, "change": "done"},
    ),
    (
        ReminderDue(
            audience=AUDIENCE,
            activity={"id": 5},
            remind_at="2026-06-15T09:05:00+00:00",
            late=True,
        ),
        "reminder.due",
        {"activity": {"id": 5}, "remind_at": "2026-06-15T09:05:00+00:00", "late": True},
    ),
    (
        RobotRuleChanged(audience=AUDIENCE, rule_id=6, change="enabled"),
        "robot.rule_changed",
        {"rule_id": 6, "change": "enabled"},
    ),
    (
        SlaBreached(
            audience=AUDIENCE,
            conversation_id=7,
            breach_id=8,
            measure="first_response",
            policy_id=2,
            target_s=600,
            due_at="2026-06-15T09:10:00+00:00",
            team_id=None,
            channel_id=1,
        ),
        "sla.breached",
        {
            "conversation_id": 7,
            "breach_id": 8,
            "measure": "first_response",
            "policy_id": 2,
            "target_s": 600,
            "due_at": "2026-06-15T09:10:00+00:00",
            "team_id": None,
            "channel_id": 1,
        },
    ),
]


def test_every_event_class_has_a_case() -> None:
    assert {type(event) for event, _, _ in CASES} == set(Event.__subclasses__())


@pytest.mark.parametrize(("event", "kind", "payload"), CASES, ids=[c[1] for c in CASES])
def test_payload_is_the_wire_shape_in_its_key_order(
    event: Event, kind: str, payload: dict[str, Any]
) -> None:
    assert event.kind == kind
    assert event.payload() == payload
    assert list(event.payload()) == list(payload)


@pytest.mark.parametrize(("event", "kind", "payload"), CASES, ids=[c[1] for c in CASES])
def test_an_envelope_gives_back_its_typed_event_with_the_cursor(
    event: Event, kind: str, payload: dict[str, Any]
) -> None:
    rebuilt = Event.from_envelope(Envelope(41, kind, payload, AUDIENCE))
    assert type(rebuilt) is type(event)
    assert rebuilt.cursor == 41 and event.cursor is None
    assert rebuilt.audience == AUDIENCE
    assert rebuilt.payload() == payload
    assert type(event).from_envelope(Envelope(41, kind, payload, AUDIENCE)) == rebuilt


def test_the_fields_are_typed_after_rebuilding() -> None:
    event = PresenceChanged.from_envelope(
        Envelope(3, "presence.changed", {"user_id": 8, "presence": "online"}, Audience())
    )
    assert (event.user_id, event.presence, event.cursor) == (8, "online", 3)


def test_a_required_field_cannot_be_left_out() -> None:
    with pytest.raises(TypeError, match="presence"):
        PresenceChanged(audience=AUDIENCE, user_id=4)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="conversation_id"):
        MessageCreated(audience=AUDIENCE, message=MESSAGE)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="audience"):
        QueueAlert(conversation_id=5, team_id=None, waited_s=1)  # type: ignore[call-arg]


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        PresenceChanged(AUDIENCE, None, 4, "away")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("typing", {"conversation_id": 1, "by": "agent"}),  # a transient signal: no class
        ("presence.changed", {"user_id": 4}),  # a field missing
        ("presence.changed", {"user_id": "4", "presence": "away"}),  # a str for an int
        ("queue.alert", {"conversation_id": 5, "team_id": None, "waited_s": True}),  # a bool
        ("message.created", {"conversation_id": 1, "message": "hello"}),  # not a mapping
        ("queue.alert", {"conversation_id": 5, "team_id": "x", "waited_s": 3}),  # not int|None
    ],
)
def test_an_envelope_that_does_not_fit_is_refused(kind: str, payload: dict[str, Any]) -> None:
    with pytest.raises(MalformedEnvelope):
        Event.from_envelope(Envelope(1, kind, payload, AUDIENCE))


def test_a_subclass_rebuilds_only_its_own_kind() -> None:
    envelope = Envelope(1, "presence.changed", {"user_id": 4, "presence": "away"}, AUDIENCE)
    with pytest.raises(MalformedEnvelope):
        MessageCreated.from_envelope(envelope)
