"""A typed IMAP session over aioimaplib: login, SELECT, UID SEARCH/FETCH, IDLE or polling.

aioimaplib has no type information; everything it returns is checked here, so the rest of
the connector works with plain ints, bytes and datetimes.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aioimaplib  # type: ignore[import-untyped]

from .options import EmailOptions

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]", re.I)
_FETCH_UID = re.compile(rb"FETCH \(.*\bUID (\d+)", re.I)
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"', re.I)
_UID_LIST = re.compile(rb"^(SEARCH)?[\d ]*$", re.I)
_CONNECTION_LOST = [b"okno:connection-lost"]


class ImapError(RuntimeError):
    pass


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    raw: bytes
    # When the server received it (INTERNALDATE): the fallback for an unreadable Date.
    internal_date: datetime | None


def encode_mailbox(name: str) -> str:
    """A mailbox name as an IMAP quoted string in modified UTF-7 (RFC 3501 5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            utf16 = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(utf16).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    escaped = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def parse_internal_date(value: bytes) -> datetime | None:
    try:
        return datetime.strptime(value.decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except (UnicodeDecodeError, ValueError):
        return None


def _check(response: Any, what: str) -> list[Any]:
    if getattr(response, "result", None) != "OK":
        lines = getattr(response, "lines", [])
        detail = b" ".join(line for line in lines if isinstance(line, bytes)).decode(
            "utf-8", "replace"
        )
        raise ImapError(f"IMAP {what} failed: {getattr(response, 'result', '?')} {detail}")
    return list(response.lines)


class ImapSession:
    def __init__(self, options: EmailOptions, log: logging.Logger) -> None:
        self.options = options
        self.log = log
        self._client: Any = None
        # Set when the socket closes. aioimaplib sends IDLE without a timeout and nothing
        # answers it on a dead socket, so an IDLE begun after the loss would wait for ever.
        self._connection_lost = False
        # The server announced new mail (EXISTS) alongside another command's answer.
        self._news = False

    async def open(self) -> int:
        """Connect, log in and select the mailbox; returns its UIDVALIDITY."""
        o = self.options
        factory = aioimaplib.IMAP4_SSL if o.imap_ssl else aioimaplib.IMAP4
        client = self._client = factory(host=o.imap_host, port=o.imap_port, timeout=o.timeout_s)
        client.protocol.conn_lost_cb = self._lost
        await client.wait_hello_from_server()
        _check(await client.login(o.username, o.password), "LOGIN")
        # Capabilities change after login (IDLE is often offered only then).
        await asyncio.wait_for(client.protocol.capability(), o.timeout_s)
        lines = _check(await client.select(encode_mailbox(o.mailbox)), f"SELECT {o.mailbox}")
        for line in lines:
            match = _UIDVALIDITY.search(line) if isinstance(line, bytes) else None
            if match:
                return int(match.group(1))
        raise ImapError(f"SELECT {o.mailbox} gave no UIDVALIDITY")

    def _lost(self, exc: Exception | None) -> None:
        self._connection_lost = True
        client = self._client
        if client is not None:
            # Wakes an IDLE wait at once instead of after the IDLE timeout.
            client.protocol.idle_queue.put_nowait(_CONNECTION_LOST)

    @property
    def supports_idle(self) -> bool:
        return bool(self._client is not None and self._client.has_capability("IDLE"))

    def _note_news(self, lines: list[Any]) -> None:
        if any(isinstance(line, bytes) and line.endswith(b" EXISTS") for line in lines):
            self._news = True

    async def uids_after(self, last_uid: int) -> list[int]:
        lines = _check(
            await self._client.uid_search("UID", f"{last_uid + 1}:*", charset=None), "UID SEARCH"
        )
        self._note_news(lines)
        uids: set[int] = set()
        for line in lines:
            if isinstance(line, bytes) and _UID_LIST.match(line.strip()):
                uids.update(int(token) for token in line.split() if token.isdigit())
        # "N:*" always matches the highest UID, even when it is below N.
        return sorted(uid for uid in uids if uid > last_uid)

    async def fetch(self, uid: int) -> FetchedMail | None:
        """The whole message (without setting \\Seen), or None if it vanished meanwhile."""
        response = await self._client.uid("fetch", str(uid), "(UID INTERNALDATE BODY.PEEK[])")
        lines = _check(response, f"UID FETCH {uid}")
        self._note_news(lines)
        for index, line in enumerate(lines[:-1]):
            if not isinstance(line, bytes):
                continue
            match = _FETCH_UID.search(line)
            literal = lines[index + 1]
            if match and int(match.group(1)) == uid and isinstance(literal, bytes | bytearray):
                date = _INTERNALDATE.search(line)
                internal = parse_internal_date(date.group(1)) if date else None
                return FetchedMail(uid, bytes(literal), internal)
        return None

    async def wait_for_news(self) -> None:
        """Return when the mailbox may have changed: an IDLE push, the IDLE renewal time,
        or one polling interval when the server has no IDLE."""
        if self._news:
            self._news = False
            return
        client = self._client
        if not self.supports_idle:
            await asyncio.sleep(self.options.poll_interval_s)
            return
        if self._connection_lost:
            raise ImapError("IMAP connection lost")
        # The server's "+ idling" is awaited no longer than any other answer: a connection
        # lost (or a server gone silent) between the last command and IDLE's acknowledgement
        # would otherwise hold the reader, and the mailbox, until the node restarts.
        idle = await asyncio.wait_for(
            client.idle_start(timeout=self.options.idle_timeout_s), self.options.timeout_s
        )
        try:
            push = await client.wait_server_push(
                timeout=self.options.idle_timeout_s + self.options.timeout_s
            )
        except BaseException:
            client.idle_done()
            raise
        if push == _CONNECTION_LOST:
            raise ImapError("IMAP connection lost")
        bye = [line for line in push if isinstance(line, bytes) and line.startswith(b"BYE")]
        if bye:  # the server is closing the connection: no answer to DONE will come
            raise ImapError(f"IMAP server said {bye[0].decode('utf-8', 'replace')}")
        client.idle_done()
        _check(await asyncio.wait_for(idle, self.options.timeout_s), "IDLE")

    def close(self) -> None:
        """Drop the connection at once (no LOGOUT round trip: used on stop and on errors)."""
        client, self._client = self._client, None
        if client is None:
            return
        connecting = getattr(client, "_client_task", None)
        for task in [connecting, *client.tasks, *client.protocol.tasks]:
            if task is not None and not task.done():
                task.cancel()
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
