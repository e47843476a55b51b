"""Commands: ask whichever node can do something to do it, and get its answer back.

Some work can only be done by one node: the one holding a PBX's AMI lease has the only live
link to it. A command is a JSON object sent on a topic; every node's handler for that topic
looks at it and either declines (returns None: not mine) or accepts it (returns the work to
run). The first node to accept runs it and its result comes back to the requester; when no
node accepts within `accept_within` seconds the request fails with `CommandUnanswered`.

MemoryCommands is the single-process backend (handlers of this process only). RedisCommands
carries requests over pub/sub (one pattern subscription per node) and replies over a list
per request: the requester BLPOPs it for an "accepted" marker, then for the result; a
SET NX claim makes sure a single node runs each request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import redis.asyncio as aioredis

from hub.outages import OUTAGES, REDIS, log_failure

log = logging.getLogger(__name__)

Payload = dict[str, Any]
# Accept (the work to run) or decline (None) a command; decided without waiting.
Handler = Callable[[Payload], Awaitable[Payload] | None]

REPLY_TTL_S = 60


class CommandUnanswered(Exception):
    """No node took the command (none can do it right now), or its answer never came."""


class Commands(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def serve(self, topic: str, handler: Handler) -> None: ...

    async def request(
        self, topic: str, payload: Payload, *, accept_within: float, reply_within: float
    ) -> Payload: ...


async def _run(work: Awaitable[Payload]) -> Payload:
    """The handler's result; a crash becomes an error reply rather than silence."""
    try:
        return await work
    except Exception as exc:
        log.exception("command handler failed")
        return {"error": {"kind": "crashed", "message": f"{type(exc).__name__}: {exc}"}}


class MemoryCommands:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._handlers.clear()

    def serve(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler

    async def request(
        self, topic: str, payload: Payload, *, accept_within: float, reply_within: float
    ) -> Payload:
        handler = self._handlers.get(topic)
        work = handler(payload) if handler is not None else None
        if work is None:
            raise CommandUnanswered(f"no node takes {topic} commands")
        try:
            return await asyncio.wait_for(_run(work), reply_within)
        except TimeoutError:
            raise CommandUnanswered(f"{topic}: no answer within {reply_within:g} s") from None


class RedisCommands:
    def __init__(self, url: str, prefix: str = "okno:") -> None:
        self._client: aioredis.Redis = aioredis.from_url(url)
        self._prefix = f"{prefix}cmd:"
        self._handlers: dict[str, Handler] = {}
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="redis-commands")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def close(self) -> None:
        tasks = [t for t in (self._reader, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    def serve(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler

    async def request(
        self, topic: str, payload: Payload, *, accept_within: float, reply_within: float
    ) -> Payload:
        reply_key = f"{self._prefix}reply:{uuid.uuid4().hex}"
        message = json.dumps({"reply_to": reply_key, "payload": payload})
        try:
            await self._client.publish(f"{self._prefix}{topic}", message)
            if await self._pop(reply_key, wait_s=accept_within) is None:
                raise CommandUnanswered(f"no node took the {topic} command")
            reply = await self._pop(reply_key, wait_s=reply_within)
        finally:
            await self._client.delete(reply_key)
        if reply is None:
            raise CommandUnanswered(f"{topic}: no answer within {reply_within:g} s")
        return reply

    async def _pop(self, key: str, *, wait_s: float) -> Payload | None:
        item = await self._client.blpop([key], timeout=wait_s)
        if item is None:
            return None
        value = json.loads(item[1])
        return value if isinstance(value, dict) else None

    async def _read_forever(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{self._prefix}*")
                    OUTAGES.recovered(REDIS)
                    self._ready.set()
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            self._received(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting must not end the node's command service
                log_failure(log, exc, "the command channel's subscription")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def _received(self, channel: bytes, data: bytes) -> None:
        topic = channel.decode().removeprefix(self._prefix)
        handler = self._handlers.get(topic)
        if handler is None:
            return
        try:
            message = json.loads(data)
            reply_to, payload = str(message["reply_to"]), dict(message["payload"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring malformed command %r", data[:200])
            return
        work = handler(payload)
        if work is None:
            return
        task = asyncio.create_task(self._answer(reply_to, work))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, reply_to: str, work: Awaitable[Payload]) -> None:
        started = False
        try:
            if not await self._client.set(f"{reply_to}:claim", "1", nx=True, ex=REPLY_TTL_S):
                return  # another node took it
            await self._push(reply_to, {"accepted": True})
            started = True
            await self._push(reply_to, await _run(work))
        finally:
            # Work another node took is never started: close it, or Python warns.
            if not started and asyncio.iscoroutine(work):
                work.close()

    async def _push(self, key: str, value: Payload) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(value))
            pipe.expire(key, REPLY_TTL_S)
            await pipe.execute()


def create_commands(redis_url: str | None, prefix: str) -> MemoryCommands | RedisCommands:
    return RedisCommands(redis_url, prefix) if redis_url else MemoryCommands()
