"""Response models: the read models' shapes (from `hub.queries`) and the API's own.

Views return these, the registry dumps them, and the OpenAPI document is generated from
them, so what is documented is what is sent. The shapes of conversations, messages and the
client card are declared once, in `hub.queries`, so the API, the websocket and the
screen-pop send the same fields.
"""

from __future__ import annotations

from typing import Any, Literal

from hub.models import Presence
from hub.queries import (
    ContactCard,
    ConversationOut,
    HistoryMessage,
    LeadListItem,
    MessageOut,
    Shape,
    Timestamp,
    UserBrief,
    UserRow,
)


class ConversationDetail(ConversationOut):
    contact: ContactCard


class Me(UserBrief):
    email: str | None
    presence: Presence
    locale: str


class Page(Shape):
    # The id to pass as before_id / after_id for the next page; null on the last page.
    next_cursor: int | None


class ConversationPage(Page):
    items: list[ConversationOut]


class MessagePage(Page):
    items: list[MessageOut]


class HistoryPage(Page):
    items: list[HistoryMessage]


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
