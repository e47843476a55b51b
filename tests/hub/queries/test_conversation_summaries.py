"""A conversation's summary as events carry it is the same whether it is read alone (a routing
step) or in bulk (a robot's batch of flags re-announcing many): the bulk read once left the
tags out, and a flagged conversation then lost its tags in the workspace's list and fell out
of a view filtered by tag."""

from __future__ import annotations

from hub.actions import conversation_marks, unit_of_work
from hub.auth import Principal
from hub.core import Hub
from hub.models import Conversation, Role
from hub.queries.conversations import conversation_summaries, conversation_summary
from tests.agent_ui.conftest import new_conversation
from tests.conftest import add_user


async def test_the_bulk_summaries_carry_the_tags_as_the_single_one_does(hub: Hub) -> None:
    ivanov = await add_user(hub, "ivanov", Role.supervisor)
    tagged = await new_conversation(hub, ivanov.id, "Нужен замер")
    plain = await new_conversation(hub, ivanov.id, "Вопрос")
    principal = Principal(ivanov.id, ivanov.login, ivanov.name, ivanov.role, "ru")
    await conversation_marks.set_tags(hub, principal, tagged, ["VIP", "замер"])
    async with unit_of_work(hub) as uow:
        found = await conversation_summaries(uow.session, [tagged, plain], hub.db.dialect)
        singles = [
            await conversation_summary(uow.session, await uow.session.get_one(Conversation, i))
            for i in (tagged, plain)
        ]
    assert [summary["tags"] for _, summary in found] == [["VIP", "замер"], []]
    assert [assignee for assignee, _ in found] == [ivanov.id, ivanov.id]
    assert [summary for _, summary in found] == singles
