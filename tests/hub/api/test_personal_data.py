"""152-ФЗ requests over HTTP on both backends: an administrator exports everything Okno
holds about a person as a ZIP, and erases it; both leave an audit record. Expectations are
written by hand from what the test put in."""

from __future__ import annotations

import base64
import io
import json
import zipfile

from sqlalchemy import func, select

from connectors.base import Attachment, IdentityClaim, InboundMessage, Sender
from hub.models import (
    Contact,
    Conversation,
    EventLog,
    Identity,
    InboundEvent,
    Message,
    Role,
    StoredFile,
)
from routing.ingest import Ingestor
from tests.conftest import add_channel

from .conftest import Api

PDF = b"%PDF-1.4 counter offer"
SHARED = b"%PDF-1.4 price list"  # the same price list sent by two clients


async def mail(api: Api, number: int, name: str, address: str, text: str, *files: bytes) -> int:
    receipt = await Ingestor(api.hub).submit(
        InboundMessage(
            "email",
            "sales",
            f"<m{number}@example.ru>",
            Sender(name, (IdentityClaim("email", address),)),
            text,
            subject="Окна на дачу",
            attachments=tuple(
                Attachment(
                    kind="document",
                    name=f"файл-{index}.pdf",
                    mime_type="application/pdf",
                    content_b64=base64.b64encode(data).decode(),
                )
                for index, data in enumerate(files)
            ),
        )
    )
    assert receipt.conversation_id is not None
    return receipt.conversation_id


async def contact_of(api: Api, conversation_id: int) -> int:
    async with api.hub.db.sessions() as session:
        found = await session.get_one(Conversation, conversation_id)
        return int(found.contact_id)


async def audit(api: Api) -> list[tuple[str, int, int | None]]:
    async with api.hub.db.sessions() as session:
        rows = await session.scalars(
            select(EventLog).where(EventLog.kind == "personal_data.handled").order_by(EventLog.id)
        )
        return [
            (r.payload["action"], r.payload["contact_id"], r.payload["by_user_id"]) for r in rows
        ]


async def test_an_admin_exports_and_erases_a_persons_data(api: Api) -> None:
    await api.add_user("root", Role.admin)
    await add_channel(api.hub, "email", "sales")
    anna_thread = await mail(
        api,
        1,
        "Анна Соколова",
        "anna@example.ru",
        "Нужны окна, мой телефон 8 916 555-12-34",
        PDF,
        SHARED,
    )
    await mail(api, 2, "Анна Соколова", "anna@example.ru", "Жду ответа")
    boris_thread = await mail(api, 3, "Борис Ершов", "boris@example.ru", "Мне тоже", SHARED)
    anna, boris = await contact_of(api, anna_thread), await contact_of(api, boris_thread)
    root = api.users["root"].id

    # Only an administrator.
    for login in ("olga", "sveta"):
        async with api.client.get(
            f"/api/v1/contacts/{anna}/personal-data",
            headers={"Authorization": f"Bearer {api.tokens[login]}"},
        ) as refused:
            assert refused.status == 403
        erase = await api.post(f"/api/v1/contacts/{anna}/erase", login, {"confirm_name": "x"})
        assert erase.status == 403

    async with api.client.get(
        f"/api/v1/contacts/{anna}/personal-data",
        headers={"Authorization": f"Bearer {api.tokens['root']}"},
    ) as answer:
        assert answer.status == 200 and answer.content_type == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(await answer.read()))
    names = set(archive.namelist())
    assert {"README.txt", "contact.json", "tables/messages.json", "tables/identities.json"} <= names
    assert json.loads(archive.read("contact.json"))["name"] == "Анна Соколова"
    texts = [m["text"] for m in json.loads(archive.read("tables/messages.json"))]
    assert texts == ["Нужны окна, мой телефон 8 916 555-12-34", "Жду ответа"]
    identities = json.loads(archive.read("tables/identities.json"))
    assert [(i["kind"], i["value"]) for i in identities] == [("email", "anna@example.ru")]
    attached = sorted(archive.read(n) for n in names if n.startswith("files/"))
    assert attached == sorted([PDF, SHARED])
    assert await audit(api) == [("exported", anna, root)]

    # A wrong name erases nothing.
    wrong = await api.post(f"/api/v1/contacts/{anna}/erase", "root", {"confirm_name": "Анна"})
    assert wrong.status == 422
    assert wrong.body["error"]["details"][0]["type"] == "name-mismatch"
    erased = await api.post(
        f"/api/v1/contacts/{anna}/erase", "root", {"confirm_name": "Анна Соколова"}
    )
    assert erased.status == 200, erased.body
    # Her own file is gone; the price list Boris sent too stays for him.
    assert erased.body == {
        "contact_id": anna,
        "counts": {"identities": 1, "messages": 2, "files": 1},
    }
    async with api.hub.db.sessions() as session:
        person = await session.get_one(Contact, anna)
        assert (person.name, person.custom_fields) == ("Данные удалены", {})
        assert (
            await session.execute(select(Identity).where(Identity.contact_id == anna))
        ).first() is None
        kept = await session.scalars(
            select(Message).where(Message.conversation_id == anna_thread).order_by(Message.id)
        )
        assert [(m.direction.value, m.text, m.meta) for m in kept] == [
            ("in", "", {"erased": True}),
            ("in", "", {"erased": True}),
        ]
        stored = sorted(await session.scalars(select(StoredFile.data)))
        assert stored == [SHARED]
        payloads = await session.scalars(
            select(InboundEvent.payload).where(InboundEvent.conversation_id == anna_thread)
        )
        assert list(payloads) == [{"erased": True}, {"erased": True}]
        logged = await session.scalars(select(EventLog))
        leaks = [
            (e.kind, json.dumps(e.payload, ensure_ascii=False)[:300])
            for e in logged
            if "Нужны окна" in json.dumps(e.payload, ensure_ascii=False)
        ]
        assert leaks == []
        # The shape stays for the statistics: her conversation, and Boris untouched.
        assert (await session.get_one(Conversation, anna_thread)).contact_id == anna
        boris_row = await session.get_one(Contact, boris)
        assert boris_row.name == "Борис Ершов"
        boris_texts = await session.scalars(
            select(Message.text).where(Message.conversation_id == boris_thread)
        )
        assert list(boris_texts) == ["Мне тоже"]
        contacts = (await session.execute(select(func.count()).select_from(Contact))).scalar_one()
    assert await audit(api) == [("exported", anna, root), ("erased", anna, root)]
    # Her address now finds nobody: a new mail from it is a new person's request.
    again = await mail(api, 4, "Анна", "anna@example.ru", "Снова я")
    assert await contact_of(api, again) != anna
    async with api.hub.db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Contact))).scalar_one() == (
            contacts + 1
        )
