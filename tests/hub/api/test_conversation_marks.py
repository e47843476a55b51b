"""Tags and snooze on conversations, both backends: tags set and filtered by (any case),
the list filtered by a period; a snoozed conversation leaves «Мои» for «Отложенные» and
comes back when the client writes or when its time comes (the sweeper's scan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.base import IdentityClaim
from hub.actions import conversation_marks
from tests.conftest import add_channel
from tests.hub.api.conftest import Api


async def _ids(api: Api, login: str, **params: str) -> list[int]:
    reply = await api.get("/api/v1/conversations", login, **params)
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


async def test_tags_are_set_listed_and_filter_the_list(api: Api) -> None:
    anna = await api.inbound(name="Анна", phone="+79161110001")
    boris = await api.inbound(name="Борис", phone="+79161110002")
    await api.assign(anna, "olga")
    await api.assign(boris, "petr")

    put = await api.call(
        "PUT", f"/api/v1/conversations/{anna}/tags", "olga", json={"tags": ["VIP", " Доставка "]}
    )
    assert put.status == 200, put.body
    assert put.body["tags"] == ["VIP", "Доставка"]  # by name: Latin letters first
    again = await api.call(
        "PUT", f"/api/v1/conversations/{boris}/tags", "petr", json={"tags": ["vip"]}
    )
    assert again.body["tags"] == ["VIP"]  # the tag there was, in its first spelling
    # Olga may not tag Petr's conversation.
    refused = await api.call(
        "PUT", f"/api/v1/conversations/{boris}/tags", "olga", json={"tags": ["спам"]}
    )
    assert refused.status == 403

    tags = await api.get("/api/v1/tags", "olga")
    assert [(t["name"], t["open_conversations"]) for t in tags.body["items"]] == [
        ("VIP", 2),
        ("Доставка", 1),
    ]
    assert await _ids(api, "sveta", view="all", tag="vip") == [boris, anna]
    assert await _ids(api, "sveta", view="all", tag="доставка") == [anna]
    assert await _ids(api, "sveta", view="all", tag="нет такого") == []
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert await _ids(api, "sveta", view="all", since=future) == []
    assert await _ids(api, "sveta", view="all", since=past, until=future) == [boris, anna]

    cleared = await api.call("PUT", f"/api/v1/conversations/{anna}/tags", "olga", json={"tags": []})
    assert cleared.body["tags"] == []


async def _telegram(api: Api, text: str) -> int:
    """Anna writes in Telegram (a messenger keeps one conversation open)."""
    claim = (IdentityClaim("telegram", "4242"),)
    return await api.inbound("Анна", None, None, text, ("telegram", "bot"), extra=claim)


async def test_snooze_until_the_client_writes_and_until_a_time(api: Api) -> None:
    await add_channel(api.hub, "telegram", "bot")
    anna = await _telegram(api, "Здравствуйте")
    await api.assign(anna, "olga")

    reply = await api.post(f"/api/v1/conversations/{anna}/snooze", "olga", {})
    assert reply.status == 200, reply.body
    assert (reply.body["snoozed"], reply.body["snoozed_until"]) == (True, None)
    assert await _ids(api, "olga", view="mine") == []
    assert await _ids(api, "olga", view="snoozed") == [anna]
    counts = await api.get("/api/v1/workspace/counts", "olga")
    assert (counts.body["mine"], counts.body["snoozed"]) == (0, 1)

    assert await _telegram(api, "Ещё вопрос") == anna
    assert await _ids(api, "olga", view="mine") == [anna]
    assert await _ids(api, "olga", view="snoozed") == []

    until = datetime.now(UTC) + timedelta(hours=2)
    timed = await api.post(
        f"/api/v1/conversations/{anna}/snooze", "olga", {"until": until.isoformat()}
    )
    assert timed.body["snoozed"] is True
    assert await conversation_marks.wake_due(api.hub) == 0  # not yet
    api.hub.clock = lambda: until + timedelta(seconds=1)  # type: ignore[method-assign]
    assert await conversation_marks.wake_due(api.hub) == 1
    assert await _ids(api, "olga", view="mine") == [anna]

    past = await api.post(
        f"/api/v1/conversations/{anna}/snooze",
        "olga",
        {"until": (until - timedelta(hours=1)).isoformat()},
    )
    assert past.status == 422 and past.body["error"]["details"][0]["type"] == "in-the-past"
    petr = await api.post(f"/api/v1/conversations/{anna}/snooze", "petr", {})
    assert petr.status == 403
    queued = await api.inbound(name="Вера", phone="+79161110003")
    nobody = await api.post(f"/api/v1/conversations/{queued}/snooze", "olga", {})
    assert nobody.status == 409 and nobody.body["error"]["id"] == "not-assigned"
    await api.post(f"/api/v1/conversations/{anna}/snooze", "olga", {})
    woken = await api.post(f"/api/v1/conversations/{anna}/wake", "olga")
    assert woken.status == 200 and woken.body["snoozed"] is False


async def test_saved_views_are_ones_own(api: Api) -> None:
    body = {"name": "VIP в очереди", "filters": {"view": "queue", "tag": "VIP"}}
    created = await api.post("/api/v1/saved-views", "olga", body)
    assert created.status == 201, created.body
    assert created.body["filters"] == {"view": "queue", "channel": "", "tag": "VIP", "period": ""}
    listed = await api.get("/api/v1/saved-views", "olga")
    assert [v["name"] for v in listed.body["items"]] == ["VIP в очереди"]
    assert (await api.get("/api/v1/saved-views", "petr")).body["items"] == []
    view_id = created.body["id"]
    other = await api.call("DELETE", f"/api/v1/saved-views/{view_id}", "petr")
    assert other.status == 404 and other.body["error"]["id"] == "no-such-view"
    bad = await api.post(
        "/api/v1/saved-views", "olga", {"name": "x", "filters": {"view": "everything"}}
    )
    assert bad.status == 422
    assert (await api.call("DELETE", f"/api/v1/saved-views/{view_id}", "olga")).status == 200
    assert (await api.get("/api/v1/saved-views", "olga")).body["items"] == []
