"""A local server speaking VK's wire format: API methods, Bots Long Poll and upload servers.

It answers from the fixtures in tests/fixtures/vk (plus VK-format answers written here for
what the fixtures lack), lets a test script the next answers, and records every request.
"""

from __future__ import annotations

import asyncio
import copy
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.test_utils import TestServer

from connectors.testing import Fixtures

VK = Fixtures("vk")
GROUP_ID = 227118430
USER_ID = 612345678
NAMES = {USER_ID: ("Марина", "Кравцова"), 498765432: ("Сергей", "Кузнецов")}

# VK's answer to error 6, in the shape of messages_send__error_901.json.
ERROR_6 = {
    "error": {
        "error_code": 6,
        "error_msg": "Too many requests per second",
        "request_params": [
            {"key": "method", "value": "messages.send"},
            {"key": "oauth", "value": "1"},
            {"key": "v", "value": "5.199"},
        ],
    }
}
BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
UNKNOWN_METHOD = {"error": {"error_code": 3, "error_msg": "Unknown method passed"}}


@dataclass(frozen=True)
class Call:
    name: str  # an API method, "a_check" or "upload:<kind>"
    params: dict[str, str]


Answer = Any  # a JSON-able body, or web.Response for a raw one


class FakeVk:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.scripted: dict[str, deque[Answer]] = defaultdict(deque)
        self.polls: deque[Answer] = deque()
        self._more_polls = asyncio.Event()
        self.on_poll: Callable[[Call], Awaitable[None]] | None = None
        self.uploads: list[tuple[str, str, bytes]] = []
        # While True, every request gets what VK's front servers answer when the API behind
        # them is down: 502 with nginx's HTML page (no JSON to read).
        self.outage = False
        app = web.Application(middlewares=[self._front])
        app.router.add_route("*", "/method/{name}", self._method)
        app.router.add_get("/whp/{group}", self._poll)
        app.router.add_post("/upload/{kind}", self._upload)
        self.server = TestServer(app, host="127.0.0.1", port=0)

    async def start(self) -> FakeVk:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        self._more_polls.set()
        await self.server.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base}/method/"

    @web.middleware
    async def _front(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.outage:
            self.calls.append(Call("outage", dict(request.query)))
            return web.Response(status=502, text=BAD_GATEWAY, content_type="text/html")
        return await handler(request)

    def script(self, method: str, *answers: Answer) -> None:
        self.scripted[method].extend(answers)

    def script_polls(self, *answers: Answer) -> None:
        self.polls.extend(answers)
        self._more_polls.set()

    def called(self, name: str) -> list[dict[str, str]]:
        return [c.params for c in self.calls if c.name == name]

    def longpoll_server(self, key: str | None = None, ts: str | None = None) -> dict[str, Any]:
        """groups.getLongPollServer's answer, pointing at this server."""
        answer: dict[str, Any] = VK.json("groups_get_long_poll_server__response.json")
        answer["response"]["server"] = f"{self.base}/whp/{GROUP_ID}"
        if key is not None:
            answer["response"]["key"] = key
        if ts is not None:
            answer["response"]["ts"] = ts
        return answer

    def _default(self, method: str, params: dict[str, str]) -> Answer:
        match method:
            case "groups.getLongPollServer":
                return self.longpoll_server()
            case "messages.send":
                return VK.json("messages_send__ok.json")
            case "users.get":
                # One user or several, comma-separated, as VK takes them.
                users = []
                for uid in map(int, params.get("user_ids", str(USER_ID)).split(",")):
                    first, last = NAMES.get(uid, ("Гость", ""))
                    users.append({"id": uid, "first_name": first, "last_name": last})
                return {"response": users}
            case "photos.getMessagesUploadServer":
                return {"response": {"upload_url": f"{self.base}/upload/photo", "album_id": -64}}
            case "photos.saveMessagesPhoto":
                return {
                    "response": [
                        {
                            "id": 457239601,
                            "owner_id": -GROUP_ID,
                            "access_key": "5c8a1e",
                            "sizes": [],
                        }
                    ]
                }
            case "docs.getMessagesUploadServer":
                return {"response": {"upload_url": f"{self.base}/upload/doc"}}
            case "docs.save":
                doc = {"id": 678912399, "owner_id": -GROUP_ID, "title": params.get("title", "")}
                return {"response": {"type": "doc", "doc": doc}}
        return UNKNOWN_METHOD

    async def _method(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        params = {**request.query, **{k: str(v) for k, v in (await request.post()).items()}}
        self.calls.append(Call(name, params))
        queue = self.scripted[name]
        answer = queue.popleft() if queue else self._default(name, params)
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(copy.deepcopy(answer))

    async def _poll(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        call = Call("a_check", params)
        self.calls.append(call)
        if self.on_poll is not None:
            await self.on_poll(call)
        if not self.polls:
            # Like VK: hold the request until something happens or `wait` runs out.
            self._more_polls.clear()
            try:
                await asyncio.wait_for(self._more_polls.wait(), float(params.get("wait", 1)))
            except TimeoutError:
                pass
        if not self.polls:
            return web.json_response({"ts": params.get("ts"), "updates": []})
        answer = self.polls.popleft()
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(copy.deepcopy(answer))

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        reader = await request.multipart()
        field = await reader.next()
        assert isinstance(field, BodyPartReader)
        data = await field.read()
        self.uploads.append((kind, field.name or "", bytes(data)))
        self.calls.append(Call(f"upload:{kind}", {"field": field.name or ""}))
        if kind == "photo":
            return web.json_response({"server": 851234, "photo": '[{"photo":"b1"}]', "hash": "9e1"})
        return web.json_response({"file": "612345678|0|-1|851234|5a7e|pdf|1843377|x.pdf|hash"})
