"""API errors with a stable id (ARCHITECTURE rule 8) and the middleware that renders them."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, error_id: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.details = details

    def response(self) -> web.Response:
        return error_response(self.status, self.error_id, self.message, self.details)


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
    except ApiError as exc:
        return exc.response()
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
