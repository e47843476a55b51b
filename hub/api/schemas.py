"""Response models: the shapes of `hub.serialize` (and the API's own) as pydantic models.

Views return these, the registry dumps them, and the OpenAPI document is generated from
them, so what is documented is what is sent. `extra="forbid"`: a field added to a shared
shape in `hub.serialize` without being declared here fails loudly (in tests) instead of
drifting from the document.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from hub.models import ContactStatus, ConversationStatus, Direction, LeadStatus, Presence, Role

# Timestamps stay the exact ISO strings `hub.serialize.iso` makes, so the REST API and the
# websocket agree to the character; documented as date-time.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    # Read state: the client has seen our replies up to this message id, we theirs.
    client_read_up_to: int | None = None
    agent_read_up_to: int | None = None
    last_message: LastMessage | None


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


class OrganisationOut(Shape):
    id: int
    name: str
    inn: str | None
    position: str


class NamedRef(Shape):
    id: int
    name: str


class DealOut(Shape):
    id: int
    title: str
    amount: Decimal
    currency: str
    pipeline: NamedRef
    stage: NamedRef
    responsible: UserBrief | None
    stage_entered_at: Timestamp


class LeadOut(Shape):
    id: int
    title: str
    status: LeadStatus
    source: str
    # page_url, referrer, utm_* and the like, as the channel reported them.
    source_detail: dict[str, Any]
    responsible: UserBrief | None
    created_at: Timestamp


class ContactSummary(ContactBrief):
    identities: list[IdentityOut]
    responsible: UserBrief | None
    created_at: Timestamp


class ContactCard(ContactSummary):
    """Everything an operator needs about the client: ways to reach, companies, deals, leads."""

    custom_fields: dict[str, Any]
    organisations: list[OrganisationOut]
    open_deals: list[DealOut]
    leads: list[LeadOut]


class ConversationDetail(ConversationOut):
    contact: ContactCard


class LeadListItem(LeadOut):
    contact: ContactBrief


class Me(UserBrief):
    email: str | None
    presence: Presence
    locale: str


class UserRow(UserBrief):
    is_active: bool
    presence: Presence
    presence_at: Timestamp | None
    max_conversations: int
    open_conversations: int
    locale: str
    extension: str | None
    skills: list[str]
    team_ids: list[int]


class Page(Shape):
    # The id to pass as before_id / after_id for the next page; null on the last page.
    next_cursor: int | None


class ConversationPage(Page):
    items: list[ConversationOut]


class MessagePage(Page):
    items: list[MessageOut]


class HistoryPage(Page):
    items: list[HistoryMessage]


class ContactPage(Page):
    items: list[ContactSummary]


class LeadPage(Page):
    items: list[LeadListItem]


class UserList(Shape):
    items: list[UserRow]


class ChannelOut(Shape):
    """A configured channel. Secret options read "********" when set: never their value."""

    id: int
    kind: str
    name: str
    title: str
    enabled: bool
    team_id: int | None
    options: dict[str, Any]
    # Where the source posts to (Telegram webhook, VK callback, the web form); null for
    # kinds that only read (e-mail, PBX).
    webhook_url: str | None
    # On this node: "running" when its connector is started.
    status: Literal["running", "stopped"]
    created_at: Timestamp


class ChannelList(Shape):
    items: list[ChannelOut]


class ChannelKind(Shape):
    """A connector kind and what a channel of it is configured with."""

    kind: str
    # JSON Schema of the options; fields listed in secret_fields are never shown back.
    options_schema: dict[str, Any]
    secret_fields: list[str]
    has_webhook: bool


class ChannelKindList(Shape):
    items: list[ChannelKind]


class FieldError(Shape):
    field: str
    # Where the field was: body, query or path.
    location: str
    message: str
    type: str


class ErrorDetail(Shape):
    id: str
    message: str
    # invalid-input: one entry per field; otherwise what the error is about, if anything.
    details: list[FieldError] | dict[str, Any] | str | None = None


class ErrorBody(Shape):
    """Every error: a stable id to branch on, a message for people, details."""

    error: ErrorDetail
