"""Files with Telegram: an operator's upload reaches the client through the outbox, and a
client's photo is fetched through the connector (getFile + download) and then kept."""

from __future__ import annotations

from typing import Any

from aiohttp import FormData

from hub.actions import unit_of_work
from hub.actions.users import create_api_token
from hub.models import Message, OutboxItem, OutboxStatus, Role, StoredFile, User
from tests.conftest import Backend, add_user

from .fake_api import FakeBotApi, Reply, sent_message
from .support import Bot, Serve, open_bot

PDF = b"%PDF-1.4 smeta " + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"plan" * 500


async def token_for(bot: Bot, login: str, role: Role = Role.operator) -> str:
    user = await add_user(bot.hub, login, role)
    async with unit_of_work(bot.hub) as uow:
        return await create_api_token(uow, await uow.session.get_one(User, user.id))


async def upload(bot: Bot, token: str, name: str, data: bytes, mime: str) -> dict[str, Any]:
    form = FormData()
    form.add_field("file", data, filename=name, content_type=mime)
    headers = {"Authorization": f"Bearer {token}"}
    async with bot.client.post("/api/v1/files", data=form, headers=headers) as response:
        assert response.status == 201, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def reply(bot: Bot, token: str, conversation_id: int, body: dict[str, Any]) -> OutboxItem:
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/conversations/{conversation_id}/messages"
    async with bot.client.post(path, json=body, headers=headers) as response:
        assert response.status == 201, await response.text()
        message_id = (await response.json())["id"]
    [item] = await bot.all(OutboxItem, OutboxItem.message_id == message_id)
    return await bot.settled(item.id)


async def test_uploaded_files_go_out_as_document_and_captioned_photo(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    assert (await bot.post_fixture("message__text.json")).status == 200
    [message] = await bot.all(Message)
    token = await token_for(bot, "olga")
    pdf = await upload(bot, token, "Смета №17.pdf", PDF, "application/pdf")
    png = await upload(bot, token, "план.png", PNG, "image/png")

    api.queue("sendDocument", sent_message(1601, document={"file_id": "BQ", "file_unique_id": "A"}))
    sent_photo = [{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    api.queue(
        "sendPhoto", sent_message(1602, photo=sent_photo), sent_message(1603, photo=sent_photo)
    )
    both = {"kind": "reply", "text": "Смета и план", "attachments": [pdf["id"], png["id"]]}
    item = await reply(bot, token, message.conversation_id, both)
    assert item.status is OutboxStatus.sent, item.error
    assert [c.method for c in api.calls if c.method.startswith("send")] == [
        "sendMessage",
        "sendDocument",
        "sendPhoto",
    ]
    [document] = api.calls_of("sendDocument")[0].files.values()
    assert document == ("Смета №17.pdf", PDF)
    [photo] = api.calls_of("sendPhoto")[0].files.values()
    assert photo == ("план.png", PNG)

    # One file with a short text: a single photo message with the text as its caption.
    one = {"kind": "reply", "text": "Вот замер", "attachments": [png["id"]]}
    single = await reply(bot, token, message.conversation_id, one)
    assert single.status is OutboxStatus.sent, single.error
    last = api.calls_of("sendPhoto")[-1]
    assert last.params["caption"] == "Вот замер" and list(last.files.values()) == [photo]
    assert len(api.calls_of("sendMessage")) == 1


async def test_client_photo_is_fetched_through_the_bot_and_cached(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    assert (await bot.post_fixture("message__photo_with_caption.json")).status == 200
    [message] = await bot.all(Message)
    [photo] = message.meta["attachments"]
    assert photo["kind"] == "photo" and photo["url"] and "file_id" not in photo
    api.files["photos/file_7.jpg"] = b"\xff\xd8\xff\xe0 jpeg bytes"
    file = {"file_id": photo["url"], "file_unique_id": "u1", "file_size": 16,
            "file_path": "photos/file_7.jpg"}  # fmt: skip
    api.queue("getFile", Reply(200, {"ok": True, "result": file}))
    token = await token_for(bot, "sveta", Role.supervisor)
    path = f"/api/v1/messages/{message.id}/attachments/0"
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):
        async with bot.client.get(path, headers=headers) as response:
            assert response.status == 200, await response.text()
            assert await response.read() == b"\xff\xd8\xff\xe0 jpeg bytes"
            assert response.headers["Content-Type"] == "image/jpeg"
    # Fetched once; the second open read the stored copy.
    assert len(api.calls_of("getFile")) == 1 and api.downloads == ["photos/file_7.jpg"]
    assert api.calls_of("getFile")[0].params["file_id"] == photo["url"]
    [stored] = await bot.all(StoredFile)
    [kept] = (await bot.all(Message, Message.id == message.id))[0].meta["attachments"]
    assert kept["file_id"] == stored.id and kept["url"] == photo["url"]

    # A file Telegram no longer gives: a clear 502, nothing stored.
    assert (await bot.post_fixture("message__document_pdf.json")).status == 200
    [_, document] = await bot.all(Message)
    api.queue("getFile", Reply(400, {"ok": False, "error_code": 400,
                                     "description": "Bad Request: file is too big"}))  # fmt: skip
    async with bot.client.get(
        f"/api/v1/messages/{document.id}/attachments/0", headers=headers
    ) as response:
        assert response.status == 502
        error = (await response.json())["error"]
        assert error["id"] == "file-unavailable" and "file is too big" in error["message"]
    assert len(await bot.all(StoredFile)) == 1
