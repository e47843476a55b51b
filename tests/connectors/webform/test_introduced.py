"""The name a visitor typed is kept with the request and shown on the card («представился
как …»), also when the phone belongs to a client known under another name. Both backends,
through the form POST; expectations written out by hand."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hub.actions import crm, unit_of_work
from hub.actions.contacts import NormalisedIdentity
from hub.models import Contact, IdentityKind, Message
from hub.queries.card import contact_card
from tests.conftest import Backend

from .support import FORM_TYPE, FormSite, Serve, open_form

ANNA_PHONE = "+79161234567"


async def _client(site: FormSite, with_organisation: bool) -> tuple[int, int | None]:
    async with unit_of_work(site.hub) as uow:
        anna = await crm.create_contact(
            uow, "Анна Соколова", [NormalisedIdentity(IdentityKind.phone, ANNA_PHONE, ANNA_PHONE)]
        )
        if not with_organisation:
            return anna.id, None
        organisation = await crm.create_organisation(uow, "ООО Окна")
        await crm.link_contact_organisation(uow, anna.id, organisation.id, "закупки")
        return anna.id, organisation.id


async def _send(site: FormSite, n: int, name: str, phone: str, urlencoded: bool = False) -> None:
    body = {"submission_token": f"introduced-token-{n:04d}", "name": name, "phone": phone}
    if urlencoded:
        response = await site.post(urlencode(body).encode(), FORM_TYPE)
    else:
        response = await site.client.post("/forms/demo", json=body)
    assert response.status == 200, await response.text()


async def _names(site: FormSite, contact_id: int) -> list[tuple[str, int | None]]:
    await site.settled()
    async with site.hub.db.sessions() as session:
        card = await contact_card(session, contact_id)
    assert card is not None and card.name == "Анна Соколова"  # never renamed behind her back
    return [(item.name, item.contact_person_id) for item in card.introduced_as]


async def test_another_name_on_a_known_phone_is_shown_and_linked_once_added(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    anna, organisation = await _client(site, with_organisation=True)
    await _send(site, 1, "Екатерина Соловьёва", "8 (916) 123-45-67")
    assert await _names(site, anna) == [("Екатерина Соловьёва", None)]
    # Her own name in other spelling is no other person; «е» for «ё» is the same name.
    await _send(site, 2, "  анна   СОКОЛОВА ", "+7 916 1234567", urlencoded=True)
    await _send(site, 3, "Екатерина Соловьева", "9161234567")
    await _send(site, 4, "<b>Олег</b> & Co", "+7 (916) 123-45-67", urlencoded=True)
    # Newest first, each person once, in the spelling of their latest request.
    assert await _names(site, anna) == [("<b>Олег</b> & Co", None), ("Екатерина Соловьева", None)]
    assert await site.count(Contact) == 1  # no lead was made of anyone
    metas = [m.meta for m in await site.all(Message)]
    assert sorted(m["visitor_name"] for m in metas) == [
        "<b>Олег</b> & Co",
        "Екатерина Соловьева",
        "Екатерина Соловьёва",
        "анна   СОКОЛОВА",
    ]

    # Added as a contact person of her organisation: the card links her, no more offer.
    async with unit_of_work(site.hub) as uow:
        katya = await crm.create_contact(uow, "Екатерина Соловьёва")
        assert organisation is not None
        await crm.link_contact_organisation(uow, katya.id, organisation)
    assert await _names(site, anna) == [
        ("<b>Олег</b> & Co", None),
        ("Екатерина Соловьева", katya.id),
    ]


async def test_names_of_a_client_without_organisation_and_of_a_new_lead(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    anna, _ = await _client(site, with_organisation=False)
    await _send(site, 1, "Сергей", "8 916 123 45 67", urlencoded=True)
    assert await _names(site, anna) == [("Сергей", None)]
    # A new visitor's lead carries the typed name itself: nothing to show beside it.
    await _send(site, 2, "Игорь Лебедев", "+7 903 555-44-33")
    await site.settled()
    async with site.hub.db.sessions() as session:
        leads = [c for c in await site.all(Contact) if c.id != anna]
        assert [c.name for c in leads] == ["Игорь Лебедев"]
        card: Any = await contact_card(session, leads[0].id)
    assert card.introduced_as == []
