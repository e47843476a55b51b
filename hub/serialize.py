"""JSON shapes of domain objects, shared by events, the REST API and the workspace.

One definition per shape, so what the websocket pushes and what the API returns agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.models import Call, Channel, Contact, Conversation, Message, User


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_brief(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "login": user.login, "name": user.name, "role": user.role.value}


def contact_brief(contact: Contact) -> dict[str, Any]:
    return {"id": contact.id, "name": contact.name, "status": contact.status.value}


def channel_brief(channel: Channel) -> dict[str, Any]:
    return {"id": channel.id, "kind": channel.kind, "name": channel.name, "title": channel.title}


def message_json(message: Message, author: User | None = None) -> dict[str, Any]:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction.value,
        "text": message.text,
        "author": user_brief(author),
        "meta": message.meta or {},
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
    }


def conversation_json(
    conversation: Conversation,
    contact: Contact,
    channel: Channel,
    assignee: User | None,
    last_message: Message | None = None,
) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "status": conversation.status.value,
        "subject": conversation.subject,
        "contact": contact_brief(contact),
        "channel": channel_brief(channel),
        "assignee": user_brief(assignee),
        "lead_id": conversation.lead_id,
        "created_at": iso(conversation.created_at),
        "first_assigned_at": iso(conversation.first_assigned_at),
        "first_response_at": iso(conversation.first_response_at),
        "waiting_since": iso(conversation.waiting_since),
        # Offered to the assignee, who must accept (open or answer) before this.
        "offer_expires_at": iso(conversation.offer_expires_at),
        # Waiting in the team queue since (its place in line).
        "queued_at": iso(conversation.queued_at),
        # Supervisors were alerted that it waits past the team's limit.
        "wait_alerted_at": iso(conversation.wait_alerted_at),
        "last_message_at": iso(conversation.last_message_at),
        "closed_at": iso(conversation.closed_at),
        # Put aside until then (snoozed with no time: until the client writes).
        "snoozed": bool(conversation.snoozed),
        "snoozed_until": iso(conversation.snoozed_until),
        # Read state (message ids): how far the client has seen our replies, and we theirs.
        "client_read_up_to": conversation.client_read_up_to,
        "agent_read_up_to": conversation.agent_read_up_to,
        "last_message": (
            {
                "id": last_message.id,
                "direction": last_message.direction.value,
                "text": last_message.text[:200],
            }
            if last_message is not None
            else None
        ),
    }


def call_json(call: Call, contact: Contact | None, answered_by: User | None) -> dict[str, Any]:
    return {
        "id": call.id,
        "channel_id": call.channel_id,
        "linkedid": call.linkedid,
        "direction": call.direction.value,
        "caller": call.caller,
        "callee": call.callee,
        "client_number": call.client_number,
        "queue": call.queue,
        "outcome": call.outcome.value if call.outcome is not None else None,
        "answered_by": (
            {"extension": call.answered_by_extension, "user": user_brief(answered_by)}
            if call.answered_by_extension is not None or answered_by is not None
            else None
        ),
        "transferred_to": call.transferred_to,
        "transfer_kind": call.transfer_kind,
        "transferred_at": iso(call.transferred_at),
        "agents_rung": list(call.agents_rung or []),
        "wait_s": call.wait_s,
        "talk_s": call.talk_s,
        "hangup_cause": call.hangup_cause,
        "recording": call.recording,
        "recording_url": call.recording_url,
        "resynced": call.resynced,
        "started_at": iso(call.started_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "ended_not_after": iso(call.ended_not_after),
        "contact": contact_brief(contact) if contact is not None else None,
        "conversation_id": call.conversation_id,
    }
