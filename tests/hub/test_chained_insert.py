"""Rows of several tables pointing at each other, inserted in one statement on PostgreSQL and
one table after the other on SQLite (hub/actions/chained_insert.py): every reference lands
on the row it named, in the order given, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from hub.actions.chained_insert import Step, insert_chain
from hub.actions.uow import unit_of_work
from hub.core import Hub
from hub.models import Contact, ContactStatus, Identity, Lead
from tests.routing.counting import statements

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
CONTACTS, IDENTITIES, LEADS = (cast(Table, m.__table__) for m in (Contact, Identity, Lead))


def contact(name: str) -> dict[str, Any]:
    return {"name": name, "name_key": name.lower(), "status": ContactStatus.lead,
            "custom_fields": {"from": name}, "created_at": NOW, "updated_at": NOW}  # fmt: skip


def identity(contact_number: int, phone: str) -> dict[str, Any]:
    return {"contact_id": contact_number, "kind": "phone", "value": phone, "raw": phone,
            "created_at": NOW}  # fmt: skip


def lead(contact_number: int, title: str) -> dict[str, Any]:
    return {"contact_id": contact_number, "title": title, "source": "webform",
            "source_detail": {}, "created_at": NOW}  # fmt: skip


async def test_each_reference_lands_on_the_row_it_names(hub: Hub) -> None:
    # Anna has two numbers, Boris none, Vera one; the leads name them out of order.
    with statements(hub) as sent:
        async with unit_of_work(hub) as uow:
            ids = await insert_chain(
                uow,
                [
                    Step(CONTACTS, [contact("Анна"), contact("Борис"), contact("Вера")]),
                    Step(
                        IDENTITIES,
                        [
                            identity(1, "+79160000001"),
                            identity(1, "+79160000002"),
                            identity(3, "+79160000003"),
                        ],
                        {"contact_id": 0},
                    ),
                    Step(
                        LEADS,
                        [lead(3, "Окна Веры"), lead(1, "Окна Анны"), lead(2, "Двери")],
                        {"contact_id": 0},
                    ),
                ],
            )
    contact_ids, identity_ids, lead_ids = ids
    assert len(contact_ids) == 3 and len(identity_ids) == 3 and len(lead_ids) == 3
    assert contact_ids == sorted(contact_ids) and lead_ids == sorted(lead_ids)
    async with hub.db.sessions() as session:
        names = dict((await session.execute(select(Contact.id, Contact.name))).all())
        assert [names[i] for i in contact_ids] == ["Анна", "Борис", "Вера"]
        owners = (
            await session.execute(
                select(Identity.id, Identity.contact_id, Identity.value).order_by(Identity.id)
            )
        ).all()
        assert [(i, names[c], v) for i, c, v in owners] == [
            (identity_ids[0], "Анна", "+79160000001"),
            (identity_ids[1], "Анна", "+79160000002"),
            (identity_ids[2], "Вера", "+79160000003"),
        ]
        leads = (
            await session.execute(select(Lead.id, Lead.contact_id, Lead.title).order_by(Lead.id))
        ).all()
        assert [(i, names[c], t) for i, c, t in leads] == [
            (lead_ids[0], "Вера", "Окна Веры"),
            (lead_ids[1], "Анна", "Окна Анны"),
            (lead_ids[2], "Борис", "Двери"),
        ]
        fields = (await session.execute(select(Contact.custom_fields).order_by(Contact.id))).all()
        assert [f for (f,) in fields] == [{"from": "Анна"}, {"from": "Борис"}, {"from": "Вера"}]
    inserts = [s for s in sent if s.startswith(("INSERT", "WITH"))]
    if hub.db.dialect == "postgresql":
        assert inserts == ["WITH s0 AS"]
    else:
        assert inserts == ["INSERT INTO contacts", "INSERT INTO identities", "INSERT INTO leads"]


async def test_a_step_with_no_rows_is_left_out(hub: Hub) -> None:
    async with unit_of_work(hub) as uow:
        ids = await insert_chain(
            uow,
            [
                Step(CONTACTS, [contact("Глеб")]),
                Step(IDENTITIES, [], {"contact_id": 0}),
                Step(LEADS, [lead(1, "Крыша")], {"contact_id": 0}),
            ],
        )
    assert ids[1] == [] and len(ids[0]) == 1 and len(ids[2]) == 1
    async with hub.db.sessions() as session:
        assert (await session.execute(select(Lead.contact_id))).scalar_one() == ids[0][0]


async def test_a_reference_to_no_earlier_rows_is_refused(hub: Hub) -> None:
    async with unit_of_work(hub) as uow:
        with pytest.raises(ValueError, match=r"leads\.contact_id refers to no earlier rows"):
            await insert_chain(
                uow,
                [Step(CONTACTS, []), Step(LEADS, [lead(1, "Крыша")], {"contact_id": 0})],
            )
        with pytest.raises(ValueError, match=r"identities\.contact_id refers to no earlier rows"):
            await insert_chain(
                uow, [Step(IDENTITIES, [identity(1, "+79160000009")], {"contact_id": 0})]
            )
