"""The fields a rule may look at, per object kind, and conditions compiled to SQL.

A condition names a field of this registry, never an expression: the registry maps it to a
column (or a small correlated subquery), so a rule is checked by the database in the same
statement that finds its objects (set-based, no `eval`, no Python loop over rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select, true
from sqlalchemy.sql.elements import KeyedColumnElement

from hub.models import Activity, Call, Channel, Conversation, Deal, Lead, Stage

ObjectKind = str  # "deal" | "conversation" | "call" | "lead"
OBJECT_KINDS = ("deal", "conversation", "call", "lead", "activity")
CUSTOM_FIELD = re.compile(r"^cf\.([a-z0-9_]{1,60})$")


@dataclass(frozen=True)
class FieldDef:
    label: str
    kind: type  # int, str, Decimal, datetime, date, bool
    # A column (or a correlated subquery) of the object's table.
    column: Callable[[], Any]


def _channel_kind() -> ColumnElement[Any]:
    return (
        select(Channel.kind)
        .where(Channel.id == Conversation.channel_id)
        .correlate(Conversation)
        .scalar_subquery()
    )


def _stage_outcome() -> ColumnElement[Any]:
    return select(Stage.outcome).where(Stage.id == Deal.stage_id).correlate(Deal).scalar_subquery()


FIELDS: dict[ObjectKind, dict[str, FieldDef]] = {
    "deal": {
        "id": FieldDef("Сделка", int, lambda: Deal.id),
        "title": FieldDef("Название", str, lambda: Deal.title),
        "amount": FieldDef("Сумма", Decimal, lambda: Deal.amount),
        "currency": FieldDef("Валюта", str, lambda: Deal.currency),
        "pipeline_id": FieldDef("Воронка", int, lambda: Deal.pipeline_id),
        "stage_id": FieldDef("Стадия", int, lambda: Deal.stage_id),
        "stage_outcome": FieldDef("Исход стадии", str, _stage_outcome),
        "responsible_id": FieldDef("Ответственный", int, lambda: Deal.responsible_user_id),
        "contact_id": FieldDef("Клиент", int, lambda: Deal.contact_id),
        "organisation_id": FieldDef("Организация", int, lambda: Deal.organisation_id),
        "source": FieldDef("Источник", str, lambda: Deal.source),
        "created_at": FieldDef("Создана", datetime, lambda: Deal.created_at),
        "stage_entered_at": FieldDef("На стадии с", datetime, lambda: Deal.stage_entered_at),
        "last_activity_at": FieldDef(
            "Последняя активность", datetime, lambda: Deal.last_activity_at
        ),
        "payment_due_on": FieldDef("Срок оплаты", date, lambda: Deal.payment_due_on),
        "paid_at": FieldDef("Оплачено", datetime, lambda: Deal.paid_at),
    },
    "conversation": {
        "id": FieldDef("Обращение", int, lambda: Conversation.id),
        "channel_kind": FieldDef("Канал", str, _channel_kind),
        "channel_id": FieldDef("Канал (№)", int, lambda: Conversation.channel_id),
        "team_id": FieldDef("Команда", int, lambda: Conversation.team_id),
        "assignee_id": FieldDef("Оператор", int, lambda: Conversation.assignee_id),
        "status": FieldDef("Статус", str, lambda: Conversation.status),
        "subject": FieldDef("Тема", str, lambda: Conversation.subject),
        "contact_id": FieldDef("Клиент", int, lambda: Conversation.contact_id),
        "created_at": FieldDef("Создано", datetime, lambda: Conversation.created_at),
        "waiting_since": FieldDef("Ждёт ответа с", datetime, lambda: Conversation.waiting_since),
        "first_response_at": FieldDef(
            "Первый ответ", datetime, lambda: Conversation.first_response_at
        ),
    },
    "call": {
        "id": FieldDef("Звонок", int, lambda: Call.id),
        "direction": FieldDef("Направление", str, lambda: Call.direction),
        "outcome": FieldDef("Итог", str, lambda: Call.outcome),
        "queue": FieldDef("Очередь", str, lambda: Call.queue),
        "client_number": FieldDef("Номер клиента", str, lambda: Call.client_number),
        "contact_id": FieldDef("Клиент", int, lambda: Call.contact_id),
        "conversation_id": FieldDef("Обращение", int, lambda: Call.conversation_id),
        "started_at": FieldDef("Начало", datetime, lambda: Call.started_at),
    },
    "lead": {
        "id": FieldDef("Лид", int, lambda: Lead.id),
        "title": FieldDef("Название", str, lambda: Lead.title),
        "status": FieldDef("Статус", str, lambda: Lead.status),
        "source": FieldDef("Источник", str, lambda: Lead.source),
        "responsible_id": FieldDef("Ответственный", int, lambda: Lead.responsible_user_id),
        "contact_id": FieldDef("Клиент", int, lambda: Lead.contact_id),
        "created_at": FieldDef("Создан", datetime, lambda: Lead.created_at),
    },
}

FIELDS["activity"] = {
    "id": FieldDef("Задача", int, lambda: Activity.id),
    "kind": FieldDef("Вид", str, lambda: Activity.kind),
    "subject": FieldDef("Тема", str, lambda: Activity.subject),
    "status": FieldDef("Статус", str, lambda: Activity.status),
    "responsible_id": FieldDef("Ответственный", int, lambda: Activity.user_id),
    "deal_id": FieldDef("Сделка", int, lambda: Activity.deal_id),
    "contact_id": FieldDef("Клиент", int, lambda: Activity.contact_id),
    "due_at": FieldDef("Срок", datetime, lambda: Activity.due_at),
}

MODELS: dict[ObjectKind, Any] = {
    "activity": Activity,
    "deal": Deal,
    "conversation": Conversation,
    "call": Call,
    "lead": Lead,
}


def known_field(kind: ObjectKind, name: str) -> bool:
    if name in FIELDS.get(kind, {}):
        return True
    # Custom fields exist on deals; their values are compared as text.
    return kind == "deal" and CUSTOM_FIELD.match(name) is not None


def column_of(kind: ObjectKind, name: str) -> Any:
    custom = CUSTOM_FIELD.match(name)
    if kind == "deal" and custom is not None:
        return Deal.custom_fields[custom.group(1)].as_string()
    return FIELDS[kind][name].column()


def id_column(kind: ObjectKind) -> KeyedColumnElement[Any]:
    return MODELS[kind].id  # type: ignore[no-any-return]


def compile_condition(kind: ObjectKind, node: Any) -> ColumnElement[bool]:
    """A validated condition tree (robots.rules) as a SQL boolean."""
    # Imported here: robots.rules checks field names against this module's registry.
    from .rules import AllOf, AnyOf, Leaf, NotOf

    if node is None:
        return true()
    if isinstance(node, AllOf):
        return and_(true(), *(compile_condition(kind, n) for n in node.all))
    if isinstance(node, AnyOf):
        return or_(*(compile_condition(kind, n) for n in node.any)) if node.any else true()
    if isinstance(node, NotOf):
        return not_(compile_condition(kind, node.not_))
    assert isinstance(node, Leaf)
    found: ColumnElement[bool] = _leaf(column_of(kind, node.field), node.op, node.value)
    return found


def _leaf(column: Any, op: str, value: Any) -> Any:
    # Any: the registry's columns are of every type; each comparison is a SQL boolean.
    match op:
        case "eq":
            return column == value
        case "ne":
            return or_(column != value, column.is_(None))
        case "in":
            return column.in_(list(value))
        case "not_in":
            return or_(column.not_in(list(value)), column.is_(None))
        case "gt":
            return column > value
        case "gte":
            return column >= value
        case "lt":
            return column < value
        case "lte":
            return column <= value
        case "is_null":
            return column.is_(None)
        case "not_null":
            return column.is_not(None)
        case "contains":
            return column.contains(str(value), autoescape=True)
    raise ValueError(f"unknown operator {op}")
