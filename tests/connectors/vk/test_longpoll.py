"""Bots Long Poll: batches stored in order, ts saved only after, failed 1/2/3 handled."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from connectors.base import Inbound, InboundMessage, Receipt, UnreadableInput
from hub.host.appkeys import HUB, INGESTOR
from hub.models import InboundEvent, Message
from tests.conftest import Backend
from tests.waiting import until

from .fake_vk import VK, Call, FakeVk
from .offline import make_connector
from .support import Serve, open_vk

UPDATES = VK.json("longpoll__updates.json")
FIRST, TYPING, SECOND = (u["event_id"] for u in UPDATES["updates"])


async def test_batch_is_stored_in_order_and_ts_saved_only_after(
    backend: Backend, serve: Serve
) -> None:
    vk = await FakeVk().start()
    # The batch comes twice: storing its second message fails once, the poller restarts
    # from the saved ts (none yet: the server's 1289) and reads the batch again.
    vk.script_polls(UPDATES, UPDATES)
    seen: list[tuple[str, int]] = []
    failed_once: list[str] = []

    def prepare(app: web.Application) -> None:
        ingestor = app[INGESTOR]
        real_submit = ingestor.submit

        async def flaky_submit(item: Inbound) -> Receipt:
            if item.external_id == SECOND and not failed_once:
                failed_once.append(item.external_id)
                raise ConnectionError("database went away")
            return await real_submit(item)

        async def on_poll(call: Call) -> None:
            async with app[HUB].db.sessions() as session:
                stmt = select(func.count()).select_from(Message)
                seen.append((call.params["ts"], int((await session.execute(stmt)).scalar_one())))

        ingestor.submit = flaky_submit  # type: ignore[method-assign]
        vk.on_poll = on_poll

    site = await open_vk(backend, serve, mode="longpoll", vk=vk, before_start=prepare)
    await until(lambda: _checkpoint_is(site, "1290"))
    assert failed_once == [SECOND]
    assert len(vk.called("groups.getLongPollServer")) == 2  # once more after the crash
    # ts 1290 is asked for only once both messages are stored; before that, 1289 again.
    assert seen[:2] == [("1289", 0), ("1289", 1)]
    await until(lambda: _has(seen, 3))
    assert seen[2] == ("1290", 2)
    events = await site.all(InboundEvent)
    assert sorted(e.external_id for e in events) == sorted([FIRST, SECOND])
    texts = [m.text for m in await site.all(Message)]
    assert texts == ["А рассрочка у вас есть?", "Без переплаты желательно"]


async def _checkpoint_is(site: Any, ts: str) -> bool:
    return bool(await site.checkpoint() == ts)


async def _has(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def test_failed_1_2_3_follow_the_protocol() -> None:
    vk = await FakeVk().start()
    vk.script(
        "groups.getLongPollServer",
        vk.longpoll_server(key="key-1", ts="1289"),
        vk.longpoll_server(key="key-2", ts="1350"),
        vk.longpoll_server(key="key-3", ts="1400"),
    )
    vk.script_polls(
        VK.json("longpoll__failed_1.json"),
        VK.json("longpoll__failed_2.json"),
        VK.json("longpoll__failed_3.json"),
        UPDATES,
    )
    connector, ctx = make_connector(vk, mode="longpoll")
    await connector.start()
    try:
        await until(lambda: _count(vk, 5), limit=5)
    finally:
        await ctx.stop()
        await vk.close()
    polls = [(p["key"], p["ts"]) for p in vk.called("a_check")[:5]]
    assert polls == [
        ("key-1", "1289"),
        ("key-1", "1304"),  # failed 1: same key and server, the ts it gave
        ("key-2", "1304"),  # failed 2: a new key, our ts kept
        ("key-3", "1400"),  # failed 3: new key and ts
        ("key-3", "1290"),  # the batch's ts
    ]
    assert all(p["act"] == "a_check" and p["wait"] == "1" for p in vk.called("a_check"))
    assert len(vk.called("groups.getLongPollServer")) == 3
    assert ctx.crashes == []
    stored = [i for i in ctx.items if isinstance(i, InboundMessage)]
    assert [i.external_id for i in stored] == [FIRST, SECOND]
    assert ctx.checkpoints["longpoll_ts"] == "1290"


async def _count(vk: FakeVk, n: int) -> bool:
    return len(vk.called("a_check")) >= n


async def test_resumes_from_saved_ts_and_skips_unreadable_updates() -> None:
    vk = await FakeVk().start()
    batch = {"ts": "1312", "updates": ["junk", {"type": "message_new"}, UPDATES["updates"][2]]}
    vk.script_polls(batch, {"failed": 4})
    connector, ctx = make_connector(vk, mode="longpoll", fetch_sender_names=False)
    ctx.checkpoints["longpoll_ts"] = "1300"
    await connector.start()
    try:
        await until(lambda: _count(vk, 3), limit=5)
    finally:
        await ctx.stop()
        await vk.close()
    assert [p["ts"] for p in vk.called("a_check")[:2]] == ["1300", "1312"]
    # The update VK sent but nobody can read is kept raw (under a digest: it has no event_id).
    [unreadable, second] = ctx.items
    assert isinstance(unreadable, UnreadableInput) and unreadable.kind == "malformed-event"
    assert unreadable.external_id.startswith("sha256:") and second.external_id == SECOND
    # An unknown `failed` code is an error (restart with backoff), not a silent spin.
    assert [type(c).__name__ for c in ctx.crashes] == ["LongPollError"]
    assert ctx.checkpoints["longpoll_ts"] == "1312"
    await asyncio.sleep(0)
