"""Runs connector instances and their long-lived tasks, restarting them with jittered backoff."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import random
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .base import BaseConnector, ConnectorContext
from .registry import connector_class, validate_options

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelSpec:
    """What the runner needs to know of a configured channel (no database types here)."""

    id: int
    kind: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


def backoff_delay(failures: int, base: float = 0.5, cap: float = 60.0) -> float:
    """Exponential backoff with full jitter, so restarting nodes do not stampede a source."""
    return random.uniform(0, min(cap, base * 2**failures))


ChannelKey = tuple[str, str]


class ConnectorRunner:
    def __init__(
        self, make_context: Callable[[ConnectorRunner, ChannelSpec], ConnectorContext]
    ) -> None:
        self._make_context = make_context
        self._connectors: dict[ChannelKey, BaseConnector] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Tasks a channel spawned, cancelled when that channel stops.
        self._channel_tasks: dict[ChannelKey, set[asyncio.Task[None]]] = {}

    def get(self, kind: str, name: str) -> BaseConnector | None:
        return self._connectors.get((kind, name))

    def running(self) -> list[tuple[ChannelKey, BaseConnector]]:
        """The channels started on this node, with their connectors (a snapshot)."""
        return list(self._connectors.items())

    async def start_channel(self, spec: ChannelSpec) -> BaseConnector:
        await self.stop_channel(spec.kind, spec.name)
        options = validate_options(spec.kind, spec.options)
        cls = connector_class(spec.kind)
        for module in cls.heavy_modules:
            if module not in sys.modules:
                await asyncio.to_thread(importlib.import_module, module)
        connector = cls(self._make_context(self, spec), options)
        await connector.start()
        self._connectors[(spec.kind, spec.name)] = connector
        log.info("channel %s:%s started", spec.kind, spec.name)
        return connector

    async def stop_channel(self, kind: str, name: str) -> None:
        connector = self._connectors.pop((kind, name), None)
        # A snapshot: each finished task removes itself from the channel's set.
        tasks = list(self._channel_tasks.pop((kind, name), set()))
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if connector is not None:
            await connector.stop()

    def supervise_for(
        self, channel: ChannelKey, name: str, run: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[None]:
        task = self.supervise(name, run)
        tasks = self._channel_tasks.setdefault(channel, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    def supervise(self, name: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Keep `run` going: on a crash, log it and start again after a jittered pause."""

        async def loop() -> None:
            failures = 0
            while True:
                try:
                    await run()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    delay = backoff_delay(failures)
                    failures += 1
                    log.exception("%s crashed (%d); restarting in %.1fs", name, failures, delay)
                    await asyncio.sleep(delay)

        task = asyncio.create_task(loop(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for kind, name in list(self._connectors):
            await self.stop_channel(kind, name)
