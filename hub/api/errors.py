"""The middleware that renders every `hub.policy.DomainError` (and aiohttp's own HTTP errors)
as `{"error": {id, message, details}}` with its status (ARCHITECTURE rule 9)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.outages import OUTAGES, dependency_of
from hub.policy import DomainError

log = logging.getLogger(__name__)

# While a dependency is away, when a client may usefully try again.
UNAVAILABLE_RETRY_AFTER_S = 5


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
    except Exception as exc:
        dependency = dependency_of(exc)
        if dependency is not None:
            # Not our bug and not the client's: counted in the outage (logged once), and the
            # client is told to come back, never told it worked.
            OUTAGES[dependency].failed(exc, f"{request.method} {request.path}")
            retry = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)}
            if _wants_json(request):
                message = f"The {dependency} is unavailable; try again shortly."
                answer = error_response(503, "unavailable", message)
                answer.headers.update(retry)
                return answer
            raise web.HTTPServiceUnavailable(headers=retry) from None
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json(request):
            return error_response(500, "internal-error", "Internal error; it has been logged.")
        raise
