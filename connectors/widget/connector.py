"""The website chat widget: visitor frames -> stored client messages; replies go out live.

The websocket itself lives in the web layer (agent_ui/widget_socket.py); it calls this
connector for everything that concerns the channel: which sites may embed it, the visitor's
rate limit, and turning a visitor's message, contact details or offline request into the
`InboundMessage` the core stores once per (visitor, client_id) - so a message resent after a
reconnect is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.base import (
    BaseConnector,
    ConnectorContext,
    ConnectorOptions,
    Delivery,
    IdentityClaim,
    InboundMessage,
    Outbound,
    Receipt,
    Sender,
)
from connectors.text import visible
from connectors.webform.ratelimit import SlidingWindowLimiter

from .options import WidgetOptions
from .protocol import Contact, FrameError, Message, Offline, one_line

SUBJECT_LIMIT = 120


@dataclass(frozen=True)
class PageFacts:
    """What the socket's handshake and hello say about the visitor, beyond what they typed."""

    page_url: str = ""
    user_agent: str = ""
    client_ip: str = ""
    origin: str = ""


def external_id(visitor_id: str, client_id: object) -> str:
    return f"{visitor_id}:{client_id}"


class WidgetConnector(BaseConnector):
    kind: ClassVar[str] = "widget"
    options_model: ClassVar[type[ConnectorOptions]] = WidgetOptions

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        super().__init__(ctx, options)
        if not isinstance(options, WidgetOptions):
            raise TypeError(f"widget needs WidgetOptions, got {type(options).__name__}")
        self.widget_options = options
        self.limiter = SlidingWindowLimiter(options.messages_per_minute, window=60.0)

    def origin_allowed(self, origin: str) -> bool:
        return self.widget_options.allows_origin(origin)

    async def send(self, outbound: Outbound) -> Delivery:
        """The reply is already stored; that is what reaches the visitor.

        The visitor's socket may be held by any node: each node's widget fan-out pushes the
        stored message to the sockets of that conversation when its `message.created` event
        crosses the bus, and a visitor who is away gets it in the history on their next page
        load. So "sent" here means "published to the visitor's chat", not "seen": whether
        the visitor read it comes back separately, as the conversation's read state.
        """
        return Delivery("sent", external_id=f"widget:{outbound.outbox_id}")

    def _check(self, visitor_id: str, text: str) -> None:
        limit = self.widget_options.max_message_chars
        if len(text) > limit:
            raise FrameError(
                "too-long", f"Messages are at most {limit} characters.", {"limit": limit}
            )
        wait = self.limiter.hit(visitor_id)
        if wait is not None:
            raise FrameError(
                "rate-limited",
                "Too many messages; wait a little.",
                {"retry_after": max(1, round(wait))},
            )

    async def visitor_message(
        self,
        visitor_id: str,
        frame: Message | Contact | Offline,
        facts: PageFacts,
        *,
        name: str = "",
        thread_hint: int | None = None,
    ) -> Receipt:
        """Store what the visitor sent (once per client_id); returns after it is stored."""
        text = frame.text if isinstance(frame, Message | Offline) else ""
        self._check(visitor_id, text)
        # Only invisible characters (a zero-width space, a BOM...) is no message: refused
        # like an empty one, so the operator never gets an empty bubble; the visitor's chat
        # shows why. An offline request keeps its contact details without the blank text.
        text = visible(text)
        if isinstance(frame, Message) and not text:
            raise FrameError("empty-message", "The message is empty.")
        claims = [IdentityClaim("web_visitor", visitor_id)]
        meta: dict[str, Any] = {
            "widget_visitor": visitor_id,
            "client_id": str(frame.client_id),
            "page_url": facts.page_url[:2048],
            "user_agent": facts.user_agent[:512],
            "client_ip": facts.client_ip,
        }
        subject = ""
        if isinstance(frame, Contact | Offline):
            name = frame.name or name
            if frame.phone:
                claims.append(IdentityClaim("phone", frame.phone))
            if frame.email:
                claims.append(IdentityClaim("email", frame.email))
            meta["contact_details"] = frame.details()
        if isinstance(frame, Offline):
            meta["offline_request"] = True
            title = self.widget_options.title or self.ctx.channel_name
            subject = f"{title}: {one_line(text)}".rstrip(": ")[:SUBJECT_LIMIT]
        if thread_hint is not None:
            meta["thread_hint"] = thread_hint
        key = external_id(visitor_id, frame.client_id)
        item = InboundMessage(
            channel_kind=self.kind,
            channel_name=self.ctx.channel_name,
            external_id=key,
            sender=Sender(name=name.strip()[:200], identities=tuple(claims)),
            text=text,
            subject=subject,
            meta=meta,
            message_ref=key,
        )
        return await self.ctx.submit(item)
