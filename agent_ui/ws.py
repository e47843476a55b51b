"""GET /ws: the workspace's live socket.

Protocol (JSON text frames). The server first sends {"type":"hello","user":{...},"cursor":N}.
The client may send {"type":"resume","cursor":N}: the server replays the logged events it may
see from a little before N (late commits can land below the newest id on PostgreSQL; the
client drops cursors it has seen), then {"type":"resumed","cursor":M}. Live events arrive as
{"type":"event","cursor","kind","payload"}; transient ones (typing) carry cursor 0. Also
"ping" -> "pong", "presence", and the chat signals "typing" and "read" (ws_chat.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from sqlalchemy import func, select

from hub.api.web_auth import current_principal
from hub.auth import Principal, has_role
from hub.events import Audience, Envelope
from hub.host.appkeys import HUB, SETTINGS
from hub.models import EventLog, Presence, Role, User
from hub.outages import log_failure
from hub.policy import DomainError

from .fanout import Connection
from .keys import FANOUT, PRESENCE
from .ws_chat import ChatSignals

log = logging.getLogger(__name__)

HEARTBEAT_S = 20.0
MAX_CLIENT_MESSAGE = 16 * 1024
# How far below the client's cursor the replay starts (see the module docstring).
RESUME_OVERLAP = 200
REPLAY_BATCH = 500
# Past this many logged events the client is told to reload instead (resumed, complete=false).
REPLAY_MAX_SCANNED = 20_000
# Cursors already written on this socket, so it never carries one event twice. Past this many
# the smallest is forgotten: a replay climbs from low cursors to high ones, so it is past the
# smallest already, whereas the live events written just before a resume are the highest of
# all and must still be known when the replay reaches them (a 30 s Redis outage's replay of
# 4,200 events sent 3 of them twice while the oldest-written were forgotten first).
SENT_MEMORY = 4096

# Client message types and the least role that may send each.
CLIENT_MESSAGES: dict[str, Role] = {
    "ping": Role.operator,
    "resume": Role.operator,
    "presence": Role.operator,
    "typing": Role.operator,
    "read": Role.operator,
}


def origin_allowed(request: web.Request) -> bool:
    """Browsers always send Origin on websockets; a foreign one is cross-site hijacking."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: it holds the credential itself
    netloc = urlsplit(origin).netloc.lower()
    allowed = {request.host.lower()}
    base_url = request.app[SETTINGS].base_url
    if base_url:
        allowed.add(urlsplit(base_url).netloc.lower())
    return netloc in allowed


class Session:
    """One socket's conversation with its client."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, principal: Principal):
        self.hub = request.app[HUB]
        self.presence = request.app[PRESENCE]
        self.ws = ws
        self.principal = principal
        self.conn = Connection(ws, principal.user_id, principal.role, principal.session_id)
        self._send_lock = asyncio.Lock()
        self._sent: set[int] = set()
        self._sent_heap: list[int] = []  # the same cursors, smallest first
        self.chat = ChatSignals(self.hub, principal)

    async def send(self, data: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_json(data)

    def _first_time(self, cursor: int) -> bool:
        if cursor in self._sent:
            return False
        self._sent.add(cursor)
        heapq.heappush(self._sent_heap, cursor)
        if len(self._sent_heap) > SENT_MEMORY:
            self._sent.discard(heapq.heappop(self._sent_heap))
        return True

    async def _send_event(self, envelope: Envelope, frame: str | None = None) -> None:
        # Cursor 0: a transient signal (typing), never logged, never replayed, never deduped.
        if envelope.cursor == 0 or self._first_time(envelope.cursor):
            await self.ws.send_str(frame if frame is not None else envelope.socket_frame)

    async def write_live(self) -> None:
        try:
            while True:
                envelope, frame = await self.conn.live.get()
                async with self._send_lock:
                    await self._send_event(envelope, frame)
        except ConnectionResetError:
            return  # the reader notices the closed socket and cleans up

    async def hello(self) -> None:
        async with self.hub.db.sessions() as session:
            user = await session.get_one(User, self.principal.user_id)
            latest = (await session.execute(select(func.max(EventLog.id)))).scalar_one()
        await self.send(
            {
                "type": "hello",
                "user": {
                    "id": user.id,
                    "login": user.login,
                    "name": user.name,
                    "role": user.role.value,
                    "locale": user.locale,
                    "presence": user.presence.value,
                },
                "cursor": int(latest or 0),
            }
        )

    async def handle(self, raw: str) -> None:
        try:
            await self._handle(raw)
        except ConnectionResetError:
            raise
        except DomainError as refusal:
            # Refusals of the use cases the socket calls, rendered the one way.
            await self.error(refusal.error_id, refusal.message)
        except Exception as exc:
            # A failing request (say, the database is briefly away) must not end the socket.
            log_failure(log, exc, "websocket message from user %d failed", self.principal.user_id)
            await self.error("internal-error", "That did not work; it has been logged.")

    async def _handle(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            await self.error("bad-json", "Messages must be JSON objects.")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        needed = CLIENT_MESSAGES.get(kind) if isinstance(kind, str) else None
        if needed is None:
            await self.error("unknown-type", f"Unknown message type {str(kind)[:40]!r}.")
        elif not has_role(self.principal.role, needed):
            await self.error("forbidden", f"This needs the {needed.value} role.")
        elif kind == "ping":
            # The browser is alive: keeps its operator from being taken offline as silent.
            await self.presence.heartbeat(self.principal.user_id)
            await self.send({"type": "pong"})
        elif kind == "resume":
            await self.resume(message.get("cursor"))
        elif kind in ("typing", "read"):
            await (self.chat.typing if kind == "typing" else self.chat.read)(message)
        else:
            await self.change_presence(message.get("presence"))

    async def error(self, error_id: str, message: str) -> None:
        await self.send({"type": "error", "id": error_id, "message": message})

    async def change_presence(self, value: object) -> None:
        if value not in (Presence.online.value, Presence.away.value):
            await self.error("bad-message", "presence must be 'online' or 'away'.")
            return
        presence = Presence(str(value))
        await self.presence.choose(self.principal.user_id, presence)
        await self.send({"type": "presence", "presence": presence.value})

    async def resume(self, cursor: object) -> None:
        if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0:
            await self.error("bad-message", "resume needs a non-negative integer cursor.")
            return
        # Holding the lock keeps live events queued until the replay is written, in order.
        async with self._send_lock:
            newest, complete = await self._replay(max(cursor - RESUME_OVERLAP, 0))
            await self.ws.send_json(
                {"type": "resumed", "cursor": max(newest, cursor), "complete": complete}
            )

    async def _replay(self, after: int) -> tuple[int, bool]:
        scanned = 0
        while True:
            async with self.hub.db.sessions() as session:
                rows = (
                    (
                        await session.execute(
                            select(EventLog)
                            .where(EventLog.id > after)
                            .order_by(EventLog.id)
                            .limit(REPLAY_BATCH)
                        )
                    )
                    .scalars()
                    .all()
                )
            for row in rows:
                if Audience.from_json(row.audience).allows(
                    self.principal.user_id, self.principal.role
                ):
                    await self._send_event(
                        Envelope(row.id, row.kind, row.payload, Audience.from_json(row.audience))
                    )
            if rows:
                after = rows[-1].id
            scanned += len(rows)
            if len(rows) < REPLAY_BATCH:
                return after, True
            if scanned >= REPLAY_MAX_SCANNED:
                return after, False


def _wanted_presence(request: web.Request) -> Presence | None:
    value = request.query.get("presence")
    return Presence(value) if value in (Presence.online.value, Presence.away.value) else None


async def websocket(request: web.Request) -> web.WebSocketResponse:
    principal = current_principal(request)
    if principal is None:
        raise DomainError("not-authenticated", 401, "Log in first.")
    if not origin_allowed(request):
        raise DomainError("bad-origin", 403, "This socket only serves pages of this site.")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_CLIENT_MESSAGE)
    await ws.prepare(request)
    fanout = request.app[FANOUT]
    session = Session(request, ws, principal)
    # Registered before the hello cursor is read: nothing committed later can slip between.
    first = fanout.add(session.conn)
    writer: asyncio.Task[None] | None = None
    try:
        await session.presence.connected(principal.user_id, first, _wanted_presence(request))
        await session.hello()
        writer = asyncio.create_task(session.write_live())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await session.handle(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await session.error("bad-message", "Only JSON text frames are understood.")
    except ConnectionResetError:
        pass  # the client went away mid-write
    finally:
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                await writer
        session.presence.disconnected(principal.user_id, fanout.remove(session.conn))
    return ws
