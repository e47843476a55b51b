"""Website chat messages of only invisible characters, through the visitor's socket of the
running app on both backends: refused like empty ones, never an empty bubble."""

from __future__ import annotations

import json
import uuid

import pytest

from hub.models import Contact, Message
from tests.conftest import Backend

from .site import Serve, answers_to, message, open_widget

INVISIBLE = ["\u200b", "\u202e", "\ufeff", "\u200b\u200d\u2060", "\u3164", "\u2800 \u200e"]


async def test_a_message_of_only_invisible_characters_is_refused_not_stored(
    backend: Backend, serve: Serve
) -> None:
    site = await open_widget(backend, serve)
    ws = await site.visitor()
    for invisible in INVISIBLE:
        frame = message(invisible)
        [answer] = await answers_to(ws, json.dumps(frame))
        assert answer["type"] == "error" and answer["id"] == "empty-message", repr(invisible)
    assert await site.count(Message) == 0 and await site.count(Contact) == 0

    # The socket is fine: the visitor's next real words are stored, invisible marks and all.
    words = message("Здравствуйте\u200b, нужен замер")
    answers = await answers_to(ws, json.dumps(words))
    assert [a["type"] for a in answers if a["type"] == "ack"] == ["ack"]
    [stored] = await site.all(Message)
    assert stored.text == "Здравствуйте\u200b, нужен замер"
    await ws.close()


@pytest.mark.parametrize("text", ["\u200b", "\ufeff\u202e"])
async def test_an_offline_request_with_blank_text_keeps_the_contact_without_the_blank(
    backend: Backend, serve: Serve, text: str
) -> None:
    site = await open_widget(backend, serve)
    ws = await site.visitor()
    offline = {
        "type": "offline",
        "client_id": str(uuid.uuid4()),
        "name": "Ольга",
        "phone": "8 916 123-45-67",
        "text": text,
    }
    answers = await answers_to(ws, json.dumps(offline))
    assert [a["type"] for a in answers if a["type"] in ("ack", "error")] == ["ack"]
    [stored] = await site.all(Message)
    assert stored.text == "" and stored.meta["contact_details"]["phone"] == "8 916 123-45-67"
    [contact] = await site.all(Contact)
    assert contact.name == "Ольга"
    await ws.close()
