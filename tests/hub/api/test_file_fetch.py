"""A file the channel hosts is fetched through the FileFetch capability; a running channel
whose connector has none says so instead of pretending to fetch."""

from __future__ import annotations

import json

from sqlalchemy import select

from connectors.base import Attachment, IdentityClaim, InboundMessage, Sender
from hub.host.appkeys import RUNNER
from hub.host.channels import spec_of
from hub.models import Channel, Message, StoredFile
from routing.ingest import Ingestor

from .conftest import Api


async def test_a_channel_that_hosts_no_files_answers_file_unavailable(api: Api) -> None:
    async with api.hub.db.sessions() as session:
        site = (await session.execute(select(Channel).where(Channel.name == "site"))).scalar_one()
    # The web form's connector runs on this node, and it offers no FileFetch.
    await api.client.server.app[RUNNER].start_channel(spec_of(site))
    photo = Attachment(kind="photo", name="plan.png", url="https://forms.example/plan.png")
    receipt = await Ingestor(api.hub).submit(
        InboundMessage(
            channel_kind="webform",
            channel_name="site",
            external_id="ext-file-1",
            sender=Sender(name="Анна", identities=(IdentityClaim("phone", "+79161234567"),)),
            text="План квартиры",
            attachments=(photo,),
        )
    )
    async with api.hub.db.sessions() as session:
        message_id = (
            await session.execute(
                select(Message.id).where(Message.conversation_id == receipt.conversation_id)
            )
        ).scalar_one()

    headers = {"Authorization": f"Bearer {api.tokens['sveta']}"}
    path = f"/api/v1/messages/{message_id}/attachments/0"
    async with api.client.get(path, headers=headers) as response:
        status, body = response.status, json.loads(await response.read())
    assert status == 502
    assert body["error"]["id"] == "file-unavailable"
    assert body["error"]["message"] == (
        "The channel did not give the file: webform channels do not hand over files"
    )
    async with api.hub.db.sessions() as session:
        assert (await session.execute(select(StoredFile))).scalars().all() == []
