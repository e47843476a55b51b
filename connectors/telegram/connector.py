"""The Telegram connector: one bot per channel, updates by webhook or long polling.

Inbound: an update is parsed (updates.py), submitted, and only then acknowledged: the
webhook answers 200, the poller moves its offset. Outbound: sending.py, through aiogram.

aiogram takes seconds to import (it builds ~600 pydantic models), so it is loaded when a
Telegram channel starts, not when the registry merely lists connector kinds.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, ClassVar

from connectors.base import (
    Attachment,
    BaseConnector,
    ConnectorContext,
    ConnectorOptions,
    Delivery,
    Outbound,
    StorageUnavailable,
    WebhookRequest,
    WebhookResponse,
)
from connectors.capabilities import FetchedFile, FileFetch

from .errors import NotAnUpdate
from .options import TelegramOptions

if TYPE_CHECKING:
    from .runtime import TelegramRuntime

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 (a header name)
OK = WebhookResponse(200, b'{"ok":true}')


def _error(status: int, error_id: str, message: str) -> WebhookResponse:
    body = {"error": {"id": error_id, "message": message}}
    return WebhookResponse(status, json.dumps(body).encode())


class TelegramConnector(BaseConnector, FileFetch):
    kind: ClassVar[str] = "telegram"
    options_model: ClassVar[type[ConnectorOptions]] = TelegramOptions
    secret_fields: ClassVar[frozenset[str]] = frozenset({"token", "webhook_secret"})
    heavy_modules: ClassVar[tuple[str, ...]] = ("connectors.telegram.runtime",)

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        super().__init__(ctx, options)
        if not isinstance(options, TelegramOptions):
            raise TypeError(f"telegram needs TelegramOptions, got {type(options).__name__}")
        from .runtime import TelegramRuntime

        self.tg = options
        self.runtime: TelegramRuntime = TelegramRuntime(ctx, options)

    async def start(self) -> None:
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()

    async def send(self, outbound: Outbound) -> Delivery:
        return await self.runtime.send(outbound)

    async def send_to_staff(self, address: str, subject: str, text: str) -> Delivery:
        return await self.runtime.send_to_staff(address, subject, text)

    async def fetch_file(self, attachment: Attachment) -> FetchedFile:
        return await self.runtime.fetch_file(attachment)

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        name = self.ctx.channel_name
        if self.tg.mode != "webhook" or self.tg.webhook_secret is None:
            return _error(404, "webhook-disabled", "This bot reads updates by long polling.")
        if request.method != "POST":
            return _error(405, "method-not-allowed", "Telegram webhooks are POSTed.")
        given = request.header(SECRET_HEADER).encode()
        if not hmac.compare_digest(given, self.tg.webhook_secret.encode()):
            self.ctx.log.warning(
                "telegram %s: webhook from %s refused: wrong or missing secret token",
                name,
                request.remote,
            )
            return _error(401, "bad-secret-token", "Wrong or missing secret token.")
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            self.ctx.log.warning("telegram %s: webhook body refused: not JSON", name)
            return _error(400, "malformed-json", "The body is not valid JSON.")
        try:
            await self.runtime.process_update(data)
        except NotAnUpdate as exc:
            self.ctx.log.warning("telegram %s: webhook body refused: %s", name, exc)
            return _error(400, "not-an-update", str(exc))
        except StorageUnavailable:  # an outage, logged once by the core
            return _error(503, "unavailable", "The update could not be stored; retry.")
        except Exception:
            # Not stored, so not acknowledged: Telegram delivers it again later.
            self.ctx.log.exception("telegram %s: could not store an update", name)
            return _error(503, "unavailable", "The update could not be stored; retry.")
        return OK
