"""PostgreSQL's message search under a table of tens of thousands of rows, analysed: a word no
message holds, a word every fifth message holds and a word only the oldest message holds all
answer the same pages, in the same order, as `ORDER BY id DESC` over every matching row; and
the window over the whole table for the absent word can go through the GIN index on the stored
search vector; and a window the planner reads through the primary key tests each row's stored
vector, parsing no text (README.md, «bench/search.py»)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from hub.actions import unit_of_work
from hub.queries import search
from hub.queries.search import message_hits, postgres_newest, postgres_window
from hub.queries.search_terms import parse_terms
from tests.conftest import Backend
from tests.hub.api.conftest import Api

# Enough that the windows (8 pages' worth of ids, then x8 each) grow several times before the
# oldest message.
ROWS = 20_000
COMMON = "Нужен замер балкона, живу на третьем этаже"
OTHER = "Доставка возможна в субботу после обеда"


def _index_names(plan: Any) -> set[str]:
    names = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        names |= _index_names(child)
    return names


async def _search(api: Api, q: str, **params: Any) -> dict[str, Any]:
    reply = await api.get("/api/v1/search", "olga", q=q, **params)
    assert reply.status == 200, reply.body
    return dict(reply.body)


async def _all_pages(api: Api, q: str, limit: int) -> list[int]:
    ids: list[int] = []
    cursor: int | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = await _search(api, q, **params)
        ids += [hit["message_id"] for hit in page["messages"]]
        assert len(page["messages"]) == limit or page["next_cursor"] is None
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_absent_common_and_oldest_words_answer_fast_plans_and_exact_pages(
    api: Api, backend: Backend
) -> None:
    assert backend.name == "postgres"
    oldest = await api.inbound(
        name="Анна", phone="+79160000001", text="Живу на улице Черёмуховой, нужен замер"
    )
    async with unit_of_work(api.hub) as uow:
        await uow.session.execute(
            text(
                "INSERT INTO messages (conversation_id, direction, text, meta, created_at)"
                " SELECT :conversation, CASE WHEN g % 7 = 0 THEN 'system' ELSE 'inbound' END,"
                " CASE WHEN g % 5 = 0 THEN :common ELSE :other END, '{}', now()"
                " FROM generate_series(1, :rows) AS g"
            ),
            {"conversation": oldest, "common": COMMON, "other": OTHER, "rows": ROWS},
        )
    async with unit_of_work(api.hub) as uow:
        await uow.session.execute(text("ANALYZE messages"))
        rows = (
            await uow.session.execute(text("SELECT id, direction, text FROM messages ORDER BY id"))
        ).all()
    visible = [(id_, body) for id_, direction, body in rows if direction != "system"]
    common = [id_ for id_, body in reversed(visible) if "замер" in body]

    assert (await _search(api, "4711"))["messages"] == []
    assert (await _search(api, "балконх"))["messages"] == []  # a typo
    first = await _search(api, "замера балкона", limit=20)
    assert [hit["message_id"] for hit in first["messages"]] == common[:20]
    assert first["next_cursor"] == common[19]
    after = await _search(api, "замера балкона", limit=20, cursor=first["next_cursor"])
    assert [hit["message_id"] for hit in after["messages"]] == common[20:40]
    # Paged to the end, 200 at a time: every match once, newest first, the oldest included.
    assert common[-1] == visible[0][0]
    assert await _all_pages(api, "замер", limit=200) == common
    only_oldest = await _search(api, "черёмуховая")
    assert [hit["conversation_id"] for hit in only_oldest["messages"]] == [oldest]
    assert only_oldest["next_cursor"] is None

    # The window tests the stored vector, and that condition is the one the GIN index on it
    # serves. (In a table of 20,000 rows of a few distinct words the planner finds a scan of
    # the stored vectors as cheap, so the index is shown on the condition alone, scans ruled
    # out; at 10,000,000 messages the window's plan takes it by itself, README.md.)
    window = postgres_window(parse_terms("4711"), rows[0][0], rows[-1][0] + 1, 51)
    assert "messages.search_vector @@ to_tsquery" in str(
        window.compile(dialect=postgresql.dialect())
    )
    async with unit_of_work(api.hub) as uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        explained = await uow.session.scalar(
            text(
                "EXPLAIN (FORMAT JSON) SELECT id FROM messages"
                " WHERE search_vector @@ to_tsquery('russian'::regconfig, '4711')"
            )
        )
    alone = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    assert "ix_messages_search_vector" in _index_names(alone), json.dumps(alone, indent=1)
    absent = await _plan(api, "4711", rows[0][0], rows[-1][0] + 1)
    assert "to_tsvector" not in json.dumps(absent)
    # Bitmap scans off: the window of a common word is read through the primary key, and each
    # row's stored vector is tested as it is, no text parsed again.
    by_key = await _plan(api, "замер", rows[-1][0] - 400, rows[-1][0] + 1, "enable_bitmapscan")
    assert "pk_messages" in _index_names(by_key), json.dumps(by_key, indent=1)
    assert "search_vector @@" in json.dumps(by_key, ensure_ascii=False)
    assert "to_tsvector" not in json.dumps(by_key)

    # The newest id of the first window holding the words, in one statement: the windows
    # after the first that has one are never run.
    top = rows[-1][0] + 1
    windows = [(top - 100, top), (top - 1000, top - 100), (rows[0][0], top - 1000)]
    newest = postgres_newest(parse_terms("замер"), windows, "замер")
    async with unit_of_work(api.hub) as uow:
        assert await uow.session.scalar(newest) == common[0]
        assert await uow.session.scalar(postgres_newest(parse_terms("4711"), windows)) is None
        sql = newest.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        explained = await uow.session.scalar(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    runs = {
        child["Subplan Name"]: child["Actual Loops"]
        for child in plan["Plans"]
        if child.get("Subplan Name", "").startswith("CTE ")
    }
    assert runs == {"CTE found_0": 1, "CTE found_1": 0, "CTE found_2": 0}, runs

    # The last word being typed: the whole words before it bound where the windows start, and
    # the pages are still every match newest first. «замер» is in the newest messages, but
    # with «черём…» only in the oldest; «доставка» with «суб…» in every fifth but one.
    found = await _search(api, "замера черём")
    assert [hit["message_id"] for hit in found["messages"]] == [rows[0][0]]
    other = [id_ for id_, body in reversed(visible) if "Доставка" in body]
    delivery = await _search(api, "доставка суб", limit=20)
    assert [hit["message_id"] for hit in delivery["messages"]] == other[:20]
    assert (await _search(api, "черёмуховой дом"))["messages"] == []
    # Words before the prefix that are all stop words bound nothing (to_tsquery drops them).
    stop_words = await _search(api, "на зам", limit=20)
    assert [hit["message_id"] for hit in stop_words["messages"]] == common[:20]
    assert (await _search(api, "иванова анна серг"))["messages"] == []


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_search_plans_each_window_for_its_values_and_compiles_nothing(
    api: Api, backend: Backend
) -> None:
    """The prepared windows are planned for their own bounds and words however often they run
    (a generic plan read a common word's whole GIN list for a window of 168 ids), and no JIT
    is spent on the statement holding every window (README.md, «bench/search.py»)."""
    assert backend.name == "postgres"
    await api.inbound(name="Анна", phone="+79160000001", text="Нужен замер балкона")
    async with unit_of_work(api.hub) as uow:
        assert await uow.session.scalar(text("SHOW plan_cache_mode")) == "auto"
        hits, _ = await message_hits(uow.session, parse_terms("замера балк"), None, 20)
        assert [hit.snippet for hit in hits] == ["Нужен замер балкона"]
        assert await uow.session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        assert await uow.session.scalar(text("SHOW jit")) == "off"
    async with unit_of_work(api.hub) as uow:  # for that transaction only
        assert await uow.session.scalar(text("SHOW plan_cache_mode")) == "auto"


async def _plan(api: Api, q: str, low: int, high: int, *off: str) -> Any:
    """PostgreSQL's plan of the window of ids low <= id < high for `q`, with `off` disabled."""
    window = postgres_window(parse_terms(q), low, high, 51)
    sql = window.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    async with unit_of_work(api.hub) as uow:
        for setting in off:
            await uow.session.execute(text(f"SET LOCAL {setting} = off"))
        explained = await uow.session.scalar(text(f"EXPLAIN (FORMAT JSON) {sql}"))
    return (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_the_newest_namesakes_are_read_from_the_name_index_up_to_the_bound(
    api: Api, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands bearing one name among others: the newest NAMESAKES are a backward walk of
    (name_key, id) that stops at the bound (migration 0031), not every bearer read and
    sorted."""
    assert backend.name == "postgres"
    async with unit_of_work(api.hub) as uow:
        await uow.session.execute(
            text(
                "INSERT INTO contacts (id, name, name_key, status, custom_fields, source,"
                " created_at, updated_at, version)"
                " SELECT g, n, lower(n), 'lead', '{}', 'telegram', now(), now(), 1"
                " FROM generate_series(1001, 30000) AS g,"
                " LATERAL (SELECT CASE WHEN g % 100 = 0 THEN 'Анна' ELSE 'Борис ' || g END) AS n(n)"
            )
        )
        await uow.session.execute(text("ANALYZE contacts"))
    monkeypatch.setattr(search, "NAMESAKES", 60)
    async with unit_of_work(api.hub) as uow:
        newest = await search._clients_by_name(uow.session, parse_terms("АННА"))
        explained = await uow.session.scalar(
            text(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM contacts WHERE name_key = 'анна'"
                " AND merged_into_id IS NULL ORDER BY id DESC LIMIT 60"
            )
        )
    assert newest == list(range(30000, 24000, -100))  # every hundredth is an Анна
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    walk = plan["Plans"][0]
    assert (walk["Node Type"], walk["Scan Direction"], walk["Index Name"]) == (
        "Index Scan",
        "Backward",
        "ix_contacts_name_key_id",
    ), json.dumps(plan, indent=1)
    assert walk["Actual Rows"] == 60
