"""Suspected duplicate contacts, each pair with the reason it looks like one person.

Identities are unique, so two contacts never share a normalised phone or address; what
slips through is the same number written so it could not be parsed, a mailbox spelled
another way (dots and +tags at Gmail, Yandex's domain aliases), or the same person entered
twice in one organisation under a slightly different name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import Contact, ContactOrganisation, Identity, IdentityKind, Organisation

_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
_DOMAIN_ALIASES = {
    "ya.ru": "yandex.ru",
    "yandex.com": "yandex.ru",
    "yandex.by": "yandex.ru",
    "yandex.kz": "yandex.ru",
    "yandex.ua": "yandex.ru",
    "narod.ru": "yandex.ru",
}
NAME_SIMILARITY = 0.85


@dataclass(frozen=True)
class SuspectedDuplicate:
    contact_ids: tuple[int, int]
    reason: str  # same_phone | same_email | similar_name_same_organisation
    detail: str


_PHONE_LIKE = re.compile(r"\+?\d[\d\s\-().]{8,}\d")


def phone_keys(text: str) -> list[str]:
    """The last ten digits of every phone-like run in the text ("903 111-22-33 доб. 5")."""
    keys = []
    for run in _PHONE_LIKE.findall(text):
        digits = re.sub(r"\D", "", run)
        if len(digits) >= 10:
            keys.append(digits[-10:])
    return keys


def email_key(address: str) -> str | None:
    local, _, domain = address.strip().lower().rpartition("@")
    if not local or not domain:
        return None
    local = local.split("+", 1)[0]
    domain = _DOMAIN_ALIASES.get(domain, domain)
    if domain in _DOTLESS_DOMAINS:
        domain = _DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def name_key(name: str) -> str:
    tokens = re.findall(r"\w+", name.casefold().replace("ё", "е"))
    return " ".join(sorted(tokens))


def _pairs(groups: dict[str, set[int]], reason: str) -> Iterable[SuspectedDuplicate]:
    for key, ids in groups.items():
        ordered = sorted(ids)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                yield SuspectedDuplicate((first, second), reason, key)


async def find(session: AsyncSession, limit: int = 500) -> list[SuspectedDuplicate]:
    live = Contact.merged_into_id.is_(None)
    phones: dict[str, set[int]] = defaultdict(set)
    emails: dict[str, set[int]] = defaultdict(set)
    identities = await session.execute(
        select(Identity.contact_id, Identity.kind, Identity.value)
        .join(Contact, Contact.id == Identity.contact_id)
        .where(live, Identity.kind.in_([IdentityKind.phone, IdentityKind.email]))
    )
    for contact_id, kind, value in identities:
        if kind is IdentityKind.phone:
            for key in phone_keys(value):
                phones[key].add(contact_id)
        elif loose_email := email_key(value):
            emails[loose_email].add(contact_id)
    unparsed = await session.execute(select(Contact.id, Contact.custom_fields).where(live))
    for contact_id, fields in unparsed:
        for raw in (fields or {}).get("unparsed_phones", []):
            for key in phone_keys(str(raw)):
                phones[key].add(contact_id)

    found: dict[tuple[int, int], SuspectedDuplicate] = {}
    for dup in [*_pairs(phones, "same_phone"), *_pairs(emails, "same_email")]:
        found.setdefault(dup.contact_ids, dup)
    for dup in await _similar_names_in_organisations(session):
        found.setdefault(dup.contact_ids, dup)
    return sorted(found.values(), key=lambda d: d.contact_ids)[:limit]


async def _similar_names_in_organisations(session: AsyncSession) -> list[SuspectedDuplicate]:
    a, b = aliased(ContactOrganisation), aliased(ContactOrganisation)
    ca, cb = aliased(Contact), aliased(Contact)
    rows = await session.execute(
        select(a.contact_id, ca.name, b.contact_id, cb.name, Organisation.name)
        .join(b, (b.organisation_id == a.organisation_id) & (b.contact_id > a.contact_id))
        .join(ca, ca.id == a.contact_id)
        .join(cb, cb.id == b.contact_id)
        .join(Organisation, Organisation.id == a.organisation_id)
        .where(ca.merged_into_id.is_(None), cb.merged_into_id.is_(None))
    )
    result = []
    for first, first_name, second, second_name, organisation in rows:
        ratio = SequenceMatcher(None, name_key(first_name), name_key(second_name)).ratio()
        if ratio >= NAME_SIMILARITY:
            result.append(
                SuspectedDuplicate((first, second), "similar_name_same_organisation", organisation)
            )
    return result
