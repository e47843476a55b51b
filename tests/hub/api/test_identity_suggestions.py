"""Addresses proposed for a client (an unknown sender answered in his e-mail thread), over
HTTP on both backends: who may accept or dismiss, what accepting does, and the races."""

from __future__ import annotations

from hub.models import Role, VisibilityScope
from tests.conftest import add_channel

from .conftest import Api
from .crm_setup import set_scope

MAIL = ("email", "sales")


async def client_thread(api: Api) -> tuple[int, int]:
    """A client's e-mail conversation, his card handed to olga: (conversation, contact)."""
    await add_channel(api.hub, *MAIL)
    conversation = await api.inbound(
        name="Иван Петров", phone=None, email="ivan@stroy.example", channel=MAIL
    )
    card = (await api.get(f"/api/v1/conversations/{conversation}", "sveta")).body["contact"]
    handed = await api.call(
        "PATCH",
        f"/api/v1/contacts/{card['id']}",
        "sveta",
        json={"version": card["version"], "responsible_id": api.users["olga"].id},
    )
    assert handed.status == 200, handed.body
    return conversation, card["id"]


async def answered(api: Api, conversation: int, address: str, name: str) -> int:
    joined = await api.inbound(
        name=name, phone=None, email=address, channel=MAIL, meta={"thread_hint": conversation}
    )
    assert joined == conversation
    return joined


async def test_the_responsible_manager_accepts_and_the_address_becomes_the_clients(
    api: Api,
) -> None:
    conversation, contact = await client_thread(api)
    await answered(api, conversation, "Maria@Stroy.example", "Мария Кузнецова")
    card = (await api.get(f"/api/v1/contacts/{contact}", "olga")).body
    [tip] = card["suggestions"]
    assert (tip["value"], tip["name"], tip["reason"], tip["conversation_id"]) == (
        "maria@stroy.example",
        "Мария Кузнецова",
        "replied_in_conversation",
        conversation,
    )

    # Outside his view the suggestion does not exist; in view but not his, it is refused.
    await set_scope(api, Role.operator, VisibilityScope.own)
    hidden = await api.post(f"/api/v1/identity-suggestions/{tip['id']}/accept", "petr", {})
    assert hidden.status == 404 and hidden.body["error"]["id"] == "no-such-contact"
    await set_scope(api, Role.operator, VisibilityScope.all)
    refused = await api.post(f"/api/v1/identity-suggestions/{tip['id']}/accept", "petr", {})
    assert refused.status == 403 and refused.body["error"]["id"] == "not-responsible"

    accepted = await api.post(f"/api/v1/identity-suggestions/{tip['id']}/accept", "olga", {})
    assert accepted.status == 200, accepted.body
    assert accepted.body["suggestions"] == []
    assert accepted.body["version"] == card["version"] + 1
    emails = sorted(i["value"] for i in accepted.body["identities"] if i["kind"] == "email")
    assert emails == ["ivan@stroy.example", "maria@stroy.example"]
    again = await api.post(f"/api/v1/identity-suggestions/{tip['id']}/dismiss", "olga", {})
    assert again.status == 409 and again.body["error"]["id"] == "suggestion-decided"
    missing = await api.post("/api/v1/identity-suggestions/999999/accept", "olga", {})
    assert missing.status == 404 and missing.body["error"]["id"] == "no-such-suggestion"

    # Her next mail, with no thread headers, finds the client: no new lead, no new tip.
    again_joined = await api.inbound(
        name="Мария Кузнецова", phone=None, email="maria@stroy.example", channel=MAIL
    )
    assert again_joined == conversation


async def test_a_dismissed_address_is_not_proposed_again_and_a_taken_one_is_refused(
    api: Api,
) -> None:
    conversation, contact = await client_thread(api)
    await answered(api, conversation, "buh@stroy.example", "Бухгалтерия")
    await answered(api, conversation, "home@mail.example", "Иван")
    tips = (await api.get(f"/api/v1/contacts/{contact}", "olga")).body["suggestions"]
    by_address = {t["value"]: t["id"] for t in tips}
    assert sorted(by_address) == ["buh@stroy.example", "home@mail.example"]

    dismissed = await api.post(
        f"/api/v1/identity-suggestions/{by_address['buh@stroy.example']}/dismiss", "olga", {}
    )
    assert dismissed.status == 200 and [t["value"] for t in dismissed.body["suggestions"]] == [
        "home@mail.example"
    ]
    await answered(api, conversation, "buh@stroy.example", "Бухгалтерия")
    tips = (await api.get(f"/api/v1/contacts/{contact}", "olga")).body["suggestions"]
    assert [t["value"] for t in tips] == ["home@mail.example"]

    # Meanwhile the address wrote on its own and became someone else's lead.
    other = await api.inbound(name="Другой", phone=None, email="home@mail.example", channel=MAIL)
    assert other != conversation
    taken = await api.post(
        f"/api/v1/identity-suggestions/{by_address['home@mail.example']}/accept", "olga", {}
    )
    assert taken.status == 409 and taken.body["error"]["id"] == "identity-taken"
