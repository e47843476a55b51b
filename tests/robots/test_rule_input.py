"""Bad rules are refused per field, nothing saved: an unknown field in a condition, a stage
of another pipeline, a webhook URL that is not http(s), a zero delay, an unknown template
variable, a task (activities are not built yet)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.core import Hub
from hub.models import RobotRule
from hub.policy import DomainError, SystemActor
from robots import manage
from robots.rules import parse_rule
from tests.robots import world

FLAG = {"type": "flag", "code": "x", "reason": "причина"}


def stalled(**extra: Any) -> dict[str, Any]:
    return {
        "trigger": {
            "type": "time",
            "state": "deal.stalled",
            "after": {"amount": 2, "unit": "days"},
        },
        "actions": [FLAG],
        **extra,
    }


def fields_of(exc: pytest.ExceptionInfo[DomainError]) -> list[tuple[str, str]]:
    return [(d["field"], d["type"]) for d in exc.value.details]


def test_unknown_field_in_a_nested_condition() -> None:
    conditions = {
        "all": [{"field": "amount", "op": "gt", "value": 1000}, {"not": {"field": "colour"}}]
    }
    with pytest.raises(DomainError) as refused:
        parse_rule(stalled(conditions=conditions))
    assert fields_of(refused) == [("conditions.all.1.not.field", "unknown-field")]


def test_zero_delay_and_unknown_state() -> None:
    rule = stalled()
    rule["trigger"]["after"]["amount"] = 0
    with pytest.raises(DomainError) as refused:
        parse_rule(rule)
    assert fields_of(refused) == [("trigger.time.after.amount", "greater_than")]
    rule = stalled()
    rule["trigger"]["state"] = "deal.sleeping"
    with pytest.raises(DomainError) as refused:
        parse_rule(rule)
    assert fields_of(refused) == [("trigger.time.state", "value_error")]


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd", "example.com"])
def test_webhook_url_must_be_http(url: str) -> None:
    rule = stalled(actions=[{"type": "webhook", "url": url, "secret": "s3cret-key"}])
    with pytest.raises(DomainError) as refused:
        parse_rule(rule)
    assert [f for f, _ in fields_of(refused)] == ["actions.0.webhook.url"]


def test_unknown_template_variable_and_action_for_another_object() -> None:
    rule = stalled(
        actions=[
            {"type": "notify", "to": "responsible", "text": "Сделка {title} на {colour}"},
            {"type": "note", "text": "заметка"},
            {"type": "create_task", "assignee": "user"},
        ]
    )
    with pytest.raises(DomainError) as refused:
        parse_rule(rule)
    assert fields_of(refused) == [
        ("actions.1.type", "not-for-object"),
        ("actions.2.user_id", "missing"),
        ("actions.0.text", "unknown-variable"),
    ]


async def test_move_to_a_stage_of_another_pipeline_is_refused_and_nothing_saved(hub: Hub) -> None:
    sales = await world.pipeline(hub, "Продажи")
    service = await world.pipeline(hub, "Сервис")
    pinned = {"field": "pipeline_id", "op": "eq", "value": 1}
    from sqlalchemy import select

    from hub.models import Stage

    async with hub.db.sessions() as session:
        sales_pipeline = (
            await session.execute(select(Stage.pipeline_id).where(Stage.id == sales["КП"]))
        ).scalar_one()
    pinned["value"] = sales_pipeline
    rule = stalled(
        conditions=pinned,
        actions=[{"type": "move_stage", "stage_id": service["КП"]}],
    )
    rule["trigger"]["per_stage"] = {str(service["Интерес"]): {"amount": 1, "unit": "days"}}
    with pytest.raises(DomainError) as refused:
        await manage.create(hub, SystemActor(), name="Двигатель", description="", rule=rule)
    assert fields_of(refused) == [
        (f"trigger.per_stage.{service['Интерес']}", "stage-not-in-pipeline"),
        ("actions.0.stage_id", "stage-not-in-pipeline"),
    ]
    unpinned = stalled(actions=[{"type": "move_stage", "stage_id": sales["КП"]}])
    with pytest.raises(DomainError) as refused:
        await manage.create(hub, SystemActor(), name="Двигатель", description="", rule=unpinned)
    assert fields_of(refused) == [("actions.0.stage_id", "pipeline-not-pinned")]
    assert await world.count(hub, RobotRule) == 0

    # Within its pipeline it is saved, at version 1, off.
    fine = stalled(conditions=pinned, actions=[{"type": "move_stage", "stage_id": sales["КП"]}])
    rule_id = await manage.create(hub, SystemActor(), name="Двигатель", description="", rule=fine)
    async with hub.db.sessions() as session:
        saved = await session.get_one(RobotRule, rule_id)
    assert (saved.version, saved.enabled, saved.actions) == (
        1,
        False,
        [{"type": "move_stage", "stage_id": sales["КП"]}],
    )
