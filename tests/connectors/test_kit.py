"""The connector test kit itself: its fake context de-duplicates like the real ingest, its
loader reads the fixtures inside the repository, its contract checks catch violations."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import Field, model_validator
from sqlalchemy import select

from connectors import registry, testing
from connectors.base import (
    BaseConnector,
    ConnectorOptions,
    IdentityClaim,
    Inbound,
    InboundMessage,
    Receipt,
    Sender,
    WebhookResponse,
)
from connectors.testing import (
    FIXTURES_ROOT,
    FakeContext,
    Fixtures,
    StorageDown,
    check_bad_options,
    check_options_schema,
    parse_every_fixture,
)
from hub.core import Hub
from hub.models import Message
from routing.ingest import Ingestor, source_of
from tests.conftest import add_channel

REPO = Path(__file__).resolve().parents[2]


def message(name: str, external_id: str, text: str) -> InboundMessage:
    anna = Sender("Анна", (IdentityClaim("phone", "+79161234567"),))
    return InboundMessage("webform", name, external_id, anna, text=text, message_ref=external_id)


# A first delivery, its repeat (other text, same key), the same key from another channel,
# a new key, and the first again.
DELIVERIES = [
    message("site", "e-1", "Нужен замер"),
    message("site", "e-1", "повтор с другим текстом"),
    message("other", "e-1", "с другого канала"),
    message("site", "e-2", "И ещё вопрос"),
    message("site", "e-1", "Нужен замер"),
]


def shape(receipts: list[Receipt]) -> list[tuple[int, bool]]:
    """Receipts with event ids as the order they were first given (PostgreSQL's sequence
    skips a number for each refused insert, so raw ids differ between databases)."""
    ranks: dict[int, int] = {}
    return [(ranks.setdefault(r.event_id, len(ranks) + 1), r.duplicate) for r in receipts]


async def test_fake_context_deduplicates_like_the_ingest(hub: Hub) -> None:
    await add_channel(hub, "webform", "site")
    ingestor = Ingestor(hub)
    real = [await ingestor.submit(item) for item in DELIVERIES]
    ctx = FakeContext("webform", "site", conversation_id=7)
    fake = [await ctx.submit(item) for item in DELIVERIES]

    expected = [(1, False), (1, True), (2, False), (3, False), (1, True)]
    assert shape(real) == shape(fake) == expected
    # A repeat names the first delivery's conversation; nothing of it is processed again.
    assert real[0].conversation_id is not None
    assert real[1].conversation_id == real[4].conversation_id == real[0].conversation_id
    assert fake[1].conversation_id == fake[4].conversation_id == fake[0].conversation_id == 7
    async with hub.db.sessions() as session:
        texts = sorted((await session.execute(select(Message.text))).scalars())
    assert texts == ["И ещё вопрос", "Нужен замер"]
    assert ctx.items == [DELIVERIES[0], DELIVERIES[2], DELIVERIES[3]]
    assert ctx.stored == ["e-1", "e-1", "e-2"]
    assert (ctx.submitted, ctx.receipts) == (DELIVERIES, fake)
    assert testing.source_of(DELIVERIES[2]) == source_of(DELIVERIES[2]) == "webform:other"


async def test_a_failed_submit_stores_nothing_and_the_retry_is_new() -> None:
    ctx = FakeContext("webform", "site")
    ctx.fail_submit = lambda item: item.external_id == "e-1"
    with pytest.raises(StorageDown) as down:
        await ctx.submit(DELIVERIES[0])
    assert isinstance(down.value, ConnectionError)
    assert (ctx.items, ctx.submitted, ctx.receipts) == ([], [], [])
    ctx.fail_submit = lambda item: False
    assert await ctx.submit(DELIVERIES[0]) == Receipt(1, duplicate=False)


async def test_checkpoints_and_background_tasks() -> None:
    ctx = FakeContext("vk")
    await ctx.checkpoint_set("ts", "1")
    await ctx.checkpoint_set("ts", "2")
    assert (await ctx.checkpoint_get("ts"), await ctx.checkpoint_get("none")) == ("2", None)
    assert ctx.checkpoint_writes == [("ts", "1"), ("ts", "2")]

    runs: list[int] = []
    again = asyncio.Event()

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("source lost")
        again.set()
        await asyncio.Event().wait()

    ctx.spawn("poller", flaky)
    await asyncio.wait_for(again.wait(), 5)  # restarted after the crash, as the runner does
    await ctx.stop()
    assert runs == [0, 1] and [str(c) for c in ctx.crashes] == ["source lost"]
    assert ctx.tasks[0].cancelled()
    with pytest.raises(AssertionError, match="no background task"):
        FakeContext("webform", allow_background=False).spawn("poller", flaky)


def test_fixtures_are_read_from_inside_the_repository() -> None:
    assert FIXTURES_ROOT == REPO / "tests" / "fixtures"
    telegram = Fixtures("telegram")
    assert telegram.directory == FIXTURES_ROOT / "telegram"
    assert "README.md" not in Fixtures("asterisk").names()
    assert Fixtures("asterisk").names("click_to_call__*") == [
        "click_to_call__answered.expected.json",
        "click_to_call__answered.txt",
        "click_to_call__busy.expected.json",
        "click_to_call__busy.txt",
    ]
    assert telegram.json("message__text.json")["update_id"] == 781234501
    assert telegram.bytes("message__text_duplicate.json") == telegram.bytes("message__text.json")
    with pytest.raises(FileNotFoundError, match=r"no fixture 'nope\.json' in .*telegram"):
        telegram.path("nope.json")
    assert Fixtures("telegram", root=Path("/elsewhere")).directory == Path("/elsewhere/telegram")


def test_nothing_in_the_suite_reads_fixtures_from_outside() -> None:
    outside = re.compile(r"\.\./shared|[\"']shared[\"']\s*/|/\s*[\"']shared[\"']|OKNO_FIXTURES")
    sources = [*(REPO / "tests").rglob("*.py"), REPO / "connectors" / "testing.py"]
    found = [
        f"{path.relative_to(REPO)}:{n}"
        for path in sources
        if path != Path(__file__).resolve()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert found == []


def test_recorded_requests_become_webhook_requests() -> None:
    forms = Fixtures("webform")
    recorded = forms.http("submit__wrong_content_type.http")
    assert (recorded.method, recorded.target) == ("POST", "/forms/submit")
    assert recorded.headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert "Content-Length" not in recorded.headers and recorded.body.startswith(b'{"form_id"')
    request = forms.webhook_request("submit__wrong_content_type.http", path="/forms/demo")
    assert (request.method, request.path, request.body) == ("POST", "/forms/demo", recorded.body)
    assert request.header("Content-Type") == "text/plain;charset=UTF-8"
    assert request.header("origin") == "https://okna-mytishchi.example"
    posted = forms.webhook_request("submit__basic.urlencoded", Origin="https://a.example")
    assert posted.path == "/hooks/webform/main" and posted.remote == "127.0.0.1"
    assert posted.headers == {
        "content-type": "application/x-www-form-urlencoded",
        "origin": "https://a.example",
    }
    as_json = forms.webhook_request("submit__basic.json")
    assert json.loads(as_json.body) == forms.json("submit__basic.json")
    assert as_json.header("content-type") == "application/json"


# -- the contract checks catch what they are for ---------------------------------------------


class _Sloppy(ConnectorOptions):
    pin: int = 0
    limit: int = 1

    @model_validator(mode="before")
    @classmethod
    def _whole(cls, data: Any) -> Any:
        if isinstance(data, dict) and "limit" in data:
            raise ValueError("something is wrong somewhere")
        return data


class _Strict(ConnectorOptions):
    host: str
    pin: str = ""
    routes: dict[str, str] = Field(default_factory=dict)
    modes: list[Literal["a", "b"]] = Field(default_factory=list)


class _Connector(BaseConnector):
    kind: ClassVar[str] = "sloppy"
    options_model: ClassVar[type[ConnectorOptions]] = _Sloppy
    secret_fields: ClassVar[frozenset[str]] = frozenset({"pin"})


def _strict(secret_fields: frozenset[str] = frozenset({"pin"})) -> type[BaseConnector]:
    attributes = {"options_model": _Strict, "secret_fields": secret_fields}
    return type("StrictConnector", (_Connector,), attributes)


def test_schema_check_refuses_secrets_that_would_be_shown() -> None:
    with pytest.raises(AssertionError, match=r"secrets \['pin'\] would not be password inputs"):
        check_options_schema(_Connector)
    assert check_options_schema(_strict()) == {
        "host": "string",
        "pin": "string",
        "routes": "map",
        "modes": "choices",
    }
    with pytest.raises(AssertionError, match=r"secret fields \['x'\] are not options"):
        check_options_schema(_strict(frozenset({"x"})))


def test_bad_options_check_refuses_errors_not_named_by_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "connector_class", lambda kind: _Connector)
    with pytest.raises(AssertionError, match="errors not per field"):
        check_bad_options(_Connector)
    strict = _strict()
    monkeypatch.setattr(registry, "connector_class", lambda kind: strict)
    errors = check_bad_options(strict)
    assert set(errors) == {"host", "pin", "routes", "modes.0", "not_an_option"}


async def test_parse_check_names_fixtures_that_raise_or_answer_5xx() -> None:
    async def door(fixtures: Fixtures, name: str, ctx: FakeContext) -> Any:
        if name == "submit__basic.json":
            raise KeyError("phone")
        if name == "submit__basic.urlencoded":
            return [WebhookResponse(200), WebhookResponse(503)]
        item: Inbound = message(ctx.channel_name, name, "")
        await ctx.submit(item)
        return WebhookResponse(422)

    with pytest.raises(AssertionError) as failed:
        await parse_every_fixture(door, Fixtures("webform"))
    assert "submit__basic.json: raised KeyError('phone')" in str(failed.value)
    assert "submit__basic.urlencoded: answered [503]" in str(failed.value)
    assert str(failed.value).count("submit__") == 2
    with pytest.raises(AssertionError, match="no fixtures in"):
        await parse_every_fixture(door, Fixtures("widget"))
