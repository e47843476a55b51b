"""Files end to end over the API: e-mail attachments stored once, downloads, uploads, rights."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import FormData
from sqlalchemy import delete, select

from connectors.email.mapping import MailboxPosition, to_inbound
from connectors.email.parse import parse_mail
from hub.actions import files, messages, unit_of_work
from hub.api.file_wire import Upload, upload_token
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import EventLog, InboundEvent, Message, MessageFile, StoredFile
from routing.ingest import Ingestor
from tests.conftest import FIXTURES, Backend

from .conftest import Api

EMAIL = FIXTURES / "email"
CYRILLIC = "message__attachment_rfc2231_cyrillic_name.eml"
LARGE = "message__large_attachment_300kb.eml"


async def mail_in(api: Api, name: str, uid: int) -> Message:
    """A fixture mail through the e-mail connector's mapping and the real ingest."""
    mail = parse_mail((EMAIL / name).read_bytes(), datetime.now(UTC))
    item = to_inbound(mail, "mail", MailboxPosition(7, uid), "zakaz@okno.example", "okno.example")
    receipt = await Ingestor(api.hub).submit(item)  # type: ignore[arg-type]
    async with api.hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
        assert event.message_id is not None, event.last_error
        return await session.get_one(Message, event.message_id)


async def links(api: Api) -> list[tuple[int, int, int]]:
    async with api.hub.db.sessions() as session:
        found = await session.execute(
            select(MessageFile.message_id, MessageFile.position, MessageFile.file_id).order_by(
                MessageFile.message_id, MessageFile.position
            )
        )
        return [(m, p, f) for m, p, f in found.all()]


async def rows(api: Api, model: type) -> list[Any]:
    async with api.hub.db.sessions() as session:
        return list((await session.execute(select(model))).scalars())


async def fetch(api: Api, path: str, as_user: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {api.tokens[as_user]}"}
    async with api.client.get(path, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def upload(
    api: Api, as_user: str, name: str, data: bytes, mime: str
) -> tuple[int, dict[str, Any]]:
    form = FormData()
    form.add_field("file", data, filename=name, content_type=mime)
    headers = {"Authorization": f"Bearer {api.tokens[as_user]}"}
    async with api.client.post("/api/v1/files", data=form, headers=headers) as response:
        return response.status, await response.json()


async def test_email_attachments_go_to_the_store_and_download_with_their_names(
    api: Api, tmp_path: Path
) -> None:
    await _email_channel(api)
    large = await mail_in(api, LARGE, 1)
    [png] = large.meta["attachments"]
    assert set(png) == {"kind", "name", "mime_type", "size", "file_id"}
    assert png["size"] == 225_383 and png["mime_type"] == "image/png"
    [stored] = await rows(api, StoredFile)
    assert stored.id == png["file_id"] and stored.size == 225_383
    assert await links(api) == [(large.id, 0, stored.id)]
    assert stored.data.startswith(b"\x89PNG") and len(stored.sha256) == 64
    # Neither the raw event nor the event log (websockets, resume) carries the bytes.
    for event in await rows(api, InboundEvent):
        [held] = event.payload["attachments"]
        assert held["content_b64"] is None and held["file_id"] == stored.id
        assert len(json.dumps(event.payload)) < 20_000
    for logged in await rows(api, EventLog):
        assert len(json.dumps(logged.payload)) < 20_000, logged.kind

    # The same mail read again (new UID, same Message-ID): no second file, no second message.
    assert (await mail_in(api, LARGE, 2)).id == large.id
    assert len(await rows(api, StoredFile)) == 1

    invoice = await mail_in(api, CYRILLIC, 3)
    [pdf] = invoice.meta["attachments"]
    assert (invoice.id, 0, pdf["file_id"]) in await links(api)
    name = "Счёт № 123 от 15.06.2026.pdf"
    assert pdf["name"] == name and "content_b64" not in pdf
    for path in (f"/api/v1/files/{pdf['file_id']}", f"/api/v1/messages/{invoice.id}/attachments/0"):
        status, headers, body = await fetch(api, path, "olga")  # in the queue: anyone
        assert status == 200, path
        assert len(body) == 609 and body.startswith(b"%PDF-1.4")
        assert headers["Content-Type"] == "application/pdf"
        disposition = headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=")
        assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        assert disposition.encode("ascii")  # the header itself stays ASCII
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]
    status, _, body = await fetch(api, f"/api/v1/messages/{large.id}/attachments/0", "sveta")
    assert status == 200 and body == stored.data
    assert (await fetch(api, f"/api/v1/messages/{large.id}/attachments/1", "sveta"))[0] == 404


async def test_files_of_someone_elses_conversation_are_refused(api: Api) -> None:
    await _email_channel(api)
    invoice = await mail_in(api, CYRILLIC, 1)
    file_id = invoice.meta["attachments"][0]["file_id"]
    await api.assign(invoice.conversation_id, "olga")
    paths = (f"/api/v1/files/{file_id}", f"/api/v1/messages/{invoice.id}/attachments/0")
    for path in paths:
        assert (await fetch(api, path, "olga"))[0] == 200  # the assignee
        assert (await fetch(api, path, "sveta"))[0] == 200  # a supervisor
        status, _, body = await fetch(api, path, "petr")  # another operator
        assert status == 403, path
        assert json.loads(body)["error"]["id"] in ("not-your-conversation", "file-not-visible")
    async with api.client.get(paths[0]) as anonymous:
        assert anonymous.status == 401
    assert (await fetch(api, "/api/v1/files/999999", "sveta"))[0] == 404


async def test_upload_reply_and_the_rules_around_them(
    api: Api, backend: Backend, serve: Any
) -> None:
    conversation_id = await api.inbound()
    page = b"<html><script>alert(1)</script></html>"
    status, html = await upload(api, "olga", "счёт.html", page, "text/html")
    assert status == 201 and html["name"] == "счёт.html" and html["size"] == len(page)
    status, png = await upload(api, "olga", "../../замер.png", b"\x89PNG\r\n\x1a\nxx", "image/png")
    assert status == 201 and png["name"] == "замер.png" and png["mime_type"] == "image/png"

    # A reply may be files only; another operator cannot reuse olga's upload ids.
    path = f"/api/v1/conversations/{conversation_id}/messages"
    stolen = await api.post(path, "petr", {"kind": "reply", "attachments": [png["id"]]})
    assert stolen.status == 422
    assert stolen.body["error"]["details"][0]["type"] == "no-such-upload"
    forged = png["id"][:-2] + ("AA" if not png["id"].endswith("AA") else "BB")
    bad = await api.post(path, "olga", {"kind": "reply", "attachments": [forged]})
    assert bad.status == 422
    note = await api.post(path, "olga", {"kind": "note", "text": "x", "attachments": [png["id"]]})
    assert note.status == 422
    reply = await api.post(path, "olga", {"kind": "reply", "attachments": [html["id"], png["id"]]})
    assert reply.status == 201, reply.body
    entries = reply.body["meta"]["attachments"]
    assert [(e["name"], e["file_id"]) for e in entries] == [
        ("счёт.html", html["file_id"]),
        ("замер.png", png["file_id"]),
    ]
    assert reply.body["text"] == ""
    reply_links = [link for link in await links(api) if link[0] == reply.body["id"]]
    assert reply_links == [
        (reply.body["id"], 0, html["file_id"]),
        (reply.body["id"], 1, png["file_id"]),
    ]

    # An active type is served as a download the browser will not render.
    status, headers, body = await fetch(api, f"/api/v1/files/{html['file_id']}", "olga")
    assert status == 200 and body == page
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")

    # The same bytes uploaded again, by anyone, are a file of their own: an upload never
    # answers with the id of a file someone else stored (nothing to learn from the id).
    status, again = await upload(api, "petr", "copy.png", b"\x89PNG\r\n\x1a\nxx", "image/png")
    assert status == 201 and again["file_id"] not in (png["file_id"], html["file_id"])
    status, twice = await upload(api, "olga", "замер.png", b"\x89PNG\r\n\x1a\nxx", "image/png")
    assert status == 201 and twice["file_id"] not in (png["file_id"], again["file_id"])

    # Uploads above the configured limit: 413 with a clear error.
    small = create_app(backend.settings(max_upload_bytes=1000))
    client = await serve(small)
    limited = Api(client, small[HUB], tokens=api.tokens)
    status, body = await upload(
        limited, "olga", "big.pdf", b"%PDF" + b"0" * 5000, "application/pdf"
    )
    assert status == 413 and body["error"]["id"] == "file-too-large"
    assert body["error"]["details"] == {"max_bytes": 1000}
    # Just over the limit but within the framing allowance: refused while reading.
    status, body = await upload(
        limited, "olga", "big.pdf", b"%PDF" + b"0" * 1100, "application/pdf"
    )
    assert status == 413
    status, body = await upload(limited, "olga", "ok.pdf", b"%PDF" + b"0" * 900, "application/pdf")
    assert status == 201


def test_upload_tokens_expire_and_name_their_uploader() -> None:
    from hub.api.file_wire import read_upload_token

    made = Upload(5, 3, "План №2.pdf", "application/pdf", 10)
    token = upload_token("k", made, now=1000.0)
    assert read_upload_token("k", token, now=1001.0) == made
    assert read_upload_token("other-key", token, now=1001.0) is None
    assert read_upload_token("k", token, now=1000.0 + 25 * 3600) is None
    assert read_upload_token("k", base64.urlsafe_b64encode(b"[]").decode() + ".x") is None


async def _email_channel(api: Api) -> None:
    from tests.conftest import add_channel

    await add_channel(api.hub, "email", "mail", {"address": "zakaz@okno.example"})


async def test_downloads_go_through_the_link_table(api: Api) -> None:
    await _email_channel(api)
    invoice = await mail_in(api, CYRILLIC, 1)
    file_id = invoice.meta["attachments"][0]["file_id"]
    path = f"/api/v1/files/{file_id}"
    assert (await fetch(api, path, "olga"))[0] == 200
    # The meta still names the file, but without its link nothing finds it any more.
    async with api.hub.db.sessions() as session, session.begin():
        await session.execute(delete(MessageFile).where(MessageFile.file_id == file_id))
    status, _, body = await fetch(api, path, "sveta")
    assert status == 404 and json.loads(body)["error"]["id"] == "no-such-file"
    assert (await fetch(api, path, "olga"))[0] == 404

    # Links follow the meta: an edit that replaces the files replaces the links, positions
    # without a stored file (a channel URL) and ids of no stored file are not linked.
    other = (await mail_in(api, LARGE, 2)).meta["attachments"][0]["file_id"]
    async with unit_of_work(api.hub) as uow:
        message = await uow.session.get_one(Message, invoice.id)
        await messages.apply_edit(
            uow,
            message,
            "исправлено",
            [
                {"kind": "photo", "name": "a.png", "mime_type": "image/png", "url": "https://x/a"},
                {"kind": "document", "name": "b.png", "mime_type": "image/png", "file_id": other},
                {"kind": "document", "name": "gone.pdf", "file_id": 987654},
                {"kind": "document", "name": "odd", "file_id": True},
            ],
        )
    assert [link for link in await links(api) if link[0] == invoice.id] == [(invoice.id, 1, other)]
    status, _, body = await fetch(api, f"/api/v1/files/{other}", "olga")
    assert status == 200 and body.startswith(b"\x89PNG")
    async with unit_of_work(api.hub) as uow:
        message = await uow.session.get_one(Message, invoice.id)
        await messages.apply_edit(uow, message, "без файлов", [])
    assert [link for link in await links(api) if link[0] == invoice.id] == []

    # A channel-hosted file fetched once is linked at its position too.
    async with unit_of_work(api.hub) as uow:
        message = await uow.session.get_one(Message, invoice.id)
        message.meta = {**message.meta, "attachments": [{"kind": "photo", "url": "https://x/p"}]}
        await files.remember_fetched(uow, message, 0, file_id)
    assert [link for link in await links(api) if link[0] == invoice.id] == [
        (invoice.id, 0, file_id)
    ]
    assert (await fetch(api, f"/api/v1/files/{file_id}", "olga"))[0] == 200
