"""Contacts to and from CSV: the columns people keep in spreadsheets, duplicates reported.

Columns: name, phones and emails (several separated by ";"), organisation, position,
responsible (a user's login). Any other column is kept as a custom field of the contact.
Files saved by Excel (UTF-8 with a BOM, ";" as the delimiter) are read as they are; export
writes UTF-8 with a BOM so Excel shows Cyrillic correctly, and reads back unchanged.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from hub.actions import crm, unit_of_work
from hub.actions.contacts import NormalisedIdentity
from hub.core import Hub
from hub.crm_io.reading import unquote_cell
from hub.crm_io.writing import csv_cell
from hub.models import Contact, ContactOrganisation, Identity, IdentityKind, Organisation, User
from routing.identity import find_contact, normalise_email, normalise_phone

STANDARD_COLUMNS = ("name", "phones", "emails", "organisation", "position", "responsible")
LIST_SEPARATOR = ";"


class CsvFormatError(ValueError):
    """The file cannot be read as a contacts table at all."""


@dataclass(frozen=True)
class ContactRow:
    line: int
    name: str
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    organisation: str
    position: str
    responsible: str
    custom_fields: dict[str, str]


@dataclass
class ImportReport:
    created: int = 0
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(LIST_SEPARATOR) if part.strip())


def _delimiter(header_line: str) -> str:
    # Sniff the header only: data cells hold ";"-separated lists and commas in addresses.
    return max((",", ";", "\t"), key=header_line.count)


def parse_rows(text: str) -> list[ContactRow]:
    text = text.removeprefix("\ufeff")
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(header_line))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CsvFormatError("the file is empty") from None
    keys = [h.lower() if h.lower() in STANDARD_COLUMNS else h for h in header]
    if "name" not in keys:
        raise CsvFormatError(f"no 'name' column; expected columns {', '.join(STANDARD_COLUMNS)}")
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        values = dict(zip(keys, (unquote_cell(c).strip() for c in cells), strict=False))
        rows.append(
            ContactRow(
                line=reader.line_num,
                name=values.get("name", ""),
                phones=_split(values.get("phones", "")),
                emails=_split(values.get("emails", "")),
                organisation=values.get("organisation", ""),
                position=values.get("position", ""),
                responsible=values.get("responsible", ""),
                custom_fields={
                    k: v for k, v in values.items() if k not in STANDARD_COLUMNS and k and v
                },
            )
        )
    return rows


def normalise_row(row: ContactRow, region: str) -> tuple[list[NormalisedIdentity], list[str]]:
    """The row's identities, and one problem message per value that is not a phone/e-mail."""
    identities: list[NormalisedIdentity] = []
    problems: list[str] = []
    seen: set[tuple[IdentityKind, str]] = set()
    for kind, raws, normalise in (
        (IdentityKind.phone, row.phones, lambda raw: normalise_phone(raw, region)),
        (IdentityKind.email, row.emails, normalise_email),
    ):
        for raw in raws:
            value = normalise(raw)
            if value is None:
                problems.append(f"{raw!r} is not a valid {kind.value}")
            elif (kind, value) not in seen:
                seen.add((kind, value))
                identities.append(NormalisedIdentity(kind, value, raw))
    return identities, problems


async def import_contacts(hub: Hub, rows: Sequence[ContactRow]) -> ImportReport:
    """Create a client per good row in one transaction; a row whose phone or e-mail belongs
    to a known contact (or to an earlier row) is reported, not created."""
    report = ImportReport()
    region = hub.settings.default_region
    async with unit_of_work(hub) as uow:
        logins = {
            login: user_id
            for login, user_id in (await uow.session.execute(select(User.login, User.id))).all()
        }
        # Matched ignoring case in Python: SQLite's lower() knows only ASCII, not Cyrillic.
        organisations = {
            name.strip().casefold(): org_id
            for org_id, name in (
                await uow.session.execute(
                    select(Organisation.id, Organisation.name).order_by(Organisation.id.desc())
                )
            ).all()
        }
        for row in rows:
            where = f"line {row.line} ({row.name or 'no name'})"
            identities, problems = normalise_row(row, region)
            if row.responsible and row.responsible not in logins:
                problems.append(f"no user with login {row.responsible!r}")
            if not row.name and not identities:
                problems.append("neither a name nor a phone or e-mail")
            if problems:
                report.errors.append(f"{where}: {'; '.join(problems)}")
                continue
            existing = await find_contact(uow.session, identities)
            if existing is not None:
                owner = await uow.session.get_one(Contact, existing)
                report.duplicates.append(
                    f"{where}: already known as contact #{owner.id} {owner.name!r}"
                )
                continue
            contact = await crm.create_contact(
                uow,
                row.name,
                identities,
                responsible_user_id=logins.get(row.responsible),
                custom_fields=row.custom_fields,
            )
            if row.organisation:
                key = row.organisation.casefold()
                if key not in organisations:
                    created = await crm.create_organisation(uow, row.organisation)
                    organisations[key] = created.id
                await crm.link_contact_organisation(
                    uow, contact.id, organisations[key], row.position
                )
            report.created += 1
    return report


async def export_rows(hub: Hub) -> list[dict[str, str]]:
    async with hub.db.sessions() as session:
        contacts = (await session.execute(select(Contact).order_by(Contact.id))).scalars().all()
        identities = (await session.execute(select(Identity).order_by(Identity.id))).scalars()
        links = await session.execute(
            select(ContactOrganisation, Organisation.name)
            .join(Organisation, Organisation.id == ContactOrganisation.organisation_id)
            .order_by(ContactOrganisation.organisation_id)
        )
        logins = {
            user_id: login
            for user_id, login in (await session.execute(select(User.id, User.login))).all()
        }
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    for identity in identities:
        if identity.kind is IdentityKind.phone:
            phones.setdefault(identity.contact_id, []).append(identity.value)
        elif identity.kind is IdentityKind.email:
            emails.setdefault(identity.contact_id, []).append(identity.value)
    # One organisation per row: the contact's earliest-linked one.
    first_link: dict[int, tuple[str, str]] = {}
    for link, org_name in links.all():
        first_link.setdefault(link.contact_id, (org_name, link.position))
    rows = []
    for contact in contacts:
        organisation, position = first_link.get(contact.id, ("", ""))
        row = {
            "name": contact.name,
            "phones": LIST_SEPARATOR.join(phones.get(contact.id, [])),
            "emails": LIST_SEPARATOR.join(emails.get(contact.id, [])),
            "organisation": organisation,
            "position": position,
            "responsible": logins.get(contact.responsible_user_id or 0, ""),
        }
        row.update({k: str(v) for k, v in (contact.custom_fields or {}).items()})
        rows.append(row)
    return rows


def render_csv(rows: Iterable[dict[str, str]]) -> str:
    rows = list(rows)
    extra = sorted({k for row in rows for k in row} - set(STANDARD_COLUMNS))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*STANDARD_COLUMNS, *extra], lineterminator="\r\n")
    writer.writeheader()
    # Text a spreadsheet would run as a formula gets its `'`, as in the API's exports.
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return "\ufeff" + out.getvalue()


async def import_file(hub: Hub, path: Path) -> ImportReport:
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path} is not UTF-8 text ({exc.reason})") from None
    return await import_contacts(hub, parse_rows(text))


async def export_file(hub: Hub, path: Path) -> int:
    rows = await export_rows(hub)
    await asyncio.to_thread(path.write_text, render_csv(rows), encoding="utf-8", newline="")
    return len(rows)
