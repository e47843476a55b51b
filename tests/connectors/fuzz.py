"""Shared by the channels' property tests: input strategies, running hypothesis against a live
app, and a real database outage.

Hypothesis drives a synchronous test function; the app under test runs on the test's own event
loop. So the property runs in a worker thread (`asyncio.to_thread`) and hands each request to
the loop (`run_coroutine_threadsafe`): one app per test, many examples, no sleeps.

Examples per property: FUZZ_EXAMPLES (200 by default, so the suite stays fast);
bench/fuzz_channels.py runs the same properties with 3,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from hub.core import Hub
from hub.models import InboundEvent, InboundStatus

EXAMPLES = int(os.environ.get("OKNO_FUZZ_EXAMPLES", "200"))
T = TypeVar("T")

# What real clients and fuzzers put in text: invisible and direction characters, NUL, lone
# surrogates (valid as JSON escapes), Cyrillic, emoji.
SPECIAL_TEXT = [
    "",
    " ",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u200b\u200d\u2060",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff x",
    "Добрый день",
    "👍",
    "x" * 5000,
]
SPECIAL_INTS = [0, -1, 1, 2**31, 2**53, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)]

texts = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(max_size=60),
)
ints = st.one_of(st.sampled_from(SPECIAL_INTS), st.integers())
scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    result = copy.deepcopy(document)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any], keep: frozenset[str] = frozenset()) -> Any:
    """A real wire document with one to three values (anywhere in it) replaced by arbitrary
    JSON, or a key added or removed. Top-level keys in `keep` (a secret) stay as they are."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p and not (len(p) == 1 and p[0] in keep)]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(texts)] = draw(json_values)
        else:
            document = _replaced(document, path, draw(json_values))
    return document


def run_property(
    strategy: st.SearchStrategy[T],
    check: Callable[[T], Awaitable[None]],
    examples: int = EXAMPLES,
) -> Awaitable[None]:
    """Run `check` on `examples` inputs drawn from `strategy`, each on the calling loop."""
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=examples <= 200,  # the normal suite is the same run every time
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(value: T) -> None:
        asyncio.run_coroutine_threadsafe(check(value), loop).result(timeout=60)

    return asyncio.to_thread(prop)


@contextlib.asynccontextmanager
async def database_down(hub: Hub) -> AsyncIterator[None]:
    """The hub's database unreachable for real (a connection refused or a path that cannot
    be opened), on either backend, until the block ends."""
    if hub.db.dialect == "sqlite":
        url = "sqlite+aiosqlite:////nonexistent-okno-dir/down.db"
    else:
        url = "postgresql+asyncpg://okno@127.0.0.1:1/down"
    engine = create_async_engine(url)
    saved = hub.db.sessions
    hub.db.sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        yield
    finally:
        hub.db.sessions = saved
        await engine.dispose()


async def processing_failures(hub: Hub) -> list[str]:
    """Stored inputs whose processing raised (an exception that escaped into the retry
    loop): the property wants none."""
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(InboundEvent.external_id, InboundEvent.last_error).where(
                InboundEvent.status.in_([InboundStatus.failed, InboundStatus.pending])
            )
        )
        return [f"{key}: {error}" for key, error in rows]
