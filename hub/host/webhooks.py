"""Thin HTTP door for connectors: `/hooks/{kind}/{name}` and the web-form `/forms/{slug}` POST.

The body is read here with the connector's own size limit; everything else (secrets,
formats, CORS, answers) is the connector's business, in framework-neutral types.
"""

from __future__ import annotations

import logging

from aiohttp import web

from connectors.base import WebhookRequest
from hub.api.errors import render
from hub.host.appkeys import RUNNER
from hub.policy import DomainError

log = logging.getLogger(__name__)


async def read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise DomainError(
            "body-too-large", 413, f"The body is larger than {limit} bytes.", {"limit": limit}
        )
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise DomainError(
            "body-too-large", 413, f"The body is larger than {limit} bytes.", {"limit": limit}
        )
    return body


def _hook_request(request: web.Request, body: bytes) -> WebhookRequest:
    return WebhookRequest(
        method=request.method,
        path=request.path_qs,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query),
        body=body,
        remote=request.remote,
    )


async def dispatch(request: web.Request, kind: str, name: str) -> web.Response:
    connector = request.app[RUNNER].get(kind, name)
    if connector is None:
        raise DomainError("no-such-channel", 404, f"No enabled {kind} channel named {name!r}.")
    body = b""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            body = await read_limited(request, connector.max_body_bytes())
        except DomainError as exc:
            log.warning(
                "%s:%s refused %s from %s: %s",
                kind,
                name,
                request.method,
                request.remote,
                exc.message,
            )
            response = render(exc)
            response.headers.update(connector.error_headers(_hook_request(request, b"")))
            return response
    answer = await connector.handle_webhook(_hook_request(request, body))
    response = web.Response(status=answer.status, body=answer.body, headers=dict(answer.headers))
    response.content_type = answer.content_type
    return response


async def hook(request: web.Request) -> web.Response:
    return await dispatch(request, request.match_info["kind"], request.match_info["name"])


async def form_post(request: web.Request) -> web.Response:
    return await dispatch(request, "webform", request.match_info["slug"])


def setup(app: web.Application) -> None:
    app.router.add_route("*", "/hooks/{kind}/{name}", hook)
    app.router.add_post("/forms/{slug}", form_post)
    app.router.add_route("OPTIONS", "/forms/{slug}", form_post)
