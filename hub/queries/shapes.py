"""The shapes read models return, as pydantic models: the JSON of `hub.serialize`, declared.

The API documents and sends these, the websocket and the screen-pop carry their JSON dumps,
so every reader of a conversation, a message or a contact gets the same fields.
`extra="forbid"`: a field added to a shared shape in `hub.serialize` without being declared
here fails loudly (in tests) instead of drifting from the API's document.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from hub.models import ContactStatus, ConversationStatus, Direction, LeadStatus, Presence, Role

# Timestamps stay the exact ISO strings `hub.serialize.iso` makes, so the REST API and the
# websocket agree to the character; documented as date-time.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


S = TypeVar("S", bound=Shape)


def built(model: type[S], values: dict[str, Any]) -> S:
    """A `model` holding `values` as they are: every field given, each already of its type
    (typed columns, ISO strings from `iso`). What `model_construct` does, less its per-field
    loop over defaults and aliases, which costs more than reading the row when a team's
    week builds a thousand of them; the dump (`model_dump_json`) is pydantic's own."""
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


class UserBrief(Shape):
    id: int
    login: str
    name: str
    role: Role


class ContactBrief(Shape):
    id: int
    name: str
    status: ContactStatus


class ChannelBrief(Shape):
    id: int
    kind: str
    name: str
    title: str


class LastMessage(Shape):
    # The id tells the workspace whether the operator has read it (agent_read_up_to).
    id: int | None = None
    direction: Direction
    text: str


class ConversationOut(Shape):
    id: int
    status: ConversationStatus
    subject: str
    contact: ContactBrief
    channel: ChannelBrief
    assignee: UserBrief | None
    lead_id: int | None
    created_at: Timestamp
    first_assigned_at: Timestamp | None
    first_response_at: Timestamp | None
    waiting_since: Timestamp | None
    offer_expires_at: Timestamp | None
    queued_at: Timestamp | None
    wait_alerted_at: Timestamp | None
    last_message_at: Timestamp
    closed_at: Timestamp | None
    snoozed: bool = False
    snoozed_until: Timestamp | None = None
    # Tags' names, alphabetical.
    tags: list[str] = []
    # Read state: the client has seen our replies up to this message id, we theirs.
    client_read_up_to: int | None = None
    agent_read_up_to: int | None = None
    last_message: LastMessage | None
    # Robots' flags standing on it ({id, kind, label, rule_id, rule_name, raised_at}).
    flags: list[dict[str, Any]] = []


class MessageOut(Shape):
    id: int
    conversation_id: int
    direction: Direction
    text: str
    author: UserBrief | None
    meta: dict[str, Any]
    created_at: Timestamp
    edited_at: Timestamp | None


class HistoryMessage(MessageOut):
    """A message in a contact's history across conversations: says where it was written."""

    channel: ChannelBrief


class IdentityOut(Shape):
    kind: str
    value: str
    raw: str
    # The client blocked us here (bot blocked, mail bouncing): replies will fail.
    unreachable_at: Timestamp | None


class LeadOut(Shape):
    id: int
    title: str
    status: LeadStatus
    source: str
    # page_url, referrer, utm_* and the like, as the channel reported them.
    source_detail: dict[str, Any]
    responsible: UserBrief | None
    created_at: Timestamp


class LeadListItem(LeadOut):
    contact: ContactBrief


class ContactSummary(ContactBrief):
    identities: list[IdentityOut]
    responsible: UserBrief | None
    created_at: Timestamp


class UserRow(UserBrief):
    is_active: bool
    presence: Presence
    presence_at: Timestamp | None
    max_conversations: int
    open_conversations: int
    locale: str
    extension: str | None
    # His chat with the company's bot (robots' notices by Telegram), set in the user dialog.
    telegram_chat_id: str | None = None
    skills: list[str]
    team_ids: list[int]


class OrganisationOut(Shape):
    id: int
    name: str
    inn: str | None
    position: str


class PhoneOut(Shape):
    """A phone of the contact: `value` is E.164, or the raw text when it could not be parsed
    (`unparsed`: shown as written, with a way to fix it)."""

    value: str
    raw: str
    unparsed: bool


class ContactRow(ContactSummary):
    """A row of the registry; the card is this and more."""

    organisations: list[OrganisationOut]
    phones: list[PhoneOut]
    emails: list[str]
    source: str
    next_contact_at: Timestamp | None
    updated_at: Timestamp
    custom_fields: dict[str, Any]
    version: int
