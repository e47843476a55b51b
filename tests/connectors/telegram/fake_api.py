"""A Bot API server double on loopback that speaks Telegram's wire format.

Requests arrive as `POST /bot<token>/<method>` with form data (what aiogram sends) or JSON;
answers are `{"ok": true, "result": ...}` or Telegram's error objects with the matching
HTTP status, taken from the fixtures. Every call is recorded with its parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.testing import Fixtures

TELEGRAM = Fixtures("telegram")
TOKEN = "7123456789:AAFq3kM9Xz1bV7nT5wR2yL8pC4dH6sJ0eGu"
BOT_USER = {
    "id": 7123456789,
    "is_bot": True,
    "first_name": "Окно | Заявки",
    "username": "okno_support_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


def error_reply(name: str) -> Reply:
    body = TELEGRAM.json(name)
    return Reply(int(body["error_code"]), body)


def sent_message(message_id: int, **content: Any) -> Reply:
    """A sendX success shaped like the recorded sendMessage answer, with its own id/content."""
    result = dict(TELEGRAM.json("send_message__ok.json")["result"])
    result.pop("text")
    result.update(message_id=message_id, **content)
    return Reply(200, {"ok": True, "result": result})


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # What `snapshot` saw at the moment the call arrived (stored rows, say).
    snapshot: Any = None


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.replies: dict[str, deque[Reply]] = {}
        # Called as each request arrives, to record the state of the world at that moment.
        self.snapshot: Callable[[], Awaitable[Any]] | None = None
        self._news = asyncio.Event()
        self._closing = False
        self._called = asyncio.Condition()
        # Downloadable files by file_path (GET /file/bot<token>/<path>), and what was fetched.
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        self.base_url = ""

    async def start(self) -> str:
        await self.server.start_server()
        self.base_url = f"http://127.0.0.1:{self.server.port}"
        return self.base_url

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._news.set()  # end pending long polls now
        await self.server.close()

    # -- scripting -------------------------------------------------------------------------

    def queue(self, method: str, *replies: Reply) -> None:
        self.replies.setdefault(method, deque()).extend(replies)
        self._news.set()

    def queue_updates(self, *updates: dict[str, Any]) -> None:
        self.queue("getUpdates", Reply(200, {"ok": True, "result": list(updates)}))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, method: str, match: Callable[[Call], bool] = lambda c: True, timeout: float = 10
    ) -> Call:
        async def found() -> Call:
            async with self._called:
                while True:
                    for call in self.calls_of(method):
                        if match(call):
                            return call
                    await self._called.wait()

        return await asyncio.wait_for(found(), timeout)

    # -- the server ------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        if request.content_type == "application/json":
            return await request.json(), {}
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            else:
                params[key] = value
        return params, files

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if request.match_info["token"] != self.token or path not in self.files:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(path)
        return web.Response(body=self.files[path], content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        method = request.match_info["method"]
        params, files = await self._params(request)
        call = Call(method, params, files)
        if self.snapshot is not None:
            call.snapshot = await self.snapshot()
        async with self._called:
            self.calls.append(call)
            self._called.notify_all()
        reply = await self._reply(request, method, params)
        return web.json_response(reply.body, status=reply.status)

    async def _reply(self, request: web.Request, method: str, params: dict[str, Any]) -> Reply:
        queued = self.replies.get(method)
        if method == "getUpdates" and not queued:
            # A long poll: wait for news up to the requested timeout, like Telegram.
            self._news.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), float(params.get("timeout") or 0))
            queued = self.replies.get(method)
            # A poller that hung up (its channel stopped) must not swallow the news.
            gone = request.transport is None or request.transport.is_closing()
            if self._closing or gone or not queued:
                return Reply(200, {"ok": True, "result": []})
        if queued:
            return queued.popleft()
        return self._default(method)

    def _default(self, method: str) -> Reply:
        if method == "sendMessage":
            return Reply(200, TELEGRAM.json("send_message__ok.json"))
        if method == "getMe":
            return Reply(200, {"ok": True, "result": BOT_USER})
        if method in ("deleteWebhook", "setWebhook", "answerCallbackQuery"):
            return Reply(200, {"ok": True, "result": True})
        body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return Reply(404, body)
