"""The built-in pack: presets of ordinary rules, in Russian, each tunable and switchable.

They are installed switched off (an administrator looks at the dry run first) and are then
edited like any rule: the delay, per-stage days, the texts, the actions.

"Не оплачено после договора" watches the deal's payment fields (`payment_due_on`,
`paid_at`): N days after the due date, at the won stage («Договор»), not marked paid; the
flag goes when a person marks it paid, and a new payment date or the mark taken off
re-arms it (`payment_owed_since`). "SLA на грани" fires N minutes before a waiting
client's wait reaches its target: the first or next response target of the SLA policy that
holds the conversation (in that policy's working or calendar time), else his team's wait
target (`Team.wait_limit_s`; 5 minutes outside any team) in calendar time, as the board
counts it; a reply ends the wait, so the next wait is a new episode.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.actions import robots as robot_actions
from hub.core import Hub
from hub.models import RobotRule
from hub.policy import Conflict, SystemActor

from .rules import parse_rule

BUILTIN: dict[str, dict[str, Any]] = {
    "stalled_deal": {
        "name": "Зависшая сделка",
        "description": "Сделка без смены стадии и без активности N дней (N можно задать для "
        "каждой стадии): флаг на карточке и уведомление ответственному.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "deal.stalled",
                "after": {"amount": 7, "unit": "days"},
            },
            "actions": [
                {"type": "flag", "code": "stalled", "reason": "Сделка без движения и активности"},
                {"type": "notify", "to": "responsible", "text": "Сделка «{title}» зависла"},
            ],
        },
    },
    "no_first_response": {
        "name": "Нет первого ответа",
        "description": "Обращение без ответа сотрудника через N минут рабочего времени команды "
        "после поступления: флаг в списке обращений и уведомление.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "conversation.no_first_response",
                "after": {"amount": 15, "unit": "minutes", "working_time": True},
            },
            "actions": [
                {"type": "flag", "code": "no-first-response", "reason": "Клиенту не ответили"},
                {"type": "notify", "to": "responsible", "text": "Нет ответа в обращении №{id}"},
            ],
        },
    },
    "missed_call": {
        "name": "Пропущенный звонок не перезвонили",
        "description": "Пропущенный или брошенный звонок, по номеру которого не перезвонили "
        "за N минут рабочего времени: флаг на обращении звонка и уведомление.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "call.missed_no_callback",
                "after": {"amount": 30, "unit": "minutes", "working_time": True},
            },
            "actions": [
                {
                    "type": "flag",
                    "code": "missed-call",
                    "reason": "Не перезвонили на {client_number}",
                },
                {
                    "type": "notify",
                    "to": "responsible",
                    "text": "Не перезвонили на {client_number}",
                },
            ],
        },
    },
    "lead_not_contacted": {
        "name": "Лид без контакта",
        "description": "Новый лид, с которым никто не связался за N часов рабочего времени.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "lead.not_contacted",
                "after": {"amount": 4, "unit": "hours", "working_time": True},
            },
            "actions": [
                {"type": "flag", "code": "lead-not-contacted", "reason": "С лидом не связались"},
                {"type": "notify", "to": "responsible", "text": "С лидом «{title}» не связались"},
            ],
        },
    },
    "overdue_task": {
        "name": "Просроченная задача",
        "description": "Звонок, встреча или задача, просроченная на N часов: уведомление "
        "руководителю ответственного и флаг на сделке задачи.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "activity.overdue",
                "after": {"amount": 4, "unit": "hours"},
            },
            "actions": [
                {"type": "flag", "code": "overdue-task", "reason": "Просрочена задача «{subject}»"},
                {"type": "notify", "to": "supervisor", "text": "Просрочена задача «{subject}»"},
            ],
        },
    },
    "no_next_contact": {
        "name": "Нет следующего контакта",
        "description": "Открытая сделка, по которой ни с клиентом, ни по самой сделке ничего "
        "не запланировано N дней после последней активности: флаг и уведомление ответственному.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "deal.no_next_contact",
                "after": {"amount": 1, "unit": "days"},
            },
            "actions": [
                {
                    "type": "flag",
                    "code": "no-next-contact",
                    "reason": "Не запланирован следующий контакт",
                },
                {
                    "type": "notify",
                    "to": "responsible",
                    "text": "По сделке «{title}» не запланирован следующий контакт",
                },
            ],
        },
    },
    "unpaid_after_contract": {
        "name": "Не оплачено после договора",
        "description": "Сделка на стадии «Договор» (выигранная стадия воронки), не отмеченная "
        "оплаченной через N дней после срока оплаты: флаг на карточке и уведомление "
        "ответственному. Флаг снимается, когда сделку отмечают оплаченной.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "deal.unpaid",
                "after": {"amount": 3, "unit": "days"},
            },
            "conditions": {"field": "stage_outcome", "op": "eq", "value": "won"},
            "actions": [
                {
                    "type": "flag",
                    "code": "unpaid",
                    "reason": "Не оплачено: срок оплаты {payment_due_on}",
                },
                {
                    "type": "notify",
                    "to": "responsible",
                    "text": "Сделка «{title}» не оплачена, срок оплаты был {payment_due_on}",
                },
            ],
        },
    },
    "sla_near": {
        "name": "SLA на грани",
        "description": "Клиент ждёт ответа, и до цели по времени ответа осталось N минут "
        "(цель первого или следующего ответа из политики SLA обращения, иначе цель ожидания "
        "его команды, как на панели руководителя): флаг в списке обращений и уведомление. "
        "После ответа робот снова следит за следующим ожиданием.",
        "rule": {
            "trigger": {
                "type": "time",
                "state": "conversation.sla_near",
                "after": {"amount": 1, "unit": "minutes"},
            },
            "actions": [
                {"type": "flag", "code": "sla-near", "reason": "Ответ на грани SLA"},
                {
                    "type": "notify",
                    "to": "responsible",
                    "text": "Обращение №{id}: ответ на грани SLA",
                },
            ],
        },
    },
}


async def install(hub: Hub) -> list[int]:
    """Add the presets missing from the database (switched off); returns the new ids. Two
    nodes starting at once: the unique key (or the name check, when the other node's insert
    landed between our read and our write) turns the second insert away, which is fine."""
    async with hub.db.sessions() as session:
        present = set((await session.execute(select(RobotRule.builtin_key))).scalars())
    created = []
    for key, preset in BUILTIN.items():
        if key in present:
            continue
        spec = parse_rule(preset["rule"]).to_json()
        try:
            created.append(
                await robot_actions.create_rule(
                    hub,
                    SystemActor(),
                    name=preset["name"],
                    description=preset["description"],
                    spec=spec,
                    builtin_key=key,
                )
            )
        except IntegrityError:
            continue
        except Conflict as taken:  # found by deploy/check.sh: two nodes starting together
            if taken.error_id != "robot-name-taken":
                raise
            continue
    return created
