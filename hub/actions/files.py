"""The file store: attachment bytes in `stored_files`.

Bytes a channel delivers are kept once per distinct content (keyed by their SHA-256), so a
source's repeat finds them. A person's upload gets a row of its own whatever its bytes
(`store_upload`): answering an upload with the id of an equal file someone else stored would
tell the uploader that such a file exists (an existence oracle across teams).

Files travel by reference: a message's meta names a file by id (`file_id`) and keeps only
its kind, name, type and size, so events, the event log and websockets never carry bytes.
Bytes a source delivers inline (e-mail) are moved here before the raw event is recorded.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import logging
import re
import secrets
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import Attachment, Inbound, InboundEdit, InboundMessage, OutgoingMessage
from hub.core import Hub
from hub.models import Message, MessageFile, StoredFile
from hub.models.base import utcnow

from .uow import UnitOfWork

log = logging.getLogger(__name__)

OCTET_STREAM = "application/octet-stream"
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def clean_mime(value: str | None) -> str:
    """A plain `type/subtype`, lower-cased, parameters dropped; anything odd is octet-stream."""
    mime = (value or "").split(";", 1)[0].strip().lower()
    return mime if _MIME.match(mime) else OCTET_STREAM


async def put(
    session: AsyncSession, dialect: str, data: bytes, mime_type: str, *, own_row: bool = False
) -> int:
    """Store the bytes once (by SHA-256) in the session's transaction; returns the row id.
    `own_row`: a row of its own, keyed by the hash of the bytes and a random salt (which no
    other row can share)."""
    salt = secrets.token_bytes(16) if own_row else b""
    digest = hashlib.sha256(salt + data).hexdigest()
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(StoredFile)
        .values(
            sha256=digest,
            mime_type=clean_mime(mime_type),
            size=len(data),
            data=data,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(StoredFile.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        return int(new_id)
    found = await session.execute(select(StoredFile.id).where(StoredFile.sha256 == digest))
    return int(found.scalar_one())


async def store(hub: Hub, data: bytes, mime_type: str) -> int:
    """`put` in a transaction of its own (an upload, bytes moved out of an inbound event)."""
    async with hub.db.sessions() as session, session.begin():
        return await put(session, hub.db.dialect, data, mime_type)


async def store_upload(hub: Hub, data: bytes, mime_type: str) -> int:
    """A person's upload: always a new row, never an id of someone else's file."""
    async with hub.db.sessions() as session, session.begin():
        return await put(session, hub.db.dialect, data, mime_type, own_row=True)


async def load(session: AsyncSession, file_id: int) -> StoredFile | None:
    return await session.get(StoredFile, file_id)


def decode(content_b64: str) -> bytes | None:
    try:
        return base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        return None


async def _externalised(hub: Hub, attachment: Attachment) -> Attachment:
    if attachment.content_b64 is None:
        return attachment
    data = decode(attachment.content_b64)
    if data is None:
        # Kept out of the event all the same: undecodable bytes help nobody.
        log.warning("attachment %r carried bytes that are not base64; dropped", attachment.name)
        return dataclasses.replace(attachment, content_b64=None)
    file_id = await store(hub, data, attachment.mime_type)
    return dataclasses.replace(attachment, content_b64=None, file_id=file_id, size=len(data))


async def externalise(hub: Hub, item: Inbound) -> Inbound:
    """The item with inline bytes moved into the file store (referenced by `file_id`).

    Runs before the raw event is recorded, so the event stays small. A crash between the two
    leaves at most an unreferenced file, and the source's repeat finds it by its hash.
    """
    if not isinstance(item, InboundMessage | InboundEdit | OutgoingMessage):
        return item
    if not any(a.content_b64 is not None for a in item.attachments):
        return item
    attachments = tuple([await _externalised(hub, a) for a in item.attachments])
    return dataclasses.replace(item, attachments=attachments)


def attachment_meta(attachment: Attachment) -> dict[str, Any]:
    """What a message's meta keeps of one attachment: never the bytes."""
    entry: dict[str, Any] = {
        "kind": attachment.kind,
        "name": attachment.name,
        "mime_type": attachment.mime_type,
        "size": attachment.size,
    }
    if attachment.file_id is not None:
        entry["file_id"] = attachment.file_id
    if attachment.url:
        entry["url"] = attachment.url
    if attachment.meta:
        entry["meta"] = dict(attachment.meta)
    return entry


async def attachments_meta(uow: UnitOfWork, attachments: tuple[Attachment, ...]) -> list[Any]:
    """Meta entries for an inbound item's files; bytes still inline (an event recorded before
    they were moved out at intake) are stored now."""
    entries = []
    for attachment in attachments:
        if attachment.content_b64 is not None:
            data = decode(attachment.content_b64)
            attachment = dataclasses.replace(attachment, content_b64=None)
            if data is not None:
                file_id = await put(uow.session, uow.hub.db.dialect, data, attachment.mime_type)
                attachment = dataclasses.replace(attachment, file_id=file_id, size=len(data))
        entries.append(attachment_meta(attachment))
    return entries


async def remember_fetched(uow: UnitOfWork, message: Message, index: int, file_id: int) -> None:
    """A channel-hosted file was fetched and stored: later opens read the stored copy."""
    entries = list((message.meta or {}).get("attachments") or [])
    if not 0 <= index < len(entries) or not isinstance(entries[index], dict):
        return
    entries[index] = {**entries[index], "file_id": file_id}
    message.meta = {**(message.meta or {}), "attachments": entries}
    await link_files(uow, message)


def _linked(meta: dict[str, Any] | None) -> dict[int, int]:
    """Attachment position -> stored file id, for the meta's entries that name one."""
    entries = (meta or {}).get("attachments")
    if not isinstance(entries, list):
        return {}
    return {
        position: entry["file_id"]
        for position, entry in enumerate(entries)
        if isinstance(entry, dict)
        and isinstance(entry.get("file_id"), int)
        and not isinstance(entry.get("file_id"), bool)
    }


async def link_files(uow: UnitOfWork, message: Message, *, new: bool = False) -> None:
    """Make `message_files` match the message's meta (downloads by file id look there).

    Every action that gives a message attachments calls this after setting its meta; `new`
    skips clearing links a just-created message cannot have yet.
    """
    session = uow.session
    await session.flush()  # the message's id, and its meta as the caller set it
    if not new:
        await session.execute(delete(MessageFile).where(MessageFile.message_id == message.id))
    wanted = _linked(message.meta)
    if not wanted:
        return
    # A name for a file that is not stored (a forged or stale id) is not linked: the
    # foreign key would refuse it, and there is nothing to download anyway.
    present = set(
        (
            await session.execute(
                select(StoredFile.id).where(StoredFile.id.in_(set(wanted.values())))
            )
        ).scalars()
    )
    rows = [
        {"message_id": message.id, "position": position, "file_id": file_id}
        for position, file_id in wanted.items()
        if file_id in present
    ]
    if rows:
        await session.execute(insert(MessageFile), rows)
