"""The web-form connector: `/forms/{slug}` POSTs from websites -> stored client requests.

Order of checks on a POST: origin (403), rate limit (429), media type and charset (415),
body syntax (400), honeypot (a success look-alike, nothing stored), fields (422). Every
refusal is logged with the client address and nothing is submitted; the body size limit
(413) is enforced by the hub before the connector is called.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from connectors.base import (
    BaseConnector,
    ConnectorContext,
    ConnectorOptions,
    Delivery,
    InboundMessage,
    Outbound,
    Receipt,
    StorageUnavailable,
    WebhookRequest,
    WebhookResponse,
)

from . import cors
from .message import RequestFacts, to_inbound
from .options import WebformOptions
from .parsing import FORM, accepts_html, parse_body, parse_content_type
from .ratelimit import SlidingWindowLimiter, retry_after_header
from .rejection import Rejection
from .submission import is_spam, validate_submission

# How long a client should wait when storage is down before posting again.
UNAVAILABLE_RETRY_AFTER = "30"


def _json(status: int, data: Any, headers: dict[str, str]) -> WebhookResponse:
    return WebhookResponse(status, json.dumps(data).encode(), "application/json", headers)


def client_ip(request: WebhookRequest, trusted_proxy_hops: int) -> str:
    """The peer address, or the one our own proxies recorded in X-Forwarded-For.

    Each proxy appends the address it saw, so with N trusted proxies the client is the Nth
    entry from the right; anything further left was written by the client and is ignored.
    """
    if trusted_proxy_hops:
        chain = [p.strip() for p in request.header("x-forwarded-for").split(",") if p.strip()]
        if len(chain) >= trusted_proxy_hops:
            return chain[-trusted_proxy_hops]
    return request.remote or "unknown"


class WebformConnector(BaseConnector):
    kind: ClassVar[str] = "webform"
    options_model: ClassVar[type[ConnectorOptions]] = WebformOptions

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        super().__init__(ctx, options)
        if not isinstance(options, WebformOptions):
            raise TypeError(f"webform needs WebformOptions, got {type(options).__name__}")
        self.form_options = options
        self.limiter = SlidingWindowLimiter(options.rate_limit_per_minute, window=60.0)

    def error_headers(self, request: WebhookRequest) -> Mapping[str, str]:
        return cors.response_headers(self.form_options, request.header("origin"))

    def max_body_bytes(self) -> int:
        return self.form_options.max_body_bytes

    async def send(self, outbound: Outbound) -> Delivery:
        """Web-form visitors have no live channel back to them (no chat, no push).

        An operator's reply is shown on the visitor's request page, served by the UI at
        `/forms/{slug}/r/<submission token>`, which reads the conversation itself. So the
        reply is "delivered" the moment it is stored, and this reports it sent there.

        Files are not: the request page is open to whoever holds its link, and serving the
        company's files to it would be a public download. A reply with files fails with the
        reason, so the operator sends them another way (e-mail, a messenger).
        """
        if outbound.attachments:
            return Delivery(
                "failed",
                error="a web-form request page cannot show files; send them by e-mail instead",
            )
        return Delivery("sent", external_id="request-page")

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        origin = request.header("origin")
        ip = client_ip(request, self.form_options.trusted_proxy_hops)
        if request.method == "OPTIONS":
            return self._preflight(request, origin, ip)
        headers = cors.response_headers(self.form_options, origin)
        # A plain HTML <form> navigates: it wants a page (a redirect), not JSON.
        wants_page = parse_content_type(request.header("content-type"))[0] == FORM and accepts_html(
            request.header("accept")
        )
        try:
            if request.method != "POST":
                raise Rejection(
                    405,
                    "method-not-allowed",
                    "Forms accept POST only.",
                    headers={"Allow": "OPTIONS, POST"},
                )
            return await self._accept(request, origin, ip, headers, wants_page)
        except Rejection as refusal:
            self.ctx.log.warning(
                "webform %s: refused %s %s from %s: %s (%s)",
                self.ctx.channel_name,
                refusal.status,
                refusal.error_id,
                ip,
                refusal.message,
                refusal.details,
            )
            if wants_page and refusal.status == 422 and isinstance(refusal.details, dict):
                return self._back_to_form(refusal, headers)
            error = {"id": refusal.error_id, "message": refusal.message, "details": refusal.details}
            return _json(refusal.status, {"error": error}, {**headers, **refusal.headers})

    def _back_to_form(self, refusal: Rejection, headers: dict[str, str]) -> WebhookResponse:
        """A browser without script gets the hosted form again, saying what to fix (in its
        own language: the page words it), rather than a JSON error it would show raw."""
        query = urlencode({"error": refusal.error_id, "fields": ",".join(refusal.details)})
        location = f"/forms/{quote(self.ctx.channel_name, safe='')}?{query}"
        return WebhookResponse(303, b"", "text/plain", {**headers, "Location": location})

    def _origin_allowed(self, request: WebhookRequest, origin: str) -> bool:
        hosts = [request.header("host")]
        if self.form_options.trusted_proxy_hops:
            # Our proxy tells the Host the browser used, should it rewrite the header.
            hosts += [h.strip() for h in request.header("x-forwarded-host").split(",")]
        fetch_site = request.header("sec-fetch-site").strip().lower()
        return cors.origin_allowed(self.form_options, origin, hosts, fetch_site)

    def _preflight(self, request: WebhookRequest, origin: str, ip: str) -> WebhookResponse:
        if not origin:
            return WebhookResponse(204, headers={"Allow": "OPTIONS, POST"})
        if not self._origin_allowed(request, origin):
            self.ctx.log.warning(
                "webform %s: refused preflight from %s: origin %r not allowed",
                self.ctx.channel_name,
                ip,
                origin,
            )
            error = {
                "id": "origin-not-allowed",
                "message": "This site may not post to this form.",
                "details": {"origin": origin},
            }
            return _json(403, {"error": error}, {"Vary": "Origin"})
        return WebhookResponse(204, headers=cors.preflight_headers(origin))

    async def _accept(
        self,
        request: WebhookRequest,
        origin: str,
        ip: str,
        headers: dict[str, str],
        wants_page: bool,
    ) -> WebhookResponse:
        if not self._origin_allowed(request, origin):
            raise Rejection(
                403,
                "origin-not-allowed",
                "This site may not post to this form.",
                {"origin": origin},
            )
        wait = self.limiter.hit(ip)
        if wait is not None:
            raise Rejection(
                429,
                "rate-limited",
                "Too many submissions; try again shortly.",
                {"retry_after": retry_after_header(wait)},
                headers={"Retry-After": retry_after_header(wait)},
            )
        fields = parse_body(request.header("content-type"), request.body)
        if is_spam(fields):
            self.ctx.log.info(
                "webform %s: spam from %s (honeypot filled), form %r dropped",
                self.ctx.channel_name,
                ip,
                fields.get("form_id"),
            )
            return self._accepted(None, False, wants_page, headers)
        submission = validate_submission(fields, self.form_options.required_fields)
        facts = RequestFacts(
            client_ip=ip,
            user_agent=request.header("user-agent"),
            referer_header=request.header("referer"),
            received_on=datetime.now(UTC).date(),
        )
        if submission.quirks:
            # Accepted all the same (a lead is never lost over an optional field); logged so
            # whoever looks after the site can fix what it sends.
            self.ctx.log.info(
                "webform %s: from %s, fields read otherwise than sent: %s",
                self.ctx.channel_name,
                ip,
                "; ".join(
                    f"{k}: {v['note']} ({v['raw']!r:.80})" for k, v in submission.quirks.items()
                ),
            )
        item = to_inbound(submission, facts, self.ctx.channel_name, self.form_options.title)
        receipt = await self._submit(item)
        self.ctx.log.info(
            "webform %s: request %d from %s%s",
            self.ctx.channel_name,
            receipt.event_id,
            ip,
            " (repeat)" if receipt.duplicate else "",
            extra={"conversation_id": receipt.conversation_id},
        )
        return self._accepted(receipt.event_id, receipt.duplicate, wants_page, headers)

    async def _submit(self, item: InboundMessage) -> Receipt:
        try:
            return await self.ctx.submit(item)
        except Exception as exc:
            # Not stored, so not acknowledged: the visitor is told to try again. An outage
            # is logged by the core, once; anything else is ours to explain.
            if not isinstance(exc, StorageUnavailable):
                self.ctx.log.exception(
                    "webform %s: could not store a submission", self.ctx.channel_name
                )
            raise Rejection(
                503,
                "unavailable",
                "The request could not be saved; try again.",
                headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
            ) from None

    def _accepted(
        self, number: int | None, duplicate: bool, wants_page: bool, headers: dict[str, str]
    ) -> WebhookResponse:
        if wants_page:
            location = self.form_options.thank_you_url
            if location is None:
                location = f"/forms/{quote(self.ctx.channel_name, safe='')}/thanks"
                if number is not None:
                    location += f"?n={number}"
            return WebhookResponse(303, b"", "text/plain", {**headers, "Location": location})
        body = {"status": "accepted", "request_number": number, "duplicate": duplicate}
        return _json(200, body, headers)
