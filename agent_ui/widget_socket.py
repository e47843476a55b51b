"""GET /widget/{name}/ws: a website visitor's chat socket (protocol: connectors/widget/protocol).

The page's Origin must be one of the channel's allowed sites (403 otherwise, before the
upgrade); no cookie is read. The visitor proves who they are with the token in the first
frame, never in the URL (URLs end up in logs). Every refused frame gets an error frame with
an id and is logged; the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any

from aiohttp import WSMsgType, web

from connectors.webform.ratelimit import SlidingWindowLimiter
from connectors.widget import PageFacts, WidgetConnector
from connectors.widget.connector import external_id
from connectors.widget.protocol import (
    Contact,
    FrameError,
    Hello,
    Message,
    Offline,
    Ping,
    Read,
    Typing,
    new_token,
    parse_frame,
    visitor_id_of,
)
from hub.actions.read_state import mark_read
from hub.events import conversation_audience
from hub.host.appkeys import HUB, RUNNER
from hub.models import Channel
from hub.policy import DomainError
from hub.signals import publish_transient

from . import widget_data
from .keys import WIDGET_FANOUT
from .widget_fanout import VisitorSocket, WidgetFanout

log = logging.getLogger(__name__)

HEARTBEAT_S = 25.0
HELLO_WITHIN_S = 15.0
# aiohttp closes the socket (1009) above this; below it an oversized frame gets an error.
MAX_FRAME_BYTES = 1024 * 1024
TYPING_EVERY_S = 2.0
# Any frame at all, per socket: a flood is refused, frame by frame, without closing.
FRAMES_PER_MINUTE = 240

# One send at a time per visitor on this node: a first message from two tabs must not
# open two conversations.
_visitor_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock_of(visitor_id: str) -> asyncio.Lock:
    lock = _visitor_locks.get(visitor_id)
    if lock is None:
        lock = asyncio.Lock()
        _visitor_locks[visitor_id] = lock
    return lock


def client_ip(request: web.Request, hops: int) -> str:
    if hops:
        chain = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
        chain = [p for p in chain if p]
        if len(chain) >= hops:
            return chain[-hops]
    return request.remote or "unknown"


class VisitorSession:
    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        channel: Channel,
        connector: WidgetConnector,
    ) -> None:
        self.hub = request.app[HUB]
        self.fanout: WidgetFanout = request.app[WIDGET_FANOUT]
        self.ws = ws
        self.channel = channel
        self.connector = connector
        self.ip = client_ip(request, connector.widget_options.trusted_proxy_hops)
        self.facts = PageFacts(
            user_agent=request.headers.get("User-Agent", ""),
            client_ip=self.ip,
            origin=request.headers.get("Origin", ""),
        )
        self.sock: VisitorSocket | None = None
        self.name = ""
        self.latest_conversation: int | None = None
        self._send_lock = asyncio.Lock()
        self._typing_at = 0.0
        self._frames = SlidingWindowLimiter(FRAMES_PER_MINUTE, window=60.0)

    @property
    def visitor_id(self) -> str:
        assert self.sock is not None
        return self.sock.visitor_id

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_json(frame)

    async def write_live(self) -> None:
        assert self.sock is not None
        with contextlib.suppress(ConnectionResetError):
            while True:
                await self.send(await self.sock.live.get())

    async def refuse(self, error: FrameError) -> None:
        log.warning(
            "widget %s: refused a frame from %s (visitor %s): %s %s",
            self.channel.name,
            self.ip,
            self.sock.visitor_id if self.sock else "-",
            error.error_id,
            error.message,
        )
        await self.send(error.frame())

    async def handle(self, raw: str) -> None:
        try:
            if self._frames.hit("socket") is not None:
                raise FrameError("rate-limited", "Too many frames; slow down.")
            await self._handle(raw)
        except FrameError as error:
            await self.refuse(error)
        except ConnectionResetError:
            raise
        except Exception:
            log.exception("widget %s: a frame from %s failed", self.channel.name, self.ip)
            await self.send(
                {
                    "type": "error",
                    "id": "internal-error",
                    "message": "That did not work; it has been logged. Try again.",
                }
            )

    async def _handle(self, raw: str) -> None:
        frame = parse_frame(raw)
        if isinstance(frame, Hello):
            if self.sock is not None:
                raise FrameError("already-greeted", "hello comes once per socket.")
            await self.hello(frame)
            return
        if self.sock is None:
            raise FrameError("hello-first", "Send hello first.")
        match frame:
            case Ping():
                await self.send({"type": "pong"})
            case Typing():
                await self.typing()
            case Read():
                await self.read(frame.up_to)
            case Message() | Contact() | Offline():
                await self.submit(frame)

    async def hello(self, frame: Hello) -> None:
        token = frame.token or new_token()
        self.name = frame.name
        self.facts = PageFacts(frame.page_url, self.facts.user_agent, self.ip, self.facts.origin)
        self.sock = VisitorSocket(self.ws, self.channel.id, visitor_id_of(token))
        # Registered before the history is read: what commits meanwhile is held, not lost.
        self.fanout.add(self.sock)
        history = await widget_data.history(self.hub, self.channel.id, self.visitor_id)
        online = await self.fanout.online(self.channel.id)
        options = self.connector.widget_options
        self.latest_conversation = max(history.conversation_ids, default=None)
        await self.send(
            {
                "type": "welcome",
                "token": token,
                "online": online,
                "offline_form": options.offline_form,
                "title": options.title or self.channel.title or self.channel.name,
                "welcome_message": options.welcome_message,
                "max_message_chars": options.max_message_chars,
                "messages": history.messages,
                "read": {"client": history.client_read_up_to, "agent": history.agent_read_up_to},
            }
        )
        self.fanout.activate(self.sock, history.conversation_ids)

    async def submit(self, frame: Message | Contact | Offline) -> None:
        async with _lock_of(self.visitor_id):
            hint = await widget_data.continue_hint(self.hub, self.channel.id, self.visitor_id)
            try:
                receipt = await self.connector.visitor_message(
                    self.visitor_id, frame, self.facts, name=self.name, thread_hint=hint
                )
            except FrameError as error:
                error.details.setdefault("client_id", str(frame.client_id))
                raise
        ack: dict[str, Any] = {
            "type": "ack",
            "client_id": str(frame.client_id),
            "duplicate": receipt.duplicate,
            "message": None,
        }
        self._typing_at = 0.0  # that message ended the typing; the next keystroke starts anew
        if receipt.conversation_id is not None:
            self.latest_conversation = receipt.conversation_id
            self.fanout.know(self.visitor_id, receipt.conversation_id)
            ack["message"] = await widget_data.stored_message(
                self.hub, receipt.conversation_id, external_id(self.visitor_id, frame.client_id)
            )
        await self.send(ack)

    async def typing(self) -> None:
        now = time.monotonic()
        if self.latest_conversation is None or now - self._typing_at < TYPING_EVERY_S:
            return  # nothing to type into yet, or said so a moment ago
        self._typing_at = now
        found, assignee = await widget_data.conversation_assignee(
            self.hub, self.latest_conversation
        )
        if found:
            await publish_transient(
                self.hub,
                "typing",
                {"conversation_id": self.latest_conversation, "by": "client"},
                conversation_audience(assignee),
            )

    async def read(self, up_to: int) -> None:
        conversation_id = await widget_data.owned_conversation_of(
            self.hub, self.channel.id, self.visitor_id, up_to
        )
        if conversation_id is None:
            raise FrameError("unknown-message", "No such message in your chat.", {"up_to": up_to})
        await mark_read(self.hub, conversation_id, "client", up_to)


async def _connector(request: web.Request) -> tuple[Channel, WidgetConnector]:
    name = request.match_info["name"]
    channel = await widget_data.widget_channel(request.app[HUB], name)
    connector = request.app[RUNNER].get("widget", name)
    if channel is None or not isinstance(connector, WidgetConnector):
        raise DomainError("no-such-widget", 404, "There is no such chat widget.", {"name": name})
    return channel, connector


async def widget_socket(request: web.Request) -> web.WebSocketResponse:
    channel, connector = await _connector(request)
    origin = request.headers.get("Origin", "")
    if not connector.origin_allowed(origin):
        log.warning(
            "widget %s: refused a socket from %s: origin %r is not allowed",
            channel.name,
            client_ip(request, connector.widget_options.trusted_proxy_hops),
            origin[:200],
        )
        raise DomainError(
            "origin-not-allowed", 403, "This site may not embed this chat.", {"origin": origin}
        )
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    session = VisitorSession(request, ws, channel, connector)
    writer: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(HELLO_WITHIN_S) as deadline:
            async for msg in ws:
                await _one(session, msg)
                if session.sock is not None:
                    deadline.reschedule(None)
                    writer = asyncio.create_task(session.write_live())
                    break
        if session.sock is not None:
            async for msg in ws:
                await _one(session, msg)
    except TimeoutError:
        await ws.close(code=4000, message=b"hello expected")
    except ConnectionResetError:
        pass
    finally:
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                await writer
        if session.sock is not None:
            session.fanout.remove(session.sock)
    return ws


async def _one(session: VisitorSession, msg: Any) -> None:
    if msg.type == WSMsgType.TEXT:
        await session.handle(msg.data)
    elif msg.type == WSMsgType.BINARY:
        await session.refuse(FrameError("bad-frame", "Only JSON text frames are understood."))
