"""The checks of deploy/check.sh, run by the Okno it installed (its venv's python).

    python check_flow.py STATE.json PHASE [--kill PID]

PHASE is one of: redirect, login, form-once, failover, both-serve. Each prints one line per
check ("ok   ..." or "FAIL ...") and exits 1 at the first failure. STATE.json (written by
check.sh) holds the addresses, the CA file, the database DSN and the operator's login.
Every wait is for a condition, with a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]

HSTS = "max-age=31536000"


class CheckFailed(Exception):
    pass


def ok(text: str) -> None:
    print(f"ok   {text}", flush=True)


def require(condition: bool, text: str) -> None:
    if not condition:
        raise CheckFailed(text)


async def until(probe: Callable[[], Awaitable[bool]], what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not await probe():
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: not within {within:g} s")
        await asyncio.sleep(0.2)


class Flow:
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.tls = ssl.create_default_context(cafile=state["ca"])
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for 127.0.0.1
            connector=aiohttp.TCPConnector(ssl=self.tls),
            timeout=aiohttp.ClientTimeout(total=20),
        )

    async def close(self) -> None:
        await self.http.close()

    async def db(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.state["dsn"])
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    async def login(self) -> str:
        """Logs the operator in through nginx; returns the session token."""
        https = self.state["https"]
        async with self.http.get(f"{https}/login") as page:
            require(page.status == 200, f"GET /login through nginx answered {page.status}")
            found = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
            require(found is not None, "the login page has no csrf_token")
            assert found is not None
        form = {
            "login": self.state["login"],
            "password": self.state["password"],
            "csrf_token": found.group(1),
            "next": "/",
        }
        async with self.http.post(f"{https}/login", data=form, allow_redirects=False) as done:
            require(done.status == 303, f"POST /login answered {done.status}")
            cookies = [c for c in done.headers.getall("Set-Cookie", []) if "okno_session=" in c]
            require(len(cookies) == 1, "no session cookie after logging in")
            require("Secure" in cookies[0], f"the session cookie is not Secure: {cookies[0]}")
            hsts = done.headers.getall("Strict-Transport-Security", [])
            require(hsts == [HSTS], f"expected one HSTS header {HSTS!r}, got {hsts}")
            token = re.match(r"okno_session=([^;]+)", cookies[0])
            assert token is not None
        async with self.http.get(f"{https}/api/v1/me") as me:
            require(me.status == 200, f"GET /api/v1/me after login answered {me.status}")
            require((await me.json())["login"] == self.state["login"], "logged in as another")
        return token.group(1)

    async def post_form(self, base: str, token: str, text: str) -> dict[str, Any]:
        data = {"submission_token": token, "name": "Проверка", "phone": "+79161234567"}
        async with self.http.post(f"{base}/forms/demo", json={**data, "message": text}) as sent:
            if sent.status != 200:
                raise CheckFailed(f"POST {base}/forms/demo answered {sent.status}")
            body: dict[str, Any] = await sent.json()
            return body

    async def post_until_accepted(self, base: str, token: str, text: str) -> int:
        """A client's retry: the same token again until acknowledged; returns the failures."""
        failures = 0
        while True:
            try:
                await self.post_form(base, token, text)
                return failures
            except (CheckFailed, aiohttp.ClientError, TimeoutError):
                failures += 1
                if failures > 50:
                    raise
                await asyncio.sleep(0.2)

    async def socket_on_b(self, session_token: str) -> aiohttp.ClientWebSocketResponse:
        ws = await self.http.ws_connect(
            self.state["node_b"] + "/ws", headers={"Cookie": f"okno_session={session_token}"}
        )
        hello = await ws.receive_json(timeout=10)
        require(hello.get("type") == "hello", f"node B's socket said {hello}")
        return ws


async def frame_of_type(ws: aiohttp.ClientWebSocketResponse, kind: str, within: float) -> None:
    """Reads the socket (events may come first) until a frame of type `kind`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            frame = await ws.receive_json(timeout=deadline - time.monotonic())
        except TimeoutError:
            break
        if frame.get("type") == kind:
            return
    raise CheckFailed(f"no {kind!r} frame within {within:g} s")


async def refuses(url: str) -> bool:
    try:
        _, writer = await asyncio.open_connection(*url.removeprefix("http://").split(":"))
    except OSError:
        return True
    writer.close()
    return False


class SocketReader:
    """Reads the operator's socket all along, as a browser does (which also answers the
    node's heartbeat pings: a socket left unread under load is closed by the node as dead),
    and keeps the texts of the message.created events it received."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.texts: set[str] = set()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame.get("type") == "event" and frame.get("kind") == "message.created":
                self.texts.add(frame["payload"]["message"].get("text", ""))

    async def saw(self, wanted: set[str], within: float) -> None:
        """Until every text in `wanted` arrived; fails if the socket closed first."""
        deadline = time.monotonic() + within
        while not wanted <= self.texts:
            if self.task.done():
                raise CheckFailed(f"node B's socket closed ({self.ws.close_code})")
            if time.monotonic() > deadline:
                missing = len(wanted - self.texts)
                raise CheckFailed(f"{missing} of {len(wanted)} never reached node B's socket")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        await self.ws.close()
        await self.task


async def redirect(flow: Flow) -> None:
    async with flow.http.get(flow.state["http"] + "/login", allow_redirects=False) as answer:
        location = answer.headers.get("Location", "")
        require(answer.status == 301 and location.startswith("https://"), "no HTTPS redirect")
    ok(f"plain HTTP redirects to HTTPS ({location})")


async def login(flow: Flow) -> None:
    await flow.login()
    ok("an operator logs in through nginx; the session cookie is Secure, HSTS is sent once")
    https = flow.state["https"]
    # As a browser on the site: its Origin must match the Host nginx passes on.
    ws = await flow.http.ws_connect(f"wss{https[5:]}/ws", origin=https)
    hello = await ws.receive_json(timeout=10)
    require(hello.get("type") == "hello", f"the socket through nginx said {hello}")
    await ws.send_json({"type": "ping"})
    await frame_of_type(ws, "pong", 10)
    await ws.close()
    ok("the workspace websocket upgrades through nginx (wss, same-site Origin accepted)")


async def form_once(flow: Flow) -> None:
    token, text = str(uuid.uuid4()), f"check-once-{uuid.uuid4().hex[:8]}"
    first = await flow.post_form(flow.state["https"], token, text)
    again = await flow.post_form(flow.state["https"], token, text)
    require(first["duplicate"] is False and again["duplicate"] is True, f"{first}, {again}")
    require(first["request_number"] == again["request_number"], "the repeat got a new number")

    async def landed() -> bool:
        rows = await flow.db("SELECT count(*) AS n FROM messages WHERE text = $1", text)
        return int(rows[0]["n"]) >= 1

    await until(landed, "the web form's message", 15)
    events = await flow.db("SELECT count(*) AS n FROM inbound_events WHERE external_id = $1", token)
    messages = await flow.db("SELECT count(*) AS n FROM messages WHERE text = $1", text)
    require(events[0]["n"] == 1 and messages[0]["n"] == 1, "the form did not land exactly once")
    ok("a web form posted twice through nginx is stored once and makes one message")


async def failover(flow: Flow, pid_a: int) -> None:
    reader = SocketReader(await flow.socket_on_b(await flow.login()))
    seen_on_b = {f"check-cross-{uuid.uuid4().hex[:8]}"}
    accepted = await flow.post_form(flow.state["node_a"], str(uuid.uuid4()), next(iter(seen_on_b)))
    require(accepted["duplicate"] is False, "node A did not accept a new request")
    await reader.saw(seen_on_b, 15)
    ok("a request accepted by node A reaches the operator's websocket held on node B")

    acked: dict[str, str] = {}
    after_kill: set[str] = set()
    failures = 0
    killed = asyncio.Event()

    async def client(n: int) -> None:
        nonlocal failures
        for i in range(30):
            token, text = str(uuid.uuid4()), f"check-load-{n}-{i}-{uuid.uuid4().hex[:6]}"
            was_killed = killed.is_set()
            failures += await flow.post_until_accepted(flow.state["https"], token, text)
            acked[token] = text
            if was_killed:
                after_kill.add(text)
            if len(acked) == 20 and not killed.is_set():
                os.kill(pid_a, signal.SIGKILL)
                killed.set()

    await asyncio.gather(*(client(n) for n in range(4)))
    require(await refuses(flow.state["node_a"]), "node A still accepts connections after SIGKILL")
    require(killed.is_set() and len(after_kill) >= 40, "too few requests after the kill")
    ok(
        f"node A killed with SIGKILL under load: all {len(acked)} posts acknowledged through "
        f"nginx ({len(after_kill)} after the kill; {failures} retried by the client)"
    )

    stored = await flow.db(
        "SELECT external_id, status FROM inbound_events WHERE external_id = ANY($1::text[])",
        list(acked),
    )
    require(len(stored) == len(acked), f"{len(acked) - len(stored)} acknowledged requests lost")
    doubled = await flow.db(
        "SELECT text FROM messages WHERE text = ANY($1::text[]) GROUP BY text HAVING count(*) > 1",
        list(acked.values()),
    )
    require(not doubled, f"requests made two messages: {[r['text'] for r in doubled]}")
    waiting = sum(1 for row in stored if row["status"] != "processed")
    ok(
        f"nothing acknowledged was lost: {len(stored)}/{len(acked)} stored once, none doubled "
        f"({waiting} claimed by node A wait for their retry)"
    )
    await reader.saw(after_kill, 30)
    ok(f"node B's websocket stayed up and received all {len(after_kill)} requests after the kill")
    await reader.close()


async def both_serve(flow: Flow) -> None:
    nodes: set[str] = set()

    async def both_answer() -> bool:
        async with flow.http.get(flow.state["https"] + "/readyz") as answer:
            if answer.status == 200:
                nodes.add((await answer.json())["node"])
        return len(nodes) == 2

    await until(both_answer, "nginx sending requests to both nodes again", 60)
    for name in ("node_a", "node_b"):
        token, text = str(uuid.uuid4()), f"check-back-{uuid.uuid4().hex[:8]}"
        require(not (await flow.post_form(flow.state[name], token, text))["duplicate"], name)
    ok("node A is back: nginx serves from both nodes and each accepts a request")


PHASES = ("redirect", "login", "form-once", "failover", "both-serve")


async def run(state: dict[str, Any], phase: str, kill: int | None) -> None:
    flow = Flow(state)
    steps: dict[str, Callable[[Flow], Awaitable[None]]] = {
        "redirect": redirect,
        "login": login,
        "form-once": form_once,
        "failover": lambda flow: failover(flow, kill if kill is not None else 0),
        "both-serve": both_serve,
    }
    try:
        require(phase != "failover" or kill is not None, "failover needs --kill PID")
        await steps[phase](flow)
    finally:
        await flow.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state")
    parser.add_argument("phase", choices=PHASES)
    parser.add_argument("--kill", type=int)
    args = parser.parse_args()
    try:
        with open(args.state, encoding="utf-8") as fh:
            state = json.load(fh)
        asyncio.run(run(state, args.phase, args.kill))
    except CheckFailed as exc:
        print(f"FAIL {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
