"""The node's one bus subscription, fanned out to its websockets by audience.

A slow socket must not hold up the others: each connection has its own bounded queue that
`dispatch` fills without waiting. A connection whose queue overflows is closed (1013); its
client reconnects and resumes from its cursor, so it loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aiohttp import WSCloseCode, web

from hub.bus import Bus, Subscription
from hub.events import Envelope
from hub.listener import Listener
from hub.models import Role

log = logging.getLogger(__name__)

LIVE_BUFFER = 1000
CLOSE_WAIT_S = 5.0


def event_frame(envelope: Envelope) -> str:
    """The workspace's frame of an event: the same text for every socket allowed to see it
    (encoded once per envelope, `Envelope.socket_frame`)."""
    return envelope.socket_frame


class Connection:
    """One open websocket: who it belongs to and the live events waiting to be written
    (each with its frame, encoded once per event by `Fanout.dispatch`)."""

    def __init__(
        self, ws: web.WebSocketResponse, user_id: int, role: Role, session_id: int | None
    ) -> None:
        self.ws = ws
        self.user_id = user_id
        self.role = role
        self.session_id = session_id
        self.live: asyncio.Queue[tuple[Envelope, str]] = asyncio.Queue(LIVE_BUFFER)

    def offer(self, envelope: Envelope, frame: str) -> bool:
        if not envelope.audience.allows(self.user_id, self.role):
            return True
        try:
            self.live.put_nowait((envelope, frame))
        except asyncio.QueueFull:
            return False
        return True


class Fanout:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._by_user: dict[int, set[Connection]] = defaultdict(set)
        self._closing: set[asyncio.Task[bool]] = set()

    @property
    def connections(self) -> list[Connection]:
        return [conn for conns in self._by_user.values() for conn in conns]

    def add(self, conn: Connection) -> bool:
        """Register a socket; True when it is the user's first on this node."""
        first = not self._by_user[conn.user_id]
        self._by_user[conn.user_id].add(conn)
        return first

    def remove(self, conn: Connection) -> bool:
        """Forget a socket; True when it was the user's last on this node."""
        conns = self._by_user.get(conn.user_id)
        if conns is None or conn not in conns:
            return False
        conns.discard(conn)
        if conns:
            return False
        del self._by_user[conn.user_id]
        return True

    def has_user(self, user_id: int) -> bool:
        return bool(self._by_user.get(user_id))

    def dispatch(self, envelope: Envelope) -> None:
        # Encoded once here, not once per socket: at 1,000 sockets that was most of the push.
        frame = event_frame(envelope)
        for conn in self.connections:
            if not conn.offer(envelope, frame):
                log.warning(
                    "websocket of user %d fell %d events behind; closing it",
                    conn.user_id,
                    LIVE_BUFFER,
                )
                self._close_soon(conn, WSCloseCode.TRY_AGAIN_LATER, b"fell behind; resume")

    async def run(self, subscription: Subscription) -> None:
        """Read the bus until it closes or the task is cancelled.

        The first subscription is taken by the caller before the app serves anything, so
        no event published once the node is up can be missed. Envelopes go out raw: the
        sockets write them as they are, so nothing is rebuilt per event.
        """
        listener = Listener(
            self._bus,
            [],
            other=self.dispatch,
            on_gap=self._fell_behind,
            subscription=subscription,
            name="ws-fanout",
        )
        await listener.run()

    def _fell_behind(self) -> None:
        # This node missed events (it fell behind, or the bus lost some while Redis was
        # away): every client must resume from its cursor. Logged where the gap arose.
        log.info("asking every workspace client to resume from its cursor")
        for conn in self.connections:
            self._close_soon(conn, WSCloseCode.TRY_AGAIN_LATER, b"fell behind; resume")

    def _close_soon(self, conn: Connection, code: int, message: bytes) -> asyncio.Task[bool]:
        # Closing waits for the peer; doing it in a task keeps dispatch from blocking.
        task = asyncio.create_task(conn.ws.close(code=code, message=message))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        return task

    async def close_where(self, code: int, message: bytes, session_id: int | None = None) -> None:
        """Close every socket, or only those of one browser session (on logout).

        Waits a bounded time: a peer that never answers the close must not hold up a
        logout or the node's shutdown (aiohttp drops such a connection on its own).
        """
        tasks = [
            self._close_soon(conn, code, message)
            for conn in self.connections
            if session_id is None or conn.session_id == session_id
        ]
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_WAIT_S)
