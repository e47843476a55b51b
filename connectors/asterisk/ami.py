"""AmiClient: a thin, supervised wrapper around panoramisk for one Asterisk.

- `run()` connects, waits for the Login reply, runs `on_ready` (the resync), then watches the
  link: a Ping every `ping_interval` s must be answered within `ping_timeout` s or the transport
  is aborted. On any loss it reconnects with jittered exponential backoff until `stop()`.
- Every action runs under `asyncio.wait_for`; a reply other than Success raises
  `AmiActionError` with Asterisk's message; actions in flight when the link drops fail with
  `AmiConnectionLost` (never silently re-sent on the next connection, as panoramisk would).
- Originate always carries Async (panoramisk 1.4 crashes without it), and returns as soon as
  Asterisk has queued it; the outcome arrives later as an OriginateResponse event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.runner import backoff_delay

from .amiproto import (
    AmiActionError,
    AmiConnectionLost,
    AmiError,
    AmiLoginError,
    AmiManager,
    AmiNotConnected,
    AmiTimeout,
    plain,
)
from .frames import Frame

log = logging.getLogger(__name__)

EventSink = Callable[[Frame, float], None]
ReadyHook = Callable[[], Awaitable[None]]
Fields = Mapping[str, str | Sequence[str]]

SUCCESS = frozenset({"Success", "Follows", "Goodbye"})


@dataclass(frozen=True)
class AmiSettings:
    username: str
    secret: str
    host: str = "127.0.0.1"
    port: int = 5038
    connect_timeout: float = 5.0
    login_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 10.0
    ping_timeout: float = 5.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0


class AmiClient:
    def __init__(
        self,
        settings: AmiSettings,
        *,
        on_event: EventSink,
        on_ready: ReadyHook | None = None,
        on_linked: Callable[[], None] | None = None,
        on_link: Callable[[bool], None] | None = None,
        on_reply: EventSink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._on_event = on_event
        self._on_reply = on_reply
        self._on_ready = on_ready
        # Told (without waiting for it) each time the link is up, resynced and takes actions.
        self._on_linked = on_linked
        # Told True when a session is up and in step, False when one is lost or fails.
        self._on_link = on_link
        self._clock = clock
        self._manager: AmiManager | None = None
        self._lost: asyncio.Future[str] | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._stopping = asyncio.Event()
        self._ready = asyncio.Event()
        # Sessions that got past login, and why the last one ended: for supervision and tests.
        self.sessions = 0
        self.last_loss: str | None = None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        """Until logged in and resynced (use under asyncio.timeout)."""
        await self._ready.wait()

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            logged_in = False
            try:
                logged_in = await self._session()
            except AmiLoginError as exc:
                log.error("AMI %s:%d: %s", self.settings.host, self.settings.port, exc)
            except (OSError, TimeoutError, AmiError) as exc:
                log.warning("AMI %s:%d: %r", self.settings.host, self.settings.port, exc)
            if self._stopping.is_set():
                break
            failures = 0 if logged_in else failures + 1
            delay = backoff_delay(failures, self.settings.backoff_base, self.settings.backoff_max)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def stop(self) -> None:
        self._stopping.set()
        manager = self._manager
        if manager is not None:
            with contextlib.suppress(AmiError):
                await self._send_on(manager, {"Action": "Logoff"}, False, 1.0)
            manager.abort("stopped")
        if self._lost is not None and not self._lost.done():
            self._lost.set_result("stopped")

    async def _session(self) -> bool:
        settings = self.settings
        loop = asyncio.get_running_loop()
        lost: asyncio.Future[str] = loop.create_future()
        login: asyncio.Future[bool] = loop.create_future()

        def on_lost(reason: str) -> None:
            if not lost.done():
                lost.set_result(reason)

        def on_login(ok: bool) -> None:
            if not login.done():
                login.set_result(ok)

        manager = AmiManager(
            on_lost=on_lost,
            on_login_result=on_login,
            loop=loop,
            host=settings.host,
            port=settings.port,
            username=settings.username,
            secret=settings.secret,
            events="on",
            log=log,
        )
        manager.register_event("*", self._dispatch)
        self._lost = lost
        watchdog: asyncio.Task[None] | None = None
        try:
            await asyncio.wait_for(manager.connect(), settings.connect_timeout)
            if not await asyncio.wait_for(login, settings.login_timeout):
                raise AmiLoginError(f"login refused for user {settings.username!r}")
            if self._stopping.is_set():
                return False
            self._manager = manager
            if self._on_ready is not None:
                await self._unless_lost(self._on_ready(), lost)
            self.sessions += 1
            self._ready.set()
            log.info("AMI %s:%d connected and in step", settings.host, settings.port)
            if self._on_link is not None:
                self._on_link(True)
            if self._on_linked is not None:
                self._on_linked()
            watchdog = asyncio.create_task(self._watchdog(manager))
            self.last_loss = await lost
            log.warning("AMI %s:%d lost: %s", settings.host, settings.port, self.last_loss)
            return True
        finally:
            self._ready.clear()
            self._manager = None
            if self._on_link is not None and not self._stopping.is_set():
                self._on_link(False)
            if watchdog is not None:
                watchdog.cancel()
            reason = lost.result() if lost.done() else "session abandoned"
            manager.abort(reason)
            self._fail_pending(manager, reason)

    async def _unless_lost(self, work: Awaitable[None], lost: asyncio.Future[str]) -> None:
        """Run `work` (the resync) but give up on it as soon as the connection goes."""
        task = asyncio.ensure_future(work)
        either: set[asyncio.Future[Any]] = {task, lost}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise AmiConnectionLost(lost.result())
        task.result()

    def _fail_pending(self, manager: AmiManager, reason: str) -> None:
        manager.awaiting_actions.clear()
        for future in list(self._pending):
            if not future.done():
                future.set_exception(AmiConnectionLost(reason))

    def _dispatch(self, manager: AmiManager, message: Any) -> None:
        try:
            self._on_event(plain(message), self._clock())
        except Exception:
            # Never let a consumer bug reach panoramisk: it would drop the connection.
            log.exception("AMI event consumer failed on %s", message.get("Event"))

    async def _watchdog(self, manager: AmiManager) -> None:
        settings = self.settings
        while True:
            await asyncio.sleep(settings.ping_interval)
            try:
                await self._send_on(manager, {"Action": "Ping"}, False, settings.ping_timeout)
            except AmiError as exc:
                log.warning("AMI peer silent (%s): dropping the connection", exc)
                manager.abort(f"watchdog: {exc}")
                return

    # -- actions ----------------------------------------------------------------------------

    async def send(
        self, fields: Fields, *, as_list: bool | None = False, reply_within: float | None = None
    ) -> list[Frame]:
        """Send one action; return its reply frames (the Response first). `as_list=None` lets
        panoramisk collect a multi-part reply up to its ...Complete event."""
        for key, value in fields.items():
            for item in [value] if isinstance(value, str) else value:
                if "\r" in item or "\n" in item or "\r" in key or "\n" in key:
                    raise ValueError(f"AMI {key} must be one line: {item!r}")
        manager = self._manager
        if manager is None:
            raise AmiNotConnected(f"AMI {fields.get('Action')}: not connected")
        limit = reply_within or self.settings.action_timeout
        return await self._send_on(manager, fields, as_list, limit)

    async def _send_on(
        self, manager: AmiManager, fields: Fields, as_list: bool | None, limit: float
    ) -> list[Frame]:
        name = str(fields["Action"])
        future = manager.send_action(dict(fields), as_list=as_list)
        self._pending.add(future)
        try:
            reply = await asyncio.wait_for(future, limit)
        except TimeoutError:
            raise AmiTimeout(f"AMI {name}: no reply within {limit:g} s") from None
        finally:
            self._pending.discard(future)
        frames = [plain(m) for m in reply] if isinstance(reply, list) else [plain(reply)]
        if self._on_reply is not None:
            # Any reply (a Ping's above all) shows the link alive: told with its instant.
            self._on_reply(frames[0], self._clock())
        if frames[0].get("Response") not in SUCCESS:
            raise AmiActionError(name, frames[0])
        return frames

    async def ping(self) -> Frame:
        return (await self.send({"Action": "Ping"}))[0]

    async def originate(
        self,
        *,
        channel: str,
        exten: str,
        context: str,
        caller_id: str | None = None,
        priority: int = 1,
        timeout_s: float = 30.0,
        variables: Mapping[str, str] | None = None,
    ) -> Frame:
        """Click-to-call: ring `channel` (the agent's phone), then dial `exten` in `context`."""
        fields: dict[str, str | Sequence[str]] = {
            "Action": "Originate",
            "Channel": channel,
            "Context": context,
            "Exten": exten,
            "Priority": str(priority),
            "Timeout": str(round(timeout_s * 1000)),
            "Async": "true",
        }
        if caller_id:
            fields["CallerID"] = caller_id
        if variables:
            fields["Variable"] = [f"{key}={value}" for key, value in variables.items()]
        return (await self.send(fields))[0]

    async def redirect(self, *, channel: str, exten: str, context: str, priority: int = 1) -> Frame:
        """Blind transfer by Redirect: send `channel` (the caller's leg) to exten@context."""
        fields = {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten}
        return (await self.send({**fields, "Priority": str(priority)}))[0]

    async def blind_transfer(self, *, channel: str, exten: str, context: str) -> Frame:
        """Blind transfer as the transferer's phone would do it (BlindTransfer event follows)."""
        fields = {"Action": "BlindTransfer", "Channel": channel, "Context": context}
        return (await self.send({**fields, "Exten": exten}))[0]

    async def atxfer(self, *, channel: str, exten: str, context: str) -> Frame:
        """Attended transfer started from `channel` (the agent's leg): consult `exten` first."""
        fields = {"Action": "Atxfer", "Channel": channel, "Context": context, "Exten": exten}
        return (await self.send(fields))[0]

    async def queue_pause(
        self, *, interface: str, paused: bool, queue: str | None = None, reason: str | None = None
    ) -> Frame:
        fields = {"Action": "QueuePause", "Interface": interface}
        if queue:
            fields["Queue"] = queue
        fields["Paused"] = "true" if paused else "false"
        if reason and paused:
            fields["Reason"] = reason
        return (await self.send(fields))[0]

    async def core_show_channels(self) -> list[Frame]:
        return await self.send({"Action": "CoreShowChannels"}, as_list=None)

    async def queue_status(self, queue: str | None = None) -> list[Frame]:
        fields = {"Action": "QueueStatus"}
        if queue:
            fields["Queue"] = queue
        return await self.send(fields, as_list=None)
