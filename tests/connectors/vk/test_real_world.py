"""What real VK traffic sends that Okno used to lose or misfile, through the Callback API of the
running app on both backends: unreadable events, odd dates, empty messages, referrals, names."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from aiohttp import web

from connectors.vk.names import FAILURE_TTL_S
from hub.host.metrics import METRICS
from hub.models import Contact, InboundEvent, Lead, Message
from tests.conftest import Backend

from .fake_vk import USER_ID, VK
from .support import Serve, VkSite, open_vk

TEXT = VK.json("message_new__text.json")


def message_event(event_id: str, **fields: Any) -> dict[str, Any]:
    """message_new__text.json as another event, its message fields changed."""
    event = copy.deepcopy(TEXT)
    event["event_id"] = event_id
    event["object"]["message"].update(fields)
    return event


def unreadable_count(site: VkSite, kind: str) -> float:
    sample = site.app[METRICS].registry.get_sample_value(
        "okno_inbound_unreadable_total", {"channel": "vk:main", "kind": kind}
    )
    return sample or 0.0


@pytest.mark.parametrize(
    "broken",
    [
        {"attachments": 42},
        {"attachments": "photo"},
        {"attachments": {"type": "photo"}},
        {"fwd_messages": 7},
        {"from_id": 2**63},
    ],
)
async def test_an_unreadable_event_is_kept_raw_acknowledged_counted_and_logged_once(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture, broken: dict[str, Any]
) -> None:
    site = await open_vk(backend, serve)
    caplog.set_level(logging.DEBUG)
    for n in (1, 2, 2):  # the second one twice: VK's repeat of it
        assert await site.post(message_event(f"broken-{n}", **broken)) == (200, "ok")
    events = await site.all(InboundEvent)
    assert [e.external_id for e in events] == ["broken-1", "broken-2"]
    for event in events:
        assert event.status.value == "ignored"
        assert event.last_error.startswith("unreadable (malformed-event): ")
        assert f'"event_id": "{event.external_id}"' in event.payload["raw"]
    assert await site.count(Message) == 0 and await site.count(Contact) == 0
    assert unreadable_count(site, "malformed-event") == 2
    warnings = [
        r
        for r in caplog.records
        if "kept an unreadable input" in r.getMessage() and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1 and warnings[0].exc_info is None


@pytest.mark.parametrize("date", [2**63, 10**30, 2**40])
async def test_a_date_no_clock_can_hold_still_keeps_the_message(
    backend: Backend, serve: Serve, date: int
) -> None:
    site = await open_vk(backend, serve)
    assert await site.post(message_event("dated-1", date=date)) == (200, "ok")
    [message] = await site.all(Message)
    assert message.text == TEXT["object"]["message"]["text"]
    [event] = await site.all(InboundEvent)
    assert event.status.value == "processed" and event.payload["occurred_at"] is None


INVISIBLE = ["", "\u200b", "\u202e", "\ufeff", "\u200b\u200d\u2060 \u3164"]


async def test_messages_with_nothing_to_show_are_dropped_not_empty_bubbles(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    for n, text in enumerate(INVISIBLE):
        assert await site.post(message_event(f"blank-{n}", text=text)) == (200, "ok"), text
    assert await site.count(Message) == 0 and await site.count(Contact) == 0

    # A photo whose caption is only invisible characters is the photo alone.
    photo = VK.json("message_new__attachment_photo.json")
    photo["object"]["message"]["text"] = "\u200b\ufeff"
    assert await site.post(photo) == (200, "ok")
    [shown] = await site.all(Message)
    assert shown.text == "" and shown.meta["attachments"][0]["kind"] == "photo"

    # An edit that blanks a message is not applied: its words stay.
    assert await site.post_fixture("message_new__text.json") == (200, "ok")
    edit = VK.json("message_edit__text.json")
    edit["object"]["text"] = "\u200b"
    assert await site.post(edit) == (200, "ok")
    text = await site.message("1871")
    assert text.text == TEXT["object"]["message"]["text"] and text.edited_at is None


@pytest.mark.parametrize(
    ("referral", "source"),
    [
        ({"ref": "okna_promo", "ref_source": "wall_post_42"}, None),
        ({"ref": "site_widget"}, None),
        ({"ref": 2026, "ref_source": "  "}, {"ref": "2026"}),
    ],
)
async def test_the_referral_of_a_first_message_is_the_leads_source(
    backend: Backend,
    serve: Serve,
    referral: dict[str, Any],
    source: dict[str, str] | None,
) -> None:
    site = await open_vk(backend, serve)
    assert await site.post(message_event("first", **referral)) == (200, "ok")
    later = message_event("later", id=1899, conversation_message_id=1899, ref="other")
    assert await site.post(later) == (200, "ok")
    [lead] = await site.all(Lead)
    assert lead.source == "vk"
    assert lead.source_detail == (source if source is not None else referral)
    assert await site.count(Message) == 2


@pytest.mark.parametrize(
    "failure",
    [
        lambda: web.Response(status=502, text="Bad Gateway"),
        lambda: {"error": {"error_code": 10, "error_msg": "Internal server error"}},
    ],
)
async def test_a_name_vk_cannot_give_now_is_a_stand_in_filled_in_later(
    backend: Backend, serve: Serve, failure: Any
) -> None:
    site = await open_vk(backend, serve)
    now = [1000.0]
    site.connector.intake.names.clock = lambda: now[0]  # type: ignore[union-attr]
    site.vk.script("users.get", failure())
    assert await site.post(message_event("one")) == (200, "ok")
    [contact] = await site.all(Contact)
    assert contact.name == f"VK id {USER_ID}"  # never an empty name in a list

    # Another message soon after: VK is not asked again yet, the stand-in stays.
    soon = message_event("two", id=1890, conversation_message_id=1890)
    assert await site.post(soon) == (200, "ok")
    assert len(site.vk.called("users.get")) == 1

    # Later VK answers again: the next message brings the name and the contact gets it.
    now[0] += FAILURE_TTL_S + 1
    later = message_event("three", id=1891, conversation_message_id=1891)
    assert await site.post(later) == (200, "ok")
    [contact] = await site.all(Contact)
    assert contact.name == "Марина Кравцова"
    assert await site.count(Message) == 3


@pytest.mark.parametrize(
    ("event_id", "text", "stored_text"),
    [
        ("a\x00b", "Окно\x00 на кухню", "Окно на кухню"),
        ("e" * 400, "Замер \ud800завтра", "Замер \ufffdзавтра"),
    ],
)
async def test_what_postgresql_cannot_hold_is_kept_alike_on_both_backends(
    backend: Backend, serve: Serve, event_id: str, text: str, stored_text: str
) -> None:
    site = await open_vk(backend, serve)
    for _ in range(2):  # VK's repeat is recognised by the same stored key
        assert await site.post(message_event(event_id, text=text)) == (200, "ok")
    [event] = await site.all(InboundEvent)
    assert event.external_id.startswith("sha256:") and len(event.external_id) == 71
    [message] = await site.all(Message)
    assert message.text == stored_text


async def test_names_still_missing_are_fetched_again_without_a_new_message(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    now = [1000.0]
    names = site.connector.names
    assert names is not None and site.connector.name_retry is not None
    names.clock = lambda: now[0]
    neighbour = 498765432
    site.vk.script("users.get", {"error": {"error_code": 10, "error_msg": "Internal error"}})
    assert await site.post(message_event("marina")) == (200, "ok")
    other = message_event("sergey", from_id=neighbour, peer_id=neighbour, id=1950)
    assert await site.post(other) == (200, "ok")  # during the pause: VK not asked
    assert sorted(c.name for c in await site.all(Contact)) == [
        f"VK id {neighbour}",
        f"VK id {USER_ID}",
    ]
    assert await site.connector.name_retry.run_once() == 0  # still paused
    now[0] += 60
    assert await site.connector.name_retry.run_once() == 2
    [asked] = site.vk.called("users.get")[1:]
    assert sorted(asked["user_ids"].split(",")) == sorted([str(USER_ID), str(neighbour)])
    assert sorted(c.name for c in await site.all(Contact)) == ["Марина Кравцова", "Сергей Кузнецов"]
    assert await site.connector.name_retry.run_once() == 0  # nothing left to fetch
    assert await site.count(Message) == 2
