"""The contract between Okno's core and its connectors: value types and the Connector protocol.

Connectors know wire formats and nothing else (ARCHITECTURE rule 1): they import neither the
models nor the web framework. Webhooks reach them as a framework-neutral `WebhookRequest`;
inbound items go to the core through `ConnectorContext.submit`, which returns only after the
item is stored, so the connector may then acknowledge its source (rule 2). What a connector may
offer beyond that (call control, file fetch) is declared in `connectors.capabilities`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

IdentityKindName = Literal["phone", "email", "telegram", "vk", "web_visitor"]


@dataclass(frozen=True)
class IdentityClaim:
    """A way to reach the sender, as the source wrote it; routing normalises it."""

    kind: IdentityKindName
    value: str


@dataclass(frozen=True)
class Sender:
    name: str = ""
    identities: tuple[IdentityClaim, ...] = ()


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo | document | voice | video | audio | sticker | location | file
    name: str = ""
    mime_type: str = ""
    size: int | None = None
    # Where the channel keeps it (a Telegram file_id, a VK URL), when not carried inline.
    url: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    # Base64 of the bytes, for channels that deliver the file itself (e-mail). The hub moves
    # them into its file store before storing the event, leaving `file_id` instead.
    content_b64: str | None = None
    # The hub's stored copy (stored_files id), once the bytes are held there.
    file_id: int | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A message from a client, in any channel."""

    channel_kind: str
    channel_name: str
    # The source's own id for this delivery: the de-duplication key (rule 2).
    external_id: str
    sender: Sender
    text: str = ""
    subject: str = ""
    attachments: tuple[Attachment, ...] = ()
    # Channel extras kept with the message: UTM, page URL, reply/forward links, payloads.
    meta: Mapping[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    # The channel's id of the message itself (for edits and replies), if it has one.
    message_ref: str | None = None
    event: Literal["message"] = "message"


@dataclass(frozen=True)
class InboundEdit:
    """The client changed a message they sent earlier (`message_ref` names it)."""

    channel_kind: str
    channel_name: str
    external_id: str
    sender: Sender
    message_ref: str
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    occurred_at: datetime | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    event: Literal["edit"] = "edit"


@dataclass(frozen=True)
class ReachabilityChange:
    """The client blocked or unblocked us in this channel (bot blocked, messages denied)."""

    channel_kind: str
    channel_name: str
    external_id: str
    sender: Sender
    reachable: bool
    reason: str = ""
    occurred_at: datetime | None = None
    event: Literal["reachability"] = "reachability"


@dataclass(frozen=True)
class DeliveryReport:
    """The source tells us what became of a reply we sent: a bounce, or an echo confirming it.

    `outbox_ref` is what Okno put on the wire to recognise its own message (an e-mail
    Message-ID, a VK random_id); `status` "failed" carries the reason.
    """

    channel_kind: str
    channel_name: str
    external_id: str
    outbox_ref: str
    status: Literal["sent", "failed"]
    error: str | None = None
    occurred_at: datetime | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    event: Literal["delivery"] = "delivery"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message the channel's own side sent to a client outside Okno (a community admin
    answering in VK's interface); kept in the conversation as an outbound message.

    `message_ref` is the channel's id of the message: the hub never stores one twice and
    recognises the echo of a reply it sent itself by it.
    """

    channel_kind: str
    channel_name: str
    external_id: str
    # The client it went to.
    recipient: Sender
    message_ref: str
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    occurred_at: datetime | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    event: Literal["outgoing"] = "outgoing"


@dataclass(frozen=True)
class CallEvent:
    channel_kind: str
    channel_name: str
    external_id: str
    call_id: str
    # "transferred": the operator who answered handed the live call on and is free now.
    state: Literal["ringing", "answered", "transferred", "ended", "missed"]
    caller: str
    extension: str | None = None
    queue: str | None = None
    occurred_at: datetime | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    event: Literal["call"] = "call"


@dataclass(frozen=True)
class UnreadableInput:
    """Something the source sent that the connector cannot understand: an update type newer
    than the library, a malformed event from the source itself.

    Sources re-deliver until they get a 2xx, so refusing it would stall the channel for ever.
    It is stored raw instead (kept for a person to look at), acknowledged, and never turned
    into a message. `kind` is a short stable label (counted and logged once per kind), the
    detail goes in `reason`; `raw` is the body as received, as JSON text.
    """

    channel_kind: str
    channel_name: str
    external_id: str
    kind: str
    reason: str
    raw: str = ""
    occurred_at: datetime | None = None
    event: Literal["unreadable"] = "unreadable"


@dataclass(frozen=True)
class SenderNamed:
    """The channel has learnt the real name of a sender it could only call by a stand-in
    before (VK's users.get was unreachable when they wrote): a contact still called by
    `stand_in` gets `sender.name`; a name anybody set is kept."""

    channel_kind: str
    channel_name: str
    external_id: str
    sender: Sender
    stand_in: str
    occurred_at: datetime | None = None
    event: Literal["named"] = "named"


Inbound = (
    InboundMessage
    | InboundEdit
    | ReachabilityChange
    | DeliveryReport
    | OutgoingMessage
    | CallEvent
    | UnreadableInput
    | SenderNamed
)
INBOUND_ADAPTER: TypeAdapter[Inbound] = TypeAdapter(
    Annotated[Inbound, Field(discriminator="event")]
)


def inbound_to_json(item: Inbound) -> dict[str, Any]:
    data: dict[str, Any] = INBOUND_ADAPTER.dump_python(item, mode="json")
    return data


def inbound_from_json(data: Mapping[str, Any]) -> Inbound:
    return INBOUND_ADAPTER.validate_python(dict(data))


@dataclass(frozen=True)
class Outbound:
    """A reply to deliver: one outbox row."""

    outbox_id: int
    conversation_id: int
    text: str
    # Channel-side address of the client (chat id, e-mail, visitor token...).
    recipient: str
    author_name: str = ""
    attachments: tuple[Attachment, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    status: Literal["sent", "failed", "retry"]
    external_id: str | None = None
    error: str | None = None
    # For "retry": seconds to wait (a rate limit's retry_after, say).
    retry_after: float | None = None


@dataclass(frozen=True)
class Receipt:
    """What the core tells a connector after `submit`: stored, and under which number."""

    event_id: int
    duplicate: bool
    conversation_id: int | None = None


class StorageUnavailable(Exception):
    """`submit` could not store the item because the core's storage is away (an outage).

    Nothing was stored, so the source must be told to send it again (503, no ack). The core
    has logged the outage already, once for all of it: the connector adds no traceback.
    """


@dataclass(frozen=True)
class WebhookRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # keys lower-cased
    query: Mapping[str, str]
    body: bytes
    remote: str | None = None

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


class ConnectorOptions(BaseModel):
    """Base for each connector's option schema; unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConnectorContext(Protocol):
    """What the core gives a running connector instance."""

    channel_id: int
    channel_kind: str
    channel_name: str
    log: logging.Logger

    async def submit(self, item: Inbound) -> Receipt:
        """Store the item (once) and process it; returns when it is durably stored.
        Raises StorageUnavailable while the storage is away."""
        ...

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run a long-lived task (a poller, a listener), restarted with backoff on a crash
        and cancelled when the channel stops."""
        ...

    async def checkpoint_get(self, key: str) -> str | None:
        """A value this channel stored earlier (IMAP UIDVALIDITY:UID, a poll offset)."""
        ...

    async def checkpoint_set(self, key: str, value: str) -> None: ...

    async def linked(self) -> None:
        """The connector's long-lived link to its source is up (again): the hub brings the
        source in step with what changed while it was down (an operator who went away is
        paused in the PBX queues). A connector with such a link calls it after each
        (re)connect; others never do."""
        ...

    def link_changed(self, up: bool) -> None:
        """The long-lived link to the source (AMI socket, IMAP mailbox, Telegram or VK long
        polling) is up, or was lost and is being re-established: what the node's
        `okno_connector_link_up` gauge shows. Told on every change, never waited on."""
        ...


class Connector(Protocol):
    kind: ClassVar[str]
    options_model: ClassVar[type[ConnectorOptions]]
    # Options whose values are never echoed back by the API.
    secret_fields: ClassVar[frozenset[str]]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def max_body_bytes(self) -> int: ...

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse: ...

    async def send(self, outbound: Outbound) -> Delivery: ...


class BaseConnector:
    """Defaults for connectors that lack one side (no webhook, no listener, no sending)."""

    kind: ClassVar[str] = ""
    options_model: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    # Modules slow to import (aiogram builds hundreds of pydantic models): the runner imports
    # them in a thread before the first instance is made, so the event loop keeps serving.
    heavy_modules: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        self.ctx = ctx
        self.options = options

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def max_body_bytes(self) -> int:
        return 1024 * 1024

    def error_headers(self, request: WebhookRequest) -> Mapping[str, str]:
        """Headers for an error the hub answers on this connector's behalf (a 413), e.g.
        CORS, so a browser on another site can read why it was refused."""
        return {}

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        return WebhookResponse(404, b'{"error":{"id":"no-webhook","message":"no webhook here"}}')

    async def send(self, outbound: Outbound) -> Delivery:
        return Delivery("failed", error=f"{self.kind} channels cannot send replies")
