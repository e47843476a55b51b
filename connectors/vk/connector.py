"""The VK community connector: Callback API or Bots Long Poll in, messages.send out.

vk_api is synchronous, so every call it makes runs in a thread (`asyncio.to_thread`, and a
dedicated one for the long poll); the event loop never waits on VK.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar
from urllib.parse import urlsplit

import requests

from connectors.base import (
    Attachment,
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
from connectors.capabilities import FetchedFile, FileFetch, FileUnavailable

from .callback import CallbackEndpoint
from .client import FileTooLarge, VkClient
from .intake import Intake
from .longpoll import LongPoller
from .names import NameBook
from .options import VkOptions
from .outbound import Outbox
from .parsing import KIND
from .renames import NameRetry

# A callback body is one event, but one message may forward up to 100 long messages.
MAX_CALLBACK_BYTES = 4 * 1024 * 1024
# VK lets users send documents up to 200 MB; operators open (and the hub stores) far less.
MAX_FETCH_BYTES = 50 * 1024 * 1024


class VkConnector(BaseConnector, FileFetch):
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
        self.names = names
        self.name_retry = NameRetry(ctx, names, ctx.log) if names is not None else None
        self.intake = Intake(ctx, names, self.outbox, ctx.log)
        self.callback = CallbackEndpoint(options, self.intake, ctx.log, ctx.channel_name)

    async def start(self) -> None:
        if self.name_retry is not None:
            self.name_retry.start()
        if self.vk_options.mode == "longpoll":
            poller = LongPoller(self.ctx, self.client, self.intake, self.ctx.log)
            self.ctx.spawn("longpoll", poller.run)

    async def stop(self) -> None:
        if self.name_retry is not None:
            await self.name_retry.stop()

    def max_body_bytes(self) -> int:
        return MAX_CALLBACK_BYTES

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        return await self.callback.handle(request)

    async def send(self, outbound: Outbound) -> Delivery:
        return await self.outbox.deliver(outbound)

    async def fetch_file(self, attachment: Attachment) -> FetchedFile:
        """The file behind a VK URL, fetched by the server: operators on a closed company
        network may not reach VK's CDN, and their browsers never talk to VK directly."""
        url = attachment.url or ""
        if urlsplit(url).scheme not in ("http", "https"):
            raise FileUnavailable("the attachment has no downloadable address")
        try:
            data, mime = await asyncio.to_thread(self.client.download, url, MAX_FETCH_BYTES)
        except FileTooLarge as exc:
            raise FileUnavailable(str(exc)) from exc
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            raise FileUnavailable(f"VK answered {status}", temporary=status >= 500) from exc
        except requests.RequestException as exc:
            raise FileUnavailable(f"VK unreachable: {exc}", temporary=True) from exc
        return FetchedFile(data, mime or attachment.mime_type)

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
