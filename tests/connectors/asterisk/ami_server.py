"""A loopback AMI server that plays a recorded transcript to the client under test.

Each transcript connection is served to one incoming TCP connection, in order. "recv" entries
are written to the client (optionally at their recorded offsets, optionally with a Timestamp
header as Asterisk's timestampevents=yes adds, optionally with noise between them); "sent"
entries are sync points where the client must send the same action (every recorded header but
ActionID must match, mismatches are collected). The recorded replies then go out with the
client's own ActionID. A '# reconnect' in the transcript drops the socket (no Goodbye).
Actions outside the script get realistic default replies: Ping, Login, Logoff, Originate,
Redirect, BlindTransfer, Atxfer, QueuePause, CoreShowChannels, QueueStatus, or an error.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from connectors.asterisk.transcript import Entry

from .ami_replies import Action, default_reply, frame

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
STAMP_BASE = 1_795_370_000.0
NOISE = [
    b"\x00\xff\xfe binary junk, no colon\r\n\r\n",
    b"Event: FrobnicatorStarted\r\nPrivilege: call,all\r\nFrob: 1\r\n\r\n",
    b"Event: Hangup\r\nPrivilege: call,all\r\nChannel: IAX2/ghost-1\r\nUniqueid: 1.999\r\n"
    b"Linkedid: 1.999\r\nCause: 16\r\n\r\n",
    b"Event: DialBegin\r\nPrivilege: call,all\r\nDestChannel: IAX2/ghost-2\r\n\r\n",
    # Cut short: no empty line, the next entry's "Event:" follows at once.
    b"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: IAX2/cut-3\r\n",
]


def parse_action(block: bytes) -> Action:
    action: Action = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep:
            action[key] = value
    return action


def stamped(data: bytes, epoch: float) -> bytes:
    """Frames as Asterisk sends them with timestampevents=yes: a Timestamp after Event."""
    stamp = f"Timestamp: {epoch:.6f}\r\n".encode()
    return re.sub(rb"(?m)^(Event: [^\r\n]*\r\n)", lambda m: m.group(1) + stamp, data)


@dataclass
class SyncPoint:
    recorded: Action
    got: asyncio.Future[Action]


@dataclass
class Session:
    number: int
    writer: asyncio.StreamWriter
    syncs: list[SyncPoint]
    silent: bool = False
    next_sync: int = 0
    # The client's own resync (CoreShowChannels, QueueStatus) after login has been answered.
    resynced: asyncio.Event = field(default_factory=asyncio.Event)
    id_map: dict[str, str] = field(default_factory=dict)


class AmiServer:
    def __init__(
        self,
        connections: list[list[Entry]],
        *,
        timed: bool = False,
        stamp: bool = True,
        noise: bool = False,
        sync_timeout: float = 5.0,
        await_resync: bool = True,
        username: str = "hub",
        secret: str = "hubsecret",
    ) -> None:
        self.connections = connections
        self.timed, self.stamp, self.noise = timed, stamp, noise
        self.sync_timeout = sync_timeout
        # The recordings left the hub idle after login, time it used to resync; at full speed
        # the script waits for that resync instead, or the (empty) default CoreShowChannels
        # reply would land after the calls had begun and contradict them.
        self.await_resync = await_resync
        self.username, self.secret = username, secret
        # Actions answered with Response: Error and this message; actions never answered.
        self.errors: dict[str, str] = {}
        self.unanswered: set[str] = set()
        self.received: list[Action] = []
        self.mismatches: list[str] = []
        # Recorded hub actions (not Login/Logoff/resync) the test must now trigger.
        self.hub_actions: asyncio.Queue[Action] = asyncio.Queue()
        self.played = asyncio.Event()
        # Everything scripted is done but the final Logoff: the test may stop the client.
        self.at_logoff = asyncio.Event()
        self.sessions: list[Session] = []
        self._server: asyncio.Server | None = None
        self._port = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._t0: float | None = None
        # The recorded instant reached so far: default replies are dated with it.
        self.last_offset = 0.0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for session in self.sessions:
            session.writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def stop_listening(self) -> None:
        """Refuse new connections (the PBX is unreachable); open ones stay until dropped."""
        if self._server is not None:
            self._port = int(self._server.sockets[0].getsockname()[1])
            self._server.close()

    async def listen_again(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self._port)

    def silence(self) -> None:
        """From now on the current connection answers nothing (a hung peer)."""
        self.sessions[-1].silent = True

    def drop(self) -> None:
        self.sessions[-1].writer.transport.abort()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(self.sessions)
        loop = asyncio.get_running_loop()
        self._t0 = self._t0 if self._t0 is not None else loop.time()
        script = self.connections[number] if number < len(self.connections) else []
        syncs = [
            SyncPoint(parse_action(e.data), loop.create_future())
            for e in script
            if e.direction == "sent"
        ]
        session = Session(number, writer, syncs)
        self.sessions.append(session)
        if script:
            self._spawn(self._play(session, script))
        else:
            writer.write(BANNER)
        try:
            buffer = b""
            while data := await reader.read(65536):
                buffer += data
                while b"\r\n\r\n" in buffer:
                    block, buffer = buffer.split(b"\r\n\r\n", 1)
                    self._received(session, parse_action(block))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def _received(self, session: Session, action: Action) -> None:
        self.received.append(action)
        if session.silent:
            return
        name = action.get("Action", "")
        if name.lower() != "ping" and session.next_sync < len(session.syncs):
            point = session.syncs[session.next_sync]
            if point.recorded.get("Action", "").lower() == name.lower():
                session.next_sync += 1
                point.got.set_result(action)
                return
        self._default_reply(session, action)

    async def _play(self, session: Session, script: list[Entry]) -> None:
        try:
            await self._play_entries(session, script)
        finally:
            if session.number + 1 >= len(self.connections):
                self.at_logoff.set()
                self.played.set()

    async def _play_entries(self, session: Session, script: list[Entry]) -> None:
        loop = asyncio.get_running_loop()
        syncs = iter(session.syncs)
        scripted_resync = any(
            p.recorded.get("ActionID", "").startswith("resync-") for p in session.syncs
        )
        after_login = False
        last = session.number + 1 >= len(self.connections)
        for index, entry in enumerate(script):
            if last and entry.direction == "sent" and entry.data.startswith(b"Action: Logoff"):
                self.at_logoff.set()
            if self.timed and self._t0 is not None and entry.direction == "recv":
                await asyncio.sleep(max(0.0, self._t0 + entry.offset - loop.time()))
            self.last_offset = entry.offset
            if entry.direction == "sent":
                point = next(syncs)
                after_login = point.recorded.get("Action") == "Login"
                await self._sync(session, point)
                if self.timed:
                    # What follows an action is timed from when the client really sent it.
                    self._t0 = loop.time() - entry.offset
                continue
            if session.silent or session.writer.is_closing():
                return
            data = self._rewrite(session, entry)
            if self.noise and index % 4 == 0 and data.startswith(b"Event:"):
                data = NOISE[(index // 4) % len(NOISE)] + data
            session.writer.write(data)
            await session.writer.drain()
            if b"Response: Goodbye" in data:
                session.writer.close()
                return
            if after_login and self.await_resync and not scripted_resync:
                after_login = False
                try:
                    await asyncio.wait_for(session.resynced.wait(), self.sync_timeout)
                except TimeoutError:
                    self.mismatches.append(f"connection {session.number}: client never resynced")
        if session.number + 1 < len(self.connections):
            session.writer.transport.abort()  # '# reconnect': the link drops, no Logoff

    async def _sync(self, session: Session, point: SyncPoint) -> None:
        name = point.recorded.get("Action", "")
        action_id = point.recorded.get("ActionID", "")
        if name not in ("Login", "Logoff") and not action_id.startswith("resync-"):
            await self.hub_actions.put(point.recorded)
        try:
            got = await asyncio.wait_for(asyncio.shield(point.got), self.sync_timeout)
        except TimeoutError:
            if name != "Logoff":
                self.mismatches.append(f"connection {session.number}: no {name} from the client")
            return
        for key, value in point.recorded.items():
            if key != "ActionID" and got.get(key) != value:
                self.mismatches.append(f"{name} {key}: sent {got.get(key)!r}, recorded {value!r}")
        if action_id:
            session.id_map[action_id] = got.get("ActionID", "")
        if name == "Login" and (got.get("Username"), got.get("Secret")) != (
            self.username,
            self.secret,
        ):
            self._write(
                session,
                frame(
                    "Response: Error",
                    f"ActionID: {got.get('ActionID')}",
                    "Message: Authentication failed",
                ),
            )
            session.writer.close()

    def _rewrite(self, session: Session, entry: Entry) -> bytes:
        data = entry.data
        for recorded, actual in session.id_map.items():
            data = data.replace(
                f"ActionID: {recorded}\r\n".encode(), f"ActionID: {actual}\r\n".encode()
            )
        return self._stamped(data, entry.offset)

    def _stamped(self, data: bytes, offset: float) -> bytes:
        return stamped(data, STAMP_BASE + offset) if self.stamp else data

    def _write(self, session: Session, data: bytes) -> None:
        if not session.writer.is_closing():
            session.writer.write(self._stamped(data, self.last_offset))

    def _default_reply(self, session: Session, action: Action) -> None:
        name = action.get("Action", "")
        if name in self.unanswered:
            return
        if name in self.errors:
            aid = f"ActionID: {action.get('ActionID', '')}"
            self._write(session, frame("Response: Error", aid, f"Message: {self.errors[name]}"))
            return
        credentials = (self.username, self.secret)
        for data in default_reply(action, credentials):
            self._write(session, data)
        if name == "QueueStatus":
            session.resynced.set()
        if name == "Logoff" or (name == "Login" and b"Error" in data):
            session.writer.close()
