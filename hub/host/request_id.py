"""Every request gets an id: the one nginx sends (X-Request-Id, from the trusted proxy's
$request_id) or a new one. Log records written while serving it carry it (hub.logs), and the
answer names it, so an administrator can find a user's failed request in the log."""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.logs import REQUEST_ID

HEADER = "X-Request-Id"
# An id from outside is only taken when it looks like one: it is written into every line.
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sent = request.headers.get(HEADER, "")
    request_id = sent if ACCEPTED.fullmatch(sent) else uuid.uuid4().hex
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[HEADER] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    if not response.prepared:  # a websocket's or a stream's headers are gone already
        response.headers[HEADER] = request_id
    return response
