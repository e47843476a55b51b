"""Files over the API: upload (operators), download by file id or by message attachment.

These speak multipart and raw bytes, not JSON, so they are plain aiohttp handlers; each
checks the caller with `require` exactly as the JSON routes do.
"""

from __future__ import annotations

import asyncio
import mimetypes
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from sqlalchemy import select

from connectors.base import Attachment
from connectors.capabilities import FileFetch, FileUnavailable
from hub.actions import files, unit_of_work
from hub.api.web_auth import require
from hub.auth import Principal
from hub.host.appkeys import HUB, RUNNER
from hub.models import Channel, Conversation, Message, MessageFile, Role
from hub.policy import DomainError, can_see_files_where, ensure_can_see_files

from .file_wire import (
    OPENAPI_PATHS,
    Upload,
    clean_name,
    file_response,
    read_upload_token,
    readable_multipart,
    upload_token,
)
from .registry import API_PREFIX

__all__ = ["OPENAPI_PATHS", "attachments_of_uploads", "setup"]

FETCH_TIMEOUT_S = 90.0
# Multipart framing around the file; a body longer than the limit plus this is refused unread.
_FRAMING_BYTES = 16 * 1024
_CHUNK = 64 * 1024


def too_large(limit: int) -> DomainError:
    return DomainError(
        "file-too-large",
        413,
        f"The file is larger than the {limit // (1024 * 1024) or 1} MB allowed.",
        {"max_bytes": limit},
    )


def _no_file(message: str) -> DomainError:
    return DomainError("no-such-file", 404, message)


async def _file_part(request: web.Request) -> BodyPartReader:
    if not request.content_type.startswith("multipart/"):
        raise DomainError(
            "not-multipart", 415, "Send the file as multipart/form-data, field 'file'."
        )
    with readable_multipart():
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "file":
                return part
            await part.release()
    raise DomainError("no-file", 422, "The form has no 'file' field.")


async def _read_limited(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: web.Request) -> web.Response:
    principal = require(request, Role.operator)
    hub = request.app[HUB]
    limit = hub.settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + _FRAMING_BYTES:
        raise too_large(limit)
    part = await _file_part(request)
    with readable_multipart():
        data = await _read_limited(part, limit)
    if not data:
        raise DomainError("empty-file", 422, "The file is empty.")
    # Browsers escape '"' and line breaks as %22, %0A; aiohttp clients escape everything.
    name = clean_name(unquote(part.filename or "")) or "file"
    mime = files.clean_mime(part.headers.get("Content-Type"))
    if mime == files.OCTET_STREAM:
        mime = files.clean_mime(mimetypes.guess_type(name)[0])
    file_id = await files.store_upload(hub, data, mime)
    token = upload_token(
        hub.settings.secret_key, Upload(file_id, principal.user_id, name, mime, len(data))
    )
    body = {"id": token, "file_id": file_id, "name": name, "mime_type": mime, "size": len(data)}
    return web.json_response(body, status=201)


def attachments_of_uploads(
    secret: str, principal: Principal, tokens: list[str]
) -> list[dict[str, Any]]:
    """Message-meta entries for a reply's files: only uploads this caller made."""
    entries = []
    for index, token in enumerate(tokens):
        found = read_upload_token(secret, token)
        if found is None or found.user_id != principal.user_id:
            raise DomainError(
                "invalid-input",
                422,
                "Some fields are not valid.",
                [
                    {
                        "field": f"attachments.{index}",
                        "location": "body",
                        "type": "no-such-upload",
                        "message": "Not an upload of yours, or it expired; upload it again.",
                    }
                ],
            )
        entries.append(
            {
                "kind": "photo" if found.mime_type.startswith("image/") else "document",
                "name": found.name,
                "mime_type": found.mime_type,
                "size": found.size,
                "file_id": found.file_id,
            }
        )
    return entries


def _entry_at(meta: dict[str, Any] | None, position: int, file_id: int) -> dict[str, Any]:
    """The attachment entry a link points at; a bare one if the meta no longer matches."""
    entries = (meta or {}).get("attachments")
    if isinstance(entries, list) and 0 <= position < len(entries):
        entry = entries[position]
        if isinstance(entry, dict) and entry.get("file_id") == file_id:
            return entry
    return {}


async def download(request: web.Request) -> web.Response:
    """A stored file, for someone who may see a conversation holding it."""
    principal = require(request, Role.operator)
    hub = request.app[HUB]
    file_id = int(request.match_info["id"])
    # Names and permissions live with the messages; `message_files` finds them by file id
    # (indexed), the newest message the caller may see wins.
    linked = (
        select(Message.meta, MessageFile.position)
        .join(Message, Message.id == MessageFile.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(MessageFile.file_id == file_id)
    )
    async with hub.db.sessions() as session:
        found = (
            await session.execute(
                linked.where(can_see_files_where(principal))
                .order_by(MessageFile.message_id.desc())
                .limit(1)
            )
        ).first()
        if found is None:
            held = (await session.execute(linked.limit(1))).first() is not None
            if held:
                raise DomainError(
                    "file-not-visible",
                    403,
                    "This file is in a conversation assigned to someone else.",
                )
            raise _no_file("There is no such file in a conversation you can open.")
        stored = await files.load(session, file_id)
    if stored is None:  # the foreign key keeps this from happening; never a 500 all the same
        raise _no_file("There is no such file in a conversation you can open.")
    entry = _entry_at(found.meta, found.position, file_id)
    name = str(entry.get("name") or f"file-{file_id}")
    return file_response(stored.data, str(entry.get("mime_type") or stored.mime_type), name)


async def message_attachment(request: web.Request) -> web.Response:
    """Attachment `n` of a message: from the store, or fetched through the channel once."""
    principal = require(request, Role.operator)
    hub = request.app[HUB]
    message_id, index = int(request.match_info["id"]), int(request.match_info["n"])
    async with hub.db.sessions() as session:
        row = (
            await session.execute(
                select(Message, Conversation, Channel)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Channel, Channel.id == Conversation.channel_id)
                .where(Message.id == message_id)
            )
        ).first()
        if row is None:
            raise DomainError("no-such-message", 404, f"There is no message {message_id}.")
        message, conversation, channel = row
        ensure_can_see_files(principal, conversation)
        entries = (message.meta or {}).get("attachments") or []
        if not 0 <= index < len(entries) or not isinstance(entries[index], dict):
            raise _no_file(f"Message {message_id} has no attachment {index}.")
        entry: dict[str, Any] = entries[index]
        file_id = entry.get("file_id")
        stored = await files.load(session, file_id) if isinstance(file_id, int) else None
    name = str(entry.get("name") or entry.get("kind") or "file")
    if stored is not None:
        return file_response(stored.data, str(entry.get("mime_type") or stored.mime_type), name)
    if not entry.get("url"):
        raise _no_file("This attachment has no file (a location, say).")
    data, mime = await _fetch(request, channel, entry)
    new_id = await files.store(hub, data, mime)
    async with unit_of_work(hub) as uow:
        fresh = await uow.session.get(Message, message_id)
        if fresh is not None:
            await files.remember_fetched(uow, fresh, index, new_id)
    return file_response(data, mime, name)


async def _fetch(
    request: web.Request, channel: Channel, entry: dict[str, Any]
) -> tuple[bytes, str]:
    connector = request.app[RUNNER].get(channel.kind, channel.name)
    if connector is None:
        raise DomainError("channel-not-running", 503, "The channel is not running on this server.")
    if not isinstance(connector, FileFetch):
        why = f"The channel did not give the file: {channel.kind} channels do not hand over files"
        raise DomainError("file-unavailable", 502, why)
    extras = entry.get("meta")
    attachment = Attachment(
        kind=str(entry.get("kind") or "file"),
        name=str(entry.get("name") or ""),
        mime_type=str(entry.get("mime_type") or ""),
        size=entry.get("size") if isinstance(entry.get("size"), int) else None,
        url=str(entry["url"]),
        meta=extras if isinstance(extras, dict) else {},
    )
    try:
        async with asyncio.timeout(FETCH_TIMEOUT_S):
            fetched = await connector.fetch_file(attachment)
    except FileUnavailable as exc:
        status = 503 if exc.temporary else 502
        why = f"The channel did not give the file: {exc}"
        raise DomainError("file-unavailable", status, why) from exc
    except TimeoutError:
        why = "The channel did not give the file in time."
        raise DomainError("file-unavailable", 504, why) from None
    return fetched.data, files.clean_mime(fetched.mime_type or attachment.mime_type)


def setup(app: web.Application) -> None:
    app.router.add_post(API_PREFIX + "/files", upload, name="upload_file")
    app.router.add_get(API_PREFIX + "/files/{id:[0-9]{1,18}}", download, name="download_file")
    app.router.add_get(
        API_PREFIX + "/messages/{id:[0-9]{1,18}}/attachments/{n:[0-9]{1,3}}",
        message_attachment,
        name="message_attachment",
    )
