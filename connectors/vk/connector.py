"""The VK community connector: Callback API or Bots Long Poll in, messages.send out.

vk_api is synchronous, so every call it makes runs in a thread (`asyncio.to_thread`, and a
dedicated one for the long poll); the event loop never waits on VK.
"""

from __future__ import annotations

from typing import ClassVar

from connectors.base import (
    BaseConnector,
    ConnectorContext,
    ConnectorOptions,
    Delivery,
    IdentityClaim,
    Outbound,
    ReachabilityChange,
    Sender,
    WebhookRequest,
    WebhookResponse,
)

from .callback import CallbackEndpoint
from .client import VkClient
from .intake import Intake
from .longpoll import LongPoller
from .names import NameBook
from .options import VkOptions
from .outbound import Outbox
from .parsing import KIND

# A callback body is one event, but one message may forward up to 100 long messages.
MAX_CALLBACK_BYTES = 4 * 1024 * 1024


class VkConnector(BaseConnector):
    kind: ClassVar[str] = KIND
    options_model: ClassVar[type[ConnectorOptions]] = VkOptions
    secret_fields: ClassVar[frozenset[str]] = frozenset({"access_token", "callback_secret"})

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        super().__init__(ctx, options)
        if not isinstance(options, VkOptions):
            raise TypeError(f"vk needs VkOptions, got {type(options).__name__}")
        self.vk_options = options
        self.client = VkClient(options)
        self.outbox = Outbox(self.client, ctx.log, self._mark_blocked)
        names = NameBook(self.client, ctx.log) if options.fetch_sender_names else None
        self.intake = Intake(ctx, names, self.outbox, ctx.log)
        self.callback = CallbackEndpoint(options, self.intake, ctx.log, ctx.channel_name)

    async def start(self) -> None:
        if self.vk_options.mode == "longpoll":
            poller = LongPoller(self.ctx, self.client, self.intake, self.ctx.log)
            self.ctx.spawn("longpoll", poller.run)

    def max_body_bytes(self) -> int:
        return MAX_CALLBACK_BYTES

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        return await self.callback.handle(request)

    async def send(self, outbound: Outbound) -> Delivery:
        return await self.outbox.deliver(outbound)

    async def _mark_blocked(self, peer_id: int, outbox_id: int, reason: str) -> None:
        """VK refused a send because the user shut us out: later replies fail at once."""
        try:
            await self.ctx.submit(
                ReachabilityChange(
                    channel_kind=KIND,
                    channel_name=self.ctx.channel_name,
                    external_id=f"send-refused:{outbox_id}",
                    sender=Sender(identities=(IdentityClaim("vk", str(peer_id)),)),
                    reachable=False,
                    reason=reason,
                )
            )
        except Exception:
            self.ctx.log.exception(
                "vk %s: could not mark %d unreachable", self.ctx.channel_name, peer_id
            )
