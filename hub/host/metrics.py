"""The node's Prometheus instruments, and the few hooks that count what only happens in memory.

Each app has a registry of its own (never prometheus_client's global one), so two nodes in
one test process keep separate figures. What the database knows (queues, outbox, retries,
leases) is read at scrape time (hub/host/metrics_scrape.py); what it cannot know (a
duplicate that was never stored, how long processing took, a socket being open) is counted
here, by wrapping the ingestor and by a middleware. Every hook is an in-memory increment:
nothing here waits on I/O.

Under `okno run --workers N` (PROMETHEUS_MULTIPROC_DIR set by hub.host.processes) the counted
instruments live in prometheus_client's shared files and whichever worker answers /metrics
adds up all of them: counters and histograms summed, open sockets summed over live workers, a
link's state the latest any worker wrote. The database-backed figures are `ScrapeGauge`s,
kept in the answering process only: it reads them for the whole node, and another worker's
older reading must not be merged in (nor outlive a series the database no longer has).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import IntegrityError

from connectors.base import Inbound, Receipt, UnreadableInput
from hub.actions.inbound import ClaimedEvent
from hub.actions.uow import UnitOfWork
from hub.core import Hub
from routing.ingest import Ingestor, source_of

# Seconds from a new event's arrival to the end of its first processing attempt.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# The workspace's and the website chat's sockets, by their route (agent_ui registers them).
SOCKET_ROUTES = {"/ws": "workspace", "/widget/{name}/ws": "widget"}


class _ScrapeChild:
    def __init__(self, values: dict[tuple[str, ...], float], key: tuple[str, ...]) -> None:
        self._values = values
        self._key = key

    def set(self, value: float) -> None:
        self._values[self._key] = float(value)


class ScrapeGauge(Collector):
    """A gauge set by the scrape from the database right before rendering, held in this
    process's memory only (never in the multiprocess files, whatever the mode)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        registry: CollectorRegistry,
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labelnames = list(labelnames)
        # Like a prometheus_client Gauge, one without labels reads 0 until set.
        self._values: dict[tuple[str, ...], float] = {} if labelnames else {(): 0.0}
        registry.register(self)

    def labels(self, *values: str) -> _ScrapeChild:
        if len(values) != len(self._labelnames):
            raise ValueError(f"{self._name} takes labels {self._labelnames}")
        return _ScrapeChild(self._values, tuple(str(v) for v in values))

    def set(self, value: float) -> None:
        self.labels().set(value)

    def clear(self) -> None:
        self._values.clear()

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self._name, self._documentation, labels=self._labelnames)
        for key, value in self._values.items():
            family.add_metric(list(key), value)
        yield family


def shared_across_processes() -> bool:
    """Whether this process is one worker of several (prometheus_client's multiprocess mode)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    def __init__(self) -> None:
        # What /metrics renders. Alone, the instruments register here; one worker of several
        # renders every worker's files instead, and its instruments' own registry is unused.
        self.registry = CollectorRegistry()
        r = self.registry
        if shared_across_processes():
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
            r = CollectorRegistry()
        shown = self.registry
        # One scrape at a time refreshes the database gauges and renders them.
        self.scrape_lock = asyncio.Lock()
        # Whether the last scrape could read the database (its loss is logged once).
        self.database_reachable = True
        self.inbound_events = Counter(
            "okno_inbound_events",
            "Inbound events by channel (kind:name) and outcome: stored, duplicate (a repeat "
            "of a stored one), failed (not stored; the source was told to retry)",
            ["channel", "outcome"],
            registry=r,
        )
        self.unreadable = Counter(
            "okno_inbound_unreadable",
            "Inputs a connector could not read, stored raw and acknowledged (never retried by "
            "the source), by channel and kind",
            ["channel", "kind"],
            registry=r,
        )
        self.processing_seconds = Histogram(
            "okno_inbound_processing_seconds",
            "From a new event's arrival to the end of its first processing attempt",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.processing_failures = Counter(
            "okno_inbound_processing_failures",
            "Processing attempts of stored events that failed (each is retried later)",
            ["channel"],
            registry=r,
        )
        self.retries_pending = ScrapeGauge(
            "okno_inbound_retries_pending",
            "Stored events whose processing failed and will be retried",
            ["channel"],
            registry=shown,
        )
        self.gave_up = ScrapeGauge(
            "okno_inbound_gave_up",
            "Stored events that failed every attempt and wait for a person",
            ["channel"],
            registry=shown,
        )
        self.outbox = ScrapeGauge(
            "okno_outbox_messages",
            "Outgoing messages waiting to be sent (queued) or given up (failed), by channel",
            ["channel", "status"],
            registry=shown,
        )
        self.websockets = Gauge(
            "okno_websocket_connections",
            "Open websockets on this node: workspace (staff) and widget (website visitors)",
            ["kind"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.queue_length = ScrapeGauge(
            "okno_queue_length", "Conversations waiting in a team's queue", ["team"], registry=shown
        )
        self.queue_wait = ScrapeGauge(
            "okno_queue_longest_wait_seconds",
            "How long the longest-waiting conversation of a team's queue has waited",
            ["team"],
            registry=shown,
        )
        self.lease_holder = ScrapeGauge(
            "okno_lease_holder",
            "1 for each unexpired lease (a single-consumer source or scheduler) and its holder",
            ["lease", "holder"],
            registry=shown,
        )
        self.robot_firings = ScrapeGauge(
            "okno_robot_firings",
            "Robot firings by robot and status (pending: actions under way or retried; done; "
            "failed), all time: its rate is the robot's firing rate",
            ["robot", "status"],
            registry=shown,
        )
        self.connector_link_up = Gauge(
            "okno_connector_link_up",
            "1 while this node's link to a leased source is up (AMI socket, IMAP mailbox, "
            "Telegram or VK long polling), 0 while it is lost and being re-established; absent "
            "on nodes that do not hold the channel's lease",
            ["channel_kind", "channel"],
            registry=r,
            # The holder's latest word; a series it drops stays until that worker exits.
            multiprocess_mode="livemostrecent",
        )
        self.db_pool_in_use = ScrapeGauge(
            "okno_db_pool_in_use", "Database connections this node has checked out", registry=shown
        )
        self.db_pool_size = ScrapeGauge(
            "okno_db_pool_size", "Connections this node's database pool keeps open", registry=shown
        )
        self.database_up = ScrapeGauge(
            "okno_metrics_database_up",
            "1 when this scrape could read the database-backed figures, 0 when not",
            registry=shown,
        )
        for kind in SOCKET_ROUTES.values():
            self.websockets.labels(kind).set(0)

    def link_state(self, kind: str, name: str, state: bool | None) -> None:
        """A connector's link changed (`ChannelContext.link_changed`); None drops the series."""
        if state is None:
            with contextlib.suppress(KeyError):
                self.connector_link_up.remove(kind, name)
        else:
            self.connector_link_up.labels(kind, name).set(1 if state else 0)


METRICS = web.AppKey("okno.metrics", Metrics)


class MeteredIngestor(Ingestor):
    """The ingestor, counting each submission's outcome and its first processing's duration."""

    def __init__(self, hub: Hub, metrics: Metrics) -> None:
        super().__init__(hub)
        self.metrics = metrics

    async def submit(self, item: Inbound) -> Receipt:
        channel = source_of(item)
        started = time.perf_counter()
        try:
            receipt = await super().submit(item)
        except Exception:
            self.metrics.inbound_events.labels(channel, "failed").inc()
            raise
        if receipt.duplicate:
            self.metrics.inbound_events.labels(channel, "duplicate").inc()
        else:
            self.metrics.inbound_events.labels(channel, "stored").inc()
            if isinstance(item, UnreadableInput):
                self.metrics.unreadable.labels(channel, item.kind).inc()
            self.metrics.processing_seconds.labels(channel).observe(time.perf_counter() - started)
        return receipt

    async def _apply(self, uow: UnitOfWork, event: ClaimedEvent) -> int | None:
        try:
            return await super()._apply(uow, event)
        except IntegrityError:
            raise  # a lost identity race: resolved again at once, not a failure
        except Exception:
            self.metrics.processing_failures.labels(event.source).inc()
            raise


def _socket_kind(request: web.Request) -> str | None:
    if request.headers.get("Upgrade", "").lower() != "websocket":
        return None
    resource = request.match_info.route.resource
    return SOCKET_ROUTES.get(resource.canonical) if resource is not None else None


def websocket_middleware(metrics: Metrics) -> Middleware:
    """Counts a socket for as long as its handler runs, which is as long as it is open."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        kind = _socket_kind(request)
        if kind is None:
            return await handler(request)
        gauge = metrics.websockets.labels(kind)
        gauge.inc()
        try:
            return await handler(request)
        finally:
            gauge.dec()

    return middleware
