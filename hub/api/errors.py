"""The middleware that renders every `hub.policy.DomainError` (and aiohttp's own HTTP errors)
as `{"error": {id, message, details}}` with its status (ARCHITECTURE rule 9)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.policy import DomainError

log = logging.getLogger(__name__)


def render(exc: DomainError) -> web.Response:
    return error_response(exc.status, exc.error_id, exc.message, exc.details)


def error_response(status: int, error_id: str, message: str, details: Any = None) -> web.Response:
    body = {"error": {"id": error_id, "message": message, "details": details}}
    return web.json_response(body, status=status)


def _wants_json(request: web.Request) -> bool:
    path = request.path
    return path.startswith(("/api/", "/hooks/", "/forms/")) or path == "/healthz"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        return render(exc)
    except web.HTTPException as exc:
        if not _wants_json(request) or exc.status < 400:
            raise
        error_id = exc.reason.lower().replace(" ", "-")
        return error_response(exc.status, error_id, exc.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json(request):
            return error_response(500, "internal-error", "Internal error; it has been logged.")
        raise
