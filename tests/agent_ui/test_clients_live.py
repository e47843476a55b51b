"""`contact.changed` and `organisation.changed` reach the open pages of those who may see the
record, live and on resume, and nobody else's: the cards and the registry refetch on them."""

from __future__ import annotations

from typing import Any

from hub.actions import unit_of_work
from hub.events import ContactChanged, OrganisationChanged
from hub.models import CrmVisibility, Role, VisibilityScope
from hub.queries.crm_access import crm_audience
from tests.agent_ui.conftest import Ui, events_until

KINDS = ("contact.changed", "organisation.changed")


async def test_record_changes_reach_whoever_may_see_the_record(ui: Ui) -> None:
    ivanov = await ui.add_user("ivanov")
    await ui.add_user("petrov")
    await ui.add_user("boss", Role.supervisor)
    async with unit_of_work(ui.hub) as uow:
        # Operators see their own clients only; supervisors (no row) see all.
        uow.session.add(CrmVisibility(role=Role.operator.value, scope=VisibilityScope.own.value))
    mine = await ui.socket(await ui.signed_in("ivanov"))
    other = await ui.socket(await ui.signed_in("petrov"))
    boss = await ui.socket(await ui.signed_in("boss"))

    async with unit_of_work(ui.hub) as uow:
        audience = await crm_audience(uow.session, ivanov.id)
        uow.emit(ContactChanged(audience=audience, contact_id=41, version=3, change="updated"))
        uow.emit(
            OrganisationChanged(audience=audience, organisation_id=7, version=2, change="updated")
        )

    def crm(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [f for f in frames if f.get("type") == "event" and f["kind"] in KINDS]

    for ws in (mine, boss):
        frames = crm(await events_until(ws, lambda fs: len(crm(fs)) >= 2))
        assert [(f["kind"], f["payload"]) for f in frames] == [
            ("contact.changed", {"contact_id": 41, "version": 3, "change": "updated"}),
            ("organisation.changed", {"organisation_id": 7, "version": 2, "change": "updated"}),
        ]
    assert crm(await ui.nothing_more(other)) == []

    # A page that was away resumes and gets them replayed.
    late = await ui.socket(await ui.signed_in("ivanov"))
    await late.send_json({"type": "resume", "cursor": 0})
    frames = await events_until(late, lambda fs: any(f["type"] == "resumed" for f in fs))
    kinds = [f["kind"] for f in crm(frames)]
    assert kinds == ["contact.changed", "organisation.changed"]
