"""Identity: normalise what a sender told us, find the contact it belongs to, or a new lead."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

import phonenumbers
from sqlalchemy import Select, and_, bindparam, case, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import IdentityClaim
from hub.actions.contacts import NormalisedIdentity
from hub.models import Contact, ContactStatus, Identity, IdentityKind

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DIGITS = re.compile(r"\D+")
# Digits with the usual separators, nothing else (no letters, no extension words).
_DIGITS_ONLY = re.compile(r"^[\d\s().-]+$")
# Longer text is no phone number; phonenumbers itself refuses input over 250 characters.
MAX_PHONE_CHARS = 100


def normalise_phone(raw: str, region: str = "RU") -> str | None:
    """E.164 for a valid number, else None (invalid numbers are never matched loosely).

    Every phone Okno receives goes by this one rule, whatever brought it (a form, a call, a
    number shared in a messenger), so the same person is found by any of them. Readings are
    tried in order and the first valid one wins:
    - Russian habit the library does not cover on its own: a bare 11-digit number with the
      trunk prefix 8 or the country code 7 and no plus ("89161234567", "79161234567");
    - the number as written, in the default region ("8 (916) 123-45-67", "+7 916…");
    - digits only and no plus: the international form without its plus, as messengers
      write shared numbers ("380501234567"); tried last, so a domestic reading wins.
    """
    text = raw.strip()
    if not text or len(text) > MAX_PHONE_CHARS:
        return None
    digits = _DIGITS.sub("", text)
    readings = [text]
    if not text.startswith("+"):
        if region == "RU" and len(digits) == 11 and digits[0] in "78":
            readings.insert(0, "+7" + digits[1:])
        if digits and _DIGITS_ONLY.match(text):
            readings.append("+" + digits)
    for reading in readings:
        try:
            number = phonenumbers.parse(reading, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return None


def normalise_email(raw: str) -> str | None:
    value = raw.strip().lower()
    return value if _EMAIL.match(value) else None


# A sender's claims are read more than once on the way in (a batch's choice of path, then its
# writing); parsing a phone is the dearest part of it and its answer never changes.
_phone_of = lru_cache(maxsize=16384)(normalise_phone)


def normalise_claim(claim: IdentityClaim, region: str = "RU") -> NormalisedIdentity | None:
    kind = IdentityKind(claim.kind)
    if kind is IdentityKind.phone:
        value = _phone_of(claim.value, region)
    elif kind is IdentityKind.email:
        value = normalise_email(claim.value)
    else:
        value = claim.value.strip() or None
    return NormalisedIdentity(kind, value, claim.value) if value else None


def normalise_claims(
    claims: Iterable[IdentityClaim], region: str = "RU"
) -> list[NormalisedIdentity]:
    seen: set[tuple[IdentityKind, str]] = set()
    result = []
    for claim in claims:
        identity = normalise_claim(claim, region)
        if identity is not None and (identity.kind, identity.value) not in seen:
            seen.add((identity.kind, identity.value))
            result.append(identity)
    return result


@cache
def _find_statement(count: int) -> Select[int]:
    """One statement per number of identities, with plain bind parameters: SQLAlchemy
    compiles it once, so a lookup costs a round trip and not a compilation."""
    client_first = case((Contact.status == ContactStatus.client, 0), else_=1)
    pairs = [
        and_(Identity.kind == bindparam(f"k{i}"), Identity.value == bindparam(f"v{i}"))
        for i in range(count)
    ]
    return (
        select(Identity.contact_id)
        .join(Contact, Contact.id == Identity.contact_id)
        .where(or_(*pairs))
        .order_by(client_first, Identity.contact_id)
        .limit(1)
    )


async def find_contact(session: AsyncSession, identities: list[NormalisedIdentity]) -> int | None:
    """The contact owning any of these identities: clients before leads, then the oldest.

    The hot path of every inbound: one indexed query on the (kind, value) unique key, run
    on the Core connection (no ORM objects to build).
    """
    if not identities:
        return None
    params: dict[str, str] = {}
    for i, identity in enumerate(identities):
        params[f"k{i}"] = identity.kind.value
        params[f"v{i}"] = identity.value
    connection = await session.connection()
    result = await connection.execute(_find_statement(len(identities)), params)
    return result.scalar_one_or_none()


async def owners(
    session: AsyncSession, identities: list[NormalisedIdentity]
) -> dict[int, ContactStatus]:
    """Every contact holding one of these identities, with its status."""
    if not identities:
        return {}
    keys = [(i.kind.value, i.value) for i in identities]
    rows = await session.execute(
        select(Contact.id, Contact.status)
        .join(Identity, Identity.contact_id == Contact.id)
        .where(tuple_(Identity.kind, Identity.value).in_(keys))
    )
    return {contact_id: status for contact_id, status in rows}


async def known(
    session: AsyncSession, identities: list[NormalisedIdentity]
) -> set[tuple[IdentityKind, str]]:
    """Which of these identities some contact holds already: one indexed lookup for all."""
    if not identities:
        return set()
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # The pairs as two arrays: one statement whatever their number (prepared once).
        params = {
            "kinds": [i.kind.value for i in identities],
            "values": [i.value for i in identities],
        }
        rows = await connection.execute(_KNOWN_PG, params)
    else:
        keys = [(i.kind.value, i.value) for i in identities]
        rows = await connection.execute(
            select(Identity.kind, Identity.value).where(
                tuple_(Identity.kind, Identity.value).in_(keys)
            )
        )
    return {(IdentityKind(kind), value) for kind, value in rows}


_KNOWN_PG = text(
    "SELECT i.kind, i.value FROM identities AS i"
    " JOIN unnest(CAST(:kinds AS VARCHAR[]), CAST(:values AS VARCHAR[])) AS k(kind, value)"
    " ON i.kind = k.kind AND i.value = k.value"
)


def unparsed_phones(claims: Iterable[IdentityClaim], region: str = "RU") -> list[str]:
    """Phones that could not be understood: kept as text on the contact, never matched."""
    return [
        c.value.strip()
        for c in claims
        if c.kind == "phone" and c.value.strip() and _phone_of(c.value, region) is None
    ]
