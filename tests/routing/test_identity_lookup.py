"""Finding who a sender is, on both backends: the contact owning any of the identities (clients
before leads, then the oldest), every owner with its status, and the phones that stay text.
Pinned where mutation testing (bench/mutation.sh) found `find_contact`, `owners` and
`unparsed_phones` reached only through ingest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.base import IdentityClaim
from hub.actions.contacts import NormalisedIdentity
from hub.core import Hub
from hub.models import Contact, ContactStatus, Identity, IdentityKind
from routing.identity import (
    find_contact,
    normalise_claims,
    normalise_phone,
    owners,
    unparsed_phones,
)

PHONE = NormalisedIdentity(IdentityKind.phone, "+79161234567", "8 916 123-45-67")
EMAIL = NormalisedIdentity(IdentityKind.email, "anna@mail.example", "Anna@Mail.Example")
# The same text as a phone is another identity than as an e-mail (the kind is matched too).
EMAIL_AS_PHONE = NormalisedIdentity(IdentityKind.phone, "anna@mail.example", "")


@pytest.fixture
async def people(hub: Hub) -> AsyncIterator[tuple[Hub, dict[str, int]]]:
    """A lead by phone and e-mail (oldest), a client by e-mail, a lead by Telegram."""
    ids: dict[str, int] = {}
    async with hub.db.sessions() as session, session.begin():
        for name, status, identities in (
            ("lead", ContactStatus.lead, [PHONE, EMAIL]),
            (
                "client",
                ContactStatus.client,
                [NormalisedIdentity(IdentityKind.phone, "+74951234567", "")],
            ),
            ("other", ContactStatus.lead, [NormalisedIdentity(IdentityKind.telegram, "42", "")]),
        ):
            contact = Contact(name=name, status=status)
            session.add(contact)
            await session.flush()
            ids[name] = contact.id
            for identity in identities:
                session.add(
                    Identity(contact_id=contact.id, kind=identity.kind, value=identity.value)
                )
    yield hub, ids


async def test_the_owner_of_any_identity_is_found_clients_first(
    people: tuple[Hub, dict[str, int]],
) -> None:
    hub, ids = people
    client_phone = NormalisedIdentity(IdentityKind.phone, "+74951234567", "")
    telegram = NormalisedIdentity(IdentityKind.telegram, "42", "")
    async with hub.db.sessions() as session:
        assert await find_contact(session, []) is None
        assert await find_contact(session, [EMAIL_AS_PHONE]) is None
        assert await find_contact(session, [PHONE]) == ids["lead"]
        assert await find_contact(session, [telegram, EMAIL]) == ids["lead"]  # the older
        assert await find_contact(session, [PHONE, client_phone]) == ids["client"]
        assert await find_contact(session, [client_phone, PHONE]) == ids["client"]


async def test_every_owner_is_told_with_its_status(people: tuple[Hub, dict[str, int]]) -> None:
    hub, ids = people
    client_phone = NormalisedIdentity(IdentityKind.phone, "+74951234567", "")
    async with hub.db.sessions() as session:
        assert await owners(session, []) == {}
        assert await owners(session, [EMAIL_AS_PHONE]) == {}
        assert await owners(session, [PHONE, EMAIL, client_phone]) == {
            ids["lead"]: ContactStatus.lead,
            ids["client"]: ContactStatus.client,
        }


def test_phones_that_cannot_be_read_stay_text_in_the_senders_region() -> None:
    claims = [
        IdentityClaim("phone", " 12 "),
        IdentityClaim("phone", "8 916 123-45-67"),
        IdentityClaim("phone", "   "),
        IdentityClaim("email", "not a phone"),
        IdentityClaim("phone", "29 123-45-67"),  # Belarusian, written locally
    ]
    assert unparsed_phones(claims) == ["12", "29 123-45-67"]  # Russia by default
    assert unparsed_phones(claims, region="BY") == ["12", "8 916 123-45-67"]


def test_a_seven_with_words_after_it_is_read_as_the_country_code_in_russia_only() -> None:
    # phonenumbers takes the number as written when it is bare digits and separators; with a
    # name or an extension word after it only the 11-digit "7 …" reading finds it.
    claims = [IdentityClaim("phone", "7 916 123-45-67 (Анна)")]
    assert [i.value for i in normalise_claims(claims)] == ["+79161234567"]
    assert normalise_claims(claims, region="BY") == []
    for other in ("7 916 123-45-678 (Анна)", "6 916 123-45-67 (Анна)", "79 16 123-45-6 (Анна)"):
        assert normalise_claims([IdentityClaim("phone", other)]) == [], other


def test_a_region_phonenumbers_does_not_know_still_reads_international_numbers() -> None:
    # A typo in the default region must not lose the numbers that carry their country: the
    # reading as written fails, the digits read with a plus still do.
    assert normalise_phone("380501234567", region="ZZ") == "+380501234567"
    assert normalise_phone("+7 916 123-45-67", region="ZZ") == "+79161234567"
    assert normalise_phone("916 123-45-67", region="ZZ") is None
