"""panoramisk, adjusted: our frame parser on the socket, and no reconnect or keepalive of its own.

panoramisk 1.4 reconnects by itself at a fixed interval, re-sends unanswered actions after the
next FullyBooted (a second Originate!), and pings without ever checking the reply. `AmiClient`
drives the connection instead: one `_Manager` per connection, whose loss and login outcome are
reported to it, while panoramisk keeps doing what it does well (action ids, multi-part replies,
event dispatch). Its own parser is replaced by `FrameParser`, which survives garbage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from panoramisk import Manager, Message
from panoramisk.ami_protocol import AMIProtocol

from connectors.capabilities import (
    CallControlError,
    CallControlRefused,
    CallControlTimeout,
    CallControlUnavailable,
)

from .frames import FrameParser

# Each is also the call-control error the hub knows (connectors.capabilities), so the hub
# maps them without knowing this is Asterisk.


class AmiError(CallControlError):
    """Anything that went wrong talking to Asterisk."""


class AmiNotConnected(AmiError, CallControlUnavailable):
    pass


class AmiConnectionLost(AmiError, CallControlUnavailable):
    pass


class AmiTimeout(AmiError, CallControlTimeout):
    pass


class AmiLoginError(AmiError):
    pass


class AmiActionError(AmiError, CallControlRefused):
    """Asterisk answered an action with Response: Error (or anything but Success)."""

    def __init__(self, action: str, reply: dict[str, str]) -> None:
        reason = reply.get("Message") or reply.get("Response") or "no reason given"
        super().__init__(action, reason, reply)
        self.args = (f"AMI {action} failed: {reason}",)


class AmiProtocol(AMIProtocol):  # type: ignore[misc]
    version: str | None
    parser: FrameParser

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.parser = FrameParser()

    def data_received(self, data: bytes) -> None:
        for frame in self.parser.feed(data):
            if self.version is None and self.parser.banner:
                self.version = self.parser.banner.partition("/")[2]
            self.handle_message(Message(frame))

    def connection_lost(self, exc: Exception | None) -> None:
        self.parser.close()
        super().connection_lost(exc)


class AmiManager(Manager):  # type: ignore[misc]
    """One AMI connection. `on_lost(reason)` fires once when it ends, however it ends;
    `on_login(ok)` once the Login action is answered."""

    pinger: asyncio.TimerHandle | None

    def __init__(
        self,
        *,
        on_lost: Callable[[str], None],
        on_login_result: Callable[[bool], None],
        **config: Any,
    ) -> None:
        super().__init__(protocol_factory=AmiProtocol, **config)
        self._on_lost = on_lost
        self._on_login_result = on_login_result
        self._abort_reason: str | None = None

    def connection_made(self, future: asyncio.Future[Any]) -> None:
        # A failed connect is seen by whoever awaits connect(); panoramisk would retry here.
        if future.cancelled() or future.exception() is not None:
            return
        super().connection_made(future)

    def login(self, future: asyncio.Future[Any]) -> bool:
        try:
            ok = bool(super().login(future))
        except (asyncio.CancelledError, Exception):
            ok = False
        self._on_login_result(ok)
        return ok

    def ping(self) -> None:
        """panoramisk's blind keepalive is replaced by AmiClient's watchdog."""

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        reason = self._abort_reason or (f"{type(exc).__name__}: {exc}" if exc else "peer closed")
        self._on_lost(reason)

    def abort(self, reason: str) -> None:
        """Drop the connection now (no Logoff): on_lost follows from the transport."""
        self._abort_reason = reason
        protocol = self.protocol
        if protocol is not None and not protocol.closed:
            protocol.transport.abort()
        else:
            self._on_lost(reason)


def plain(message: Any) -> dict[str, str]:
    """A panoramisk Message as a plain dict (it adds a 'content' key of its own)."""
    return {str(k): v for k, v in message.items() if k != "content"}
