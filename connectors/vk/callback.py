"""Callback API: VK POSTs each community event to /hooks/vk/{name} and wants "ok" back.

Anything but "ok" makes VK send the event again later, so "ok" is said only once the event
is stored (or knowingly ignored); a refusal says why in plain text and stores nothing.
"""

from __future__ import annotations

import hmac
import json
import logging

from connectors.base import StorageUnavailable, WebhookRequest, WebhookResponse

from .intake import Intake
from .options import VkOptions


def _text(status: int, body: str, headers: dict[str, str] | None = None) -> WebhookResponse:
    return WebhookResponse(status, body.encode(), "text/plain", headers or {})


class CallbackEndpoint:
    def __init__(
        self, options: VkOptions, intake: Intake, log: logging.Logger, channel_name: str
    ) -> None:
        self.options = options
        self.intake = intake
        self.log = log
        self.channel_name = channel_name

    def _refuse(self, request: WebhookRequest, status: int, reason: str) -> WebhookResponse:
        self.log.warning(
            "vk %s: refused a callback from %s: %d %s",
            self.channel_name,
            request.remote,
            status,
            reason,
        )
        return _text(status, reason)

    async def handle(self, request: WebhookRequest) -> WebhookResponse:
        if self.options.mode != "callback":
            return self._refuse(request, 404, "this VK channel reads events by long poll")
        if request.method != "POST":
            return _text(405, "VK callbacks are POSTed", {"Allow": "POST"})
        try:
            event = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            return self._refuse(request, 400, f"the body is not JSON ({exc})")
        if not isinstance(event, dict):
            return self._refuse(request, 400, "the body is not a JSON object")
        if event.get("group_id") != self.options.group_id:
            return self._refuse(request, 403, f"not community {self.options.group_id}")
        if event.get("type") == "confirmation":
            self.log.info("vk %s: answered VK's address confirmation", self.channel_name)
            return _text(200, self.options.confirmation_code or "")
        if not self._secret_ok(event.get("secret")):
            return self._refuse(request, 403, "wrong secret")
        try:
            # An event VK sent that cannot be read is stored raw and answered "ok" too.
            await self.intake.take(event)
        except StorageUnavailable:  # an outage, logged once by the core
            return _text(503, "not stored; send it again")
        except Exception:
            # Not stored, so not acknowledged: VK will deliver it again.
            self.log.exception("vk %s: could not store a callback event", self.channel_name)
            return _text(503, "not stored; send it again")
        return _text(200, "ok")

    def _secret_ok(self, given: object) -> bool:
        expected = self.options.callback_secret
        if not expected or not isinstance(given, str):
            return False
        return hmac.compare_digest(given.encode(), expected.encode())
