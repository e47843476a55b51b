"""The node's widget fan-out: bus events -> the visitor sockets they concern, reshaped.

Visitors have no audience roles; a socket is interested in its own conversations. A socket
registers before its history is read and stays "pending" until then: the events that
arrive meanwhile are held and filtered once its conversations are known, so nothing slips
between the history and the live stream (the client drops message ids it has).
A message from the visitor names them (meta.widget_visitor), so a conversation that a
message starts reaches every socket of that visitor (other tabs) on every node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

from aiohttp import WSCloseCode, web

from hub.bus import Subscription
from hub.core import Hub
from hub.events import ConversationRead, Envelope, MessageCreated, MessageUpdated, PresenceChanged
from hub.listener import Listener, on
from hub.models import Direction

from .widget_data import anyone_online, visitor_message

log = logging.getLogger(__name__)

LIVE_BUFFER = 200
PENDING_LIMIT = 1000
TYPING = "typing"
# Presence flaps (a page reload) settle before the visitors are told.
STATUS_DEBOUNCE_S = 0.5


# What reaches the visitors: messages, read markers and the agents' typing (a transient
# signal, so it stays a raw envelope: no event class is logged for it).
News = MessageCreated | MessageUpdated | ConversationRead | Envelope


def _addressed(news: News) -> tuple[int, str | None]:
    """(conversation id, the visitor who wrote it when it is a visitor's message)."""
    if isinstance(news, Envelope):
        conversation_id = news.payload.get("conversation_id")
        return (conversation_id if isinstance(conversation_id, int) else 0), None
    if isinstance(news, ConversationRead):
        return news.conversation_id, None
    visitor = None
    if news.message.get("direction") == Direction.inbound.value:
        found = (news.message.get("meta") or {}).get("widget_visitor")
        visitor = found if isinstance(found, str) else None
    return news.conversation_id, visitor


def _frame(news: News) -> dict[str, Any] | None:
    """The frame a visitor's socket gets for it, or None when visitors do not see it."""
    if isinstance(news, Envelope):  # typing: the visitor hears only the agents'
        if news.payload.get("by") != "agent":
            return None
        return {"type": "typing", "by": "agent", "name": news.payload.get("name") or ""}
    if isinstance(news, ConversationRead):
        return {
            "type": "read",
            "conversation_id": news.conversation_id,
            "by": news.by,
            "up_to": news.up_to,
        }
    shaped = visitor_message(news.message)
    return {"type": "message", "message": shaped} if shaped is not None else None


def _discard(index: dict[Any, set[VisitorSocket]], key: Any, sock: VisitorSocket) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(sock)
        if not members:
            del index[key]


class VisitorSocket:
    def __init__(self, ws: web.WebSocketResponse, channel_id: int, visitor_id: str) -> None:
        self.ws = ws
        self.channel_id = channel_id
        self.visitor_id = visitor_id
        self.conversations: set[int] = set()
        self.pending: list[News] | None = []
        self.live: asyncio.Queue[dict[str, Any]] = asyncio.Queue(LIVE_BUFFER)


class WidgetFanout:
    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._by_conversation: dict[int, set[VisitorSocket]] = defaultdict(set)
        self._by_visitor: dict[str, set[VisitorSocket]] = defaultdict(set)
        self._by_channel: dict[int, set[VisitorSocket]] = defaultdict(set)
        self._pending: set[VisitorSocket] = set()
        self._online: dict[int, bool] = {}
        self._status_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- registration -------------------------------------------------------------------
    def add(self, sock: VisitorSocket) -> None:
        self._by_visitor[sock.visitor_id].add(sock)
        self._by_channel[sock.channel_id].add(sock)
        self._pending.add(sock)

    def activate(self, sock: VisitorSocket, conversation_ids: list[int]) -> None:
        """The history is sent: hand over what arrived meanwhile, then go live."""
        for conversation_id in conversation_ids:
            self._know(sock, conversation_id)
        held, sock.pending = sock.pending or [], None
        self._pending.discard(sock)
        for news in held:
            self._deliver(news, {sock})

    def know(self, visitor_id: str, conversation_id: int) -> None:
        """A send was stored in this conversation: every socket of the visitor follows it."""
        for sock in list(self._by_visitor.get(visitor_id, ())):
            self._know(sock, conversation_id)

    def _know(self, sock: VisitorSocket, conversation_id: int) -> None:
        sock.conversations.add(conversation_id)
        self._by_conversation[conversation_id].add(sock)

    def remove(self, sock: VisitorSocket) -> None:
        self._pending.discard(sock)
        _discard(self._by_visitor, sock.visitor_id, sock)
        _discard(self._by_channel, sock.channel_id, sock)
        for conversation_id in sock.conversations:
            _discard(self._by_conversation, conversation_id, sock)

    @property
    def sockets(self) -> list[VisitorSocket]:
        return [s for members in self._by_channel.values() for s in members]

    # --- online status ------------------------------------------------------------------
    async def online(self, channel_id: int) -> bool:
        if channel_id not in self._online:
            self._online[channel_id] = await anyone_online(self._hub, channel_id)
        return self._online[channel_id]

    def _presence_changed(self) -> None:
        if self._status_task is None or self._status_task.done():
            self._status_task = asyncio.create_task(self._refresh_status())

    async def _refresh_status(self) -> None:
        await asyncio.sleep(STATUS_DEBOUNCE_S)
        self._online.clear()  # channels nobody watches are computed on their next hello
        for channel_id in list(self._by_channel):
            try:
                online = await self.online(channel_id)
            except Exception:
                log.exception("widget: could not compute who is online for channel %d", channel_id)
                continue
            for sock in list(self._by_channel.get(channel_id, ())):
                self._push(sock, {"type": "status", "online": online})

    # --- dispatch -----------------------------------------------------------------------
    def _on_news(self, news: News) -> None:
        conversation_id, visitor = _addressed(news)
        for sock in self._pending:
            if sock.pending is not None and len(sock.pending) < PENDING_LIMIT:
                sock.pending.append(news)
        if visitor is not None:
            for sock in self._by_visitor.get(visitor, ()):
                if sock.pending is None:
                    self._know(sock, conversation_id)
        live = {s for s in self._by_conversation.get(conversation_id, ()) if s.pending is None}
        self._deliver(news, live)

    def _on_signal(self, envelope: Envelope) -> None:
        if envelope.kind == TYPING:
            self._on_news(envelope)

    def _on_presence(self, _: PresenceChanged) -> None:
        self._presence_changed()

    def _deliver(self, news: News, sockets: set[VisitorSocket]) -> None:
        conversation_id, visitor = _addressed(news)
        wanted = [
            s for s in sockets if conversation_id in s.conversations or visitor == s.visitor_id
        ]
        frame = _frame(news) if wanted else None
        if frame is None:
            return
        for sock in wanted:
            if visitor == sock.visitor_id:
                self._know(sock, conversation_id)
            self._push(sock, frame)

    def _push(self, sock: VisitorSocket, frame: dict[str, Any]) -> None:
        try:
            sock.live.put_nowait(frame)
        except asyncio.QueueFull:
            # It reconnects and gets the history again: nothing is lost by closing it.
            log.warning("widget socket of visitor %s fell behind; closing it", sock.visitor_id)
            self._spawn(sock.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"fell behind"))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, subscription: Subscription) -> None:
        """Read the bus until it closes or the task is cancelled; after falling behind,
        the visitors are asked to reconnect, which re-reads their history."""
        routes = [
            on(MessageCreated, self._on_news),
            on(MessageUpdated, self._on_news),
            on(ConversationRead, self._on_news),
            on(PresenceChanged, self._on_presence),
        ]
        listener = Listener(
            self._hub.bus,
            routes,
            other=self._on_signal,
            on_gap=self._fell_behind,
            subscription=subscription,
            name="widget-fanout",
        )
        await listener.run()

    def _fell_behind(self) -> None:
        for sock in self.sockets:
            self._spawn(sock.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"resume"))

    async def close_all(self) -> None:
        tasks = [
            asyncio.ensure_future(s.ws.close(code=WSCloseCode.GOING_AWAY, message=b"shutdown"))
            for s in self.sockets
        ]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if self._status_task is not None:
            self._status_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._status_task
