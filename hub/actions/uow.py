"""The unit of work every action runs in: one transaction, events published after commit."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, TextClause, bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.db import WRITE_INTENT
from hub.events import Envelope, Event
from hub.models import EventLog
from hub.models.base import UtcDateTime
from hub.outages import DATABASE, OUTAGES, log_failure

if TYPE_CHECKING:
    from hub.queries.metric_sources import KnownConversation

    from .metric_writes import PendingFigures

log = logging.getLogger(__name__)


_LOG_EVENTS = insert(cast(Table, EventLog.__table__)).returning(
    EventLog.__table__.c.id, sort_by_parameter_order=True
)
# PostgreSQL: the events as arrays, unnested in order: one statement and one round trip
# however many (a robot's scan logs twenty thousand), each payload encoded once, here. The
# ids come from the table's sequence in the order the rows are fed (ORDER BY n), so sorted
# they pair with the events in order (SQLAlchemy's own insertmanyvalues relies on the same).
_LOG_EVENTS_PG_SQL = (
    "INSERT INTO event_log (kind, payload, audience, created_at)"
    " SELECT u.kind, u.payload, u.audience, CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:kinds AS text[]), CAST(CAST(:payloads AS text[]) AS jsonb[]),"
    " CAST(CAST(:audiences AS text[]) AS jsonb[])) WITH ORDINALITY AS u(kind, payload, audience, n)"
    " ORDER BY u.n RETURNING id"
)
# A processed inbound event carries its conversation and message.
Mark = tuple[int, int | None, int | None]


@cache
def _marks_alone() -> TextClause:
    """PostgreSQL: the inbound events' marks, written before something reads them
    (hub/actions/inbound_batch.py words the marks; imported here, late, as it imports us)."""
    from .inbound_batch import MARK_PROCESSED_PG

    return text(MARK_PROCESSED_PG).bindparams(bindparam("marked_at", type_=UtcDateTime()))


@cache
def _log_statement(figures: bool, marks: bool) -> TextClause:
    """PostgreSQL: the event log's insert, with what rides in it as data-modifying CTEs:
    the figures' writes (hub/actions/metric_writes.py) and the inbound events' marks. One
    statement, one round trip, however many of them there are."""
    from .inbound_batch import MARK_PROCESSED_PG
    from .metric_writes import together_parts

    parts = [*together_parts()] if figures else []
    binds = [bindparam("now", type_=UtcDateTime())]
    if marks:
        parts.append(f"marked AS ({MARK_PROCESSED_PG})")
        binds.append(bindparam("marked_at", type_=UtcDateTime()))
    riding = f"WITH {', '.join(parts)} " if parts else ""
    return text(riding + _LOG_EVENTS_PG_SQL).bindparams(*binds)


class UnitOfWork:
    def __init__(self, hub: Hub, session: AsyncSession) -> None:
        self.hub = hub
        self.session = session
        self._events: list[Event] = []
        # Conversations this transaction opened: none of them has figures yet, so the
        # figures' refresh has none to take away (hub/actions/metric_facts.py).
        self.opened: set[int] = set()
        # Conversations whose figures' source rows this transaction wrote and knows (a
        # batch's new ones), each with how many events were queued by then: one that a
        # later event names is read back instead (hub/actions/metric_facts.py).
        self.known: dict[int, tuple[KnownConversation, int]] = {}
        # PostgreSQL: inbound events this transaction processed, marked so at commit.
        self._marks: list[Mark] = []

    def mark_processed(self, marks: Iterable[Mark]) -> None:
        """PostgreSQL: mark these inbound events processed with the event log's insert at
        commit, one round trip fewer; `flush_marks` first if they are to be read before."""
        self._marks.extend(marks)

    async def flush_marks(self) -> None:
        """Write the pending marks now (something in the transaction reads them)."""
        if not self._marks:
            return
        await self.session.execute(_marks_alone(), self._marks_params())
        self._marks.clear()

    def _marks_params(self) -> dict[str, Any]:
        return {
            "marked_at": self.now(),
            "marked_events": [m[0] for m in self._marks],
            "marked_conversations": [m[1] for m in self._marks],
            "marked_messages": [m[2] for m in self._marks],
        }

    def know(self, sources: Iterable[KnownConversation]) -> None:
        """These conversations' source rows are as given, unless a later event names one."""
        at = len(self._events)
        for source in sources:
            self.known[source.row.id] = (source, at)

    def now(self) -> datetime:
        return self.hub.clock()

    def emit(self, event: Event) -> None:
        """Queue an event; it is logged in this transaction and published after commit."""
        self._events.append(event)

    async def _log_events(self, figures: PendingFigures | None = None) -> list[Envelope]:
        """Log the events (PostgreSQL: with `figures`, the refresh's writes held back, and
        the marks riding in the same statement); their envelopes, in order."""
        if not self._events:
            if figures is not None:
                await figures.write(self.session)
            await self.flush_marks()
            return []
        now = self.now()
        payloads = [e.payload() for e in self._events]
        if self.hub.db.dialect == "postgresql":
            await self.session.flush()
            # Encoded once: for the log here, and for the bus message after commit.
            texts = [json.dumps(p) for p in payloads]
            audiences = [json.dumps(e.audience.to_json()) for e in self._events]
            params: dict[str, Any] = {
                "kinds": [e.kind for e in self._events],
                "payloads": texts,
                "audiences": audiences,
                "now": now,
            }
            figured = figures.params() if figures is not None else None
            if figured is not None:
                params.update(figured)
            marked = bool(self._marks)
            if marked:
                params.update(self._marks_params())
                self._marks.clear()
            statement = _log_statement(figured is not None, marked)
            found = await self.session.execute(statement, params)
            cursors = sorted(found.scalars())
            return [
                Envelope(
                    cursor=cursor,
                    kind=e.kind,
                    payload=payload,
                    audience=e.audience,
                    encoded=(payload_text, audience),
                )
                for cursor, payload, e, payload_text, audience in zip(
                    cursors, payloads, self._events, texts, audiences, strict=True
                )
            ]
        rows = [
            {
                "kind": e.kind,
                "payload": payload,
                "audience": e.audience.to_json(),
                "created_at": now,
            }
            for e, payload in zip(self._events, payloads, strict=True)
        ]
        # A Core multi-row INSERT on the connection, not ORM objects nor the ORM's bulk
        # path: a robot's scan may log ten thousand, and every inbound message logs one.
        # What the ORM holds is written first, as the ORM's own execute would have done.
        await self.session.flush()
        connection = await self.session.connection()
        ids = (await connection.execute(_LOG_EVENTS, rows)).scalars()
        return [
            Envelope(cursor=cursor, kind=e.kind, payload=payload, audience=e.audience)
            for cursor, payload, e in zip(ids, payloads, self._events, strict=True)
        ]


@asynccontextmanager
async def unit_of_work(hub: Hub) -> AsyncIterator[UnitOfWork]:
    # Here, not at the top: metric_facts reads through hub.queries, whose package imports
    # modules that import this one.
    from . import metric_facts
    from .metric_writes import PendingFigures

    async with hub.db.writing(), hub.db.sessions() as session:
        uow = UnitOfWork(hub, session)
        async with session.begin():
            await session.connection(execution_options={WRITE_INTENT: True})
            yield uow
            # The figures the events moved, in their transaction (docs/metrics.md); on
            # PostgreSQL written with the event log.
            figures = PendingFigures() if hub.db.dialect == "postgresql" else None
            await metric_facts.refresh(
                session, uow._events, hub.teams, uow.opened, uow.known, figures
            )
            envelopes = await uow._log_events(figures)
    # Committed: only now may anyone hear about it (rule 3).
    OUTAGES.recovered(DATABASE)
    if not envelopes:
        return
    try:
        # All at once: on Redis one round trip, a few messages, however many events.
        await hub.bus.publish_many(envelopes)
    except Exception as exc:
        # The changes are durable and in event_log; clients catch up from their cursor.
        first = envelopes[0]
        log_failure(
            log, exc, "could not publish %s #%d and %d more", first.kind, first.cursor,
            len(envelopes) - 1,
        )  # fmt: skip
