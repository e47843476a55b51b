"""The workspace's views of the list (Мои, Очередь, Команда, Все, Закрытые), their counts,
the unread marker's data and the colleagues a conversation can be handed to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from hub.actions import unit_of_work
from hub.models import Conversation, Role, Team, TeamMember
from tests.hub.api.conftest import Api


async def _ids(api: Api, login: str, view: str, **params: str) -> list[int]:
    reply = await api.get("/api/v1/conversations", login, view=view, **params)
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


async def test_views_hold_what_their_names_say_and_counts_agree(api: Api) -> None:
    mine = await api.inbound(name="Анна", phone="+79161110001")
    queued = await api.inbound(name="Борис", phone="+79161110002")
    petrs = await api.inbound(name="Вера", phone="+79161110003")
    closed = await api.inbound(name="Глеб", phone="+79161110004")
    await api.assign(mine, "olga")
    await api.assign(petrs, "petr")
    await api.assign(closed, "olga")
    assert (await api.post(f"/api/v1/conversations/{closed}/close", "olga")).status == 200
    # Olga and Petr share a team; Petr's conversation belongs to it.
    async with unit_of_work(api.hub) as uow:
        team = Team(name="Продажи")
        uow.session.add(team)
        await uow.session.flush()
        for login in ("olga", "petr"):
            uow.session.add(TeamMember(team_id=team.id, user_id=api.users[login].id))
        (await uow.session.get_one(Conversation, petrs)).team_id = team.id

    assert await _ids(api, "olga", "mine") == [mine]
    assert await _ids(api, "olga", "queue") == [queued]
    assert await _ids(api, "olga", "team") == [petrs]
    assert await _ids(api, "olga", "closed") == [closed]
    assert await _ids(api, "petr", "closed") == []  # not his, not his team's
    assert await _ids(api, "olga", "closed", channel="telegram") == []
    assert sorted(await _ids(api, "sveta", "all")) == sorted([mine, queued, petrs])
    assert await _ids(api, "sveta", "closed") == [closed]
    refused = await api.get("/api/v1/conversations", "olga", view="all")
    assert refused.status == 403

    counts = await api.get("/api/v1/workspace/counts", "olga")
    assert counts.status == 200
    assert counts.body == {"mine": 1, "queue": 1, "team": 1, "all": None, "closed": 1, "snoozed": 0}
    boss = await api.get("/api/v1/workspace/counts", "sveta")
    assert boss.body == {"mine": 0, "queue": 1, "team": 0, "all": 3, "closed": 1, "snoozed": 0}
    other = await api.get("/api/v1/workspace/counts", "sveta", channel="telegram")
    assert other.body == {"mine": 0, "queue": 0, "team": 0, "all": 0, "closed": 0, "snoozed": 0}
    assert (await api.get("/api/v1/workspace/counts", None)).status == 401

    # The last message's id is listed, so the workspace can tell unread from read.
    item = (await api.get("/api/v1/conversations", "olga", view="mine")).body["items"][0]
    assert item["last_message"]["id"] > 0 and item["last_message"]["direction"] == "in"
    assert item["agent_read_up_to"] is None


async def test_counts_follow_the_tag_and_period_filters_as_the_lists_do(api: Api) -> None:
    anna = await api.inbound(name="Анна", phone="+79161110001")
    boris = await api.inbound(name="Борис", phone="+79161110002")
    vera = await api.inbound(name="Вера", phone="+79161110003")
    gleb = await api.inbound(name="Глеб", phone="+79161110004")
    for conversation_id in (anna, boris, gleb):
        await api.assign(conversation_id, "olga")
    assert (await api.post(f"/api/v1/conversations/{gleb}/close", "olga")).status == 200
    for conversation_id in (anna, vera, gleb):
        tagged = await api.call(
            "PUT", f"/api/v1/conversations/{conversation_id}/tags", "sveta", json={"tags": ["VIP"]}
        )
        assert tagged.status == 200, tagged.body
    # Борис and Глеб last wrote ten days ago.
    long_ago = datetime.now(UTC) - timedelta(days=10)
    async with unit_of_work(api.hub) as uow:
        await uow.session.execute(
            update(Conversation)
            .where(Conversation.id.in_([boris, gleb]))
            .values(last_message_at=long_ago)
        )
    week = (datetime.now(UTC) - timedelta(days=7)).isoformat()

    async def counts(**params: str) -> dict[str, int | None]:
        reply = await api.get("/api/v1/workspace/counts", "olga", **params)
        assert reply.status == 200, reply.body
        return dict(reply.body)

    assert await counts() == {
        "mine": 2, "queue": 1, "team": 0, "all": None, "closed": 1, "snoozed": 0
    }  # fmt: skip
    assert await counts(tag="vip") == {
        "mine": 1, "queue": 1, "team": 0, "all": None, "closed": 1, "snoozed": 0
    }  # fmt: skip
    assert await counts(since=week) == {
        "mine": 1, "queue": 1, "team": 0, "all": None, "closed": 0, "snoozed": 0
    }  # fmt: skip
    assert await counts(tag="VIP", since=week, channel="webform") == {
        "mine": 1, "queue": 1, "team": 0, "all": None, "closed": 0, "snoozed": 0
    }  # fmt: skip
    assert (await counts(tag="нет такого"))["mine"] == 0
    assert (await counts(until=week))["closed"] == 1
    # Each count is the size of the list the same filters give.
    for view in ("mine", "queue", "closed"):
        for params in ({"tag": "vip"}, {"since": week}, {"tag": "VIP", "since": week}):
            assert len(await _ids(api, "olga", view, **params)) == (await counts(**params))[view]


async def test_colleagues_come_online_first_with_their_load(api: Api) -> None:
    conversation = await api.inbound()
    await api.assign(conversation, "petr")
    await api.set_online("sveta")
    await api.add_user("root", Role.admin, "Админ")
    reply = await api.get("/api/v1/workspace/colleagues", "olga")
    assert reply.status == 200
    people = reply.body["people"]
    assert people[0]["name"] == "Светлана Орлова"
    assert "Ольга Иванова" not in [p["name"] for p in people]  # not herself
    petr = next(p for p in people if p["name"] == "Пётр Смирнов")
    assert petr["open_conversations"] == 1 and petr["max_conversations"] >= 1
    assert petr["presence"] == "offline"
    assert reply.body["teams"] == []
    assert (await api.get("/api/v1/workspace/colleagues", None)).status == 401
