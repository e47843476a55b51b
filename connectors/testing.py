"""The connector test kit: a fake context, the fixture loader and the contract checks.

Shipped with the package so that any connector's tests (Okno's own or a plug-in's) test
against the same stand-in for the core:
- `FakeContext` stores what a connector submits the way `inbound_events` does: once per
  (source, external_id), a repeat answered as a duplicate of the first and not stored again.
- `Fixtures(kind)` reads the wire fixtures of one kind from tests/fixtures/<kind>/ (or a
  plug-in's own root).
- `check_options_schema`, `check_bad_options` and `parse_every_fixture` are the contract
  every `okno.connectors` entry point must meet; tests/connectors/test_contract.py runs them.

Like every connector module, this one imports neither the hub nor the web framework.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import BaseConnector, ConnectorContext, Inbound, Receipt, WebhookRequest, WebhookResponse
from .registry import ChannelConfigError, validate_options

# Inside the repository, so the suite runs from a clone with nothing beside it.
FIXTURES_ROOT = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
# A crashed background task is started again after this pause, as the runner does (it
# backs off longer; tests need the restart, not the wait).
RESTART_PAUSE_S = 0.05


class StorageDown(ConnectionError):
    """What `FakeContext.submit` raises while a test has storage failing."""


def source_of(item: Inbound) -> str:
    """The `inbound_events.source` of an item (routing.ingest.source_of, kept in step)."""
    return f"{item.channel_kind}:{item.channel_name}"


class FakeContext:
    """A ConnectorContext in memory, de-duplicating exactly like `Ingestor.submit`.

    `submitted`/`receipts`: every successful submit, repeats included, in order.
    `items`: what was stored, each (source, external_id) once: what the core would process.
    A repeat gets the first delivery's event id and conversation, with `duplicate=True`.
    New items get the next event id and `conversation_id` (None: a fake has no routing).
    """

    def __init__(
        self,
        kind: str,
        name: str = "main",
        *,
        channel_id: int = 1,
        conversation_id: int | None = None,
        allow_background: bool = True,
    ) -> None:
        self.channel_id = channel_id
        self.channel_kind = kind
        self.channel_name = name
        self.log = logging.getLogger(f"okno.channel.{kind}.{name}")
        self.conversation_id = conversation_id
        self.allow_background = allow_background
        self.submitted: list[Inbound] = []
        self.receipts: list[Receipt] = []
        self.items: list[Inbound] = []
        self.checkpoints: dict[str, str] = {}
        self.checkpoint_writes: list[tuple[str, str]] = []
        # While this says True for an item, submitting it fails as a database outage would.
        self.fail_submit: Callable[[Inbound], bool] = lambda item: False
        self.tasks: list[asyncio.Task[None]] = []
        self.crashes: list[BaseException] = []
        self._first: dict[tuple[str, str], Receipt] = {}
        # How often the connector said its long-lived link came up (ConnectorContext.linked).
        self.links = 0
        # What the connector said of its link to the source, in order (link_changed).
        self.link_states: list[bool] = []

    @property
    def stored(self) -> list[str]:
        """External ids of the stored items, in order."""
        return [item.external_id for item in self.items]

    async def submit(self, item: Inbound) -> Receipt:
        if self.fail_submit(item):
            raise StorageDown(f"storage is down: {item.external_id} not stored")
        key = (source_of(item), item.external_id)
        first = self._first.get(key)
        if first is None:
            receipt = Receipt(len(self._first) + 1, False, self.conversation_id)
            self._first[key] = receipt
            self.items.append(item)
        else:
            receipt = Receipt(first.event_id, True, first.conversation_id)
        self.submitted.append(item)
        self.receipts.append(receipt)
        return receipt

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        if not self.allow_background:
            raise AssertionError(f"{self.channel_kind}: no background task expected ({name})")

        async def supervise() -> None:
            while True:
                try:
                    await run()
                    return
                except Exception as exc:
                    self.crashes.append(exc)
                    await asyncio.sleep(RESTART_PAUSE_S)

        self.tasks.append(asyncio.create_task(supervise(), name=name))

    async def checkpoint_get(self, key: str) -> str | None:
        return self.checkpoints.get(key)

    async def checkpoint_set(self, key: str, value: str) -> None:
        self.checkpoints[key] = value
        self.checkpoint_writes.append((key, value))

    async def linked(self) -> None:
        self.links += 1

    def link_changed(self, up: bool) -> None:
        self.link_states.append(up)

    async def stop(self) -> None:
        """Cancel what was spawned, as stopping the channel does."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class HttpFixture:
    """A whole recorded HTTP request (`.http`: request line, headers, CRLF, body)."""

    method: str
    target: str
    # As written, minus Content-Length: a client counts what it actually sends.
    headers: dict[str, str]
    body: bytes


_CONTENT_TYPES = {".json": "application/json", ".urlencoded": "application/x-www-form-urlencoded"}


class Fixtures:
    """The wire fixtures of one connector kind: `<root>/<kind>/<event>__<variant>.<ext>`."""

    def __init__(self, kind: str, root: Path = FIXTURES_ROOT) -> None:
        self.kind = kind
        self.directory = root / kind

    def names(self, pattern: str = "*") -> list[str]:
        """File names matching `pattern`, sorted; the kind's README is not a fixture."""
        found = self.directory.glob(pattern)
        return sorted(p.name for p in found if p.is_file() and not p.name.startswith("README"))

    def path(self, name: str) -> Path:
        path = self.directory / name
        if not path.is_file():
            raise FileNotFoundError(f"no fixture {name!r} in {self.directory}")
        return path

    def bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def text(self, name: str) -> str:
        return self.path(name).read_text(encoding="utf-8")

    def json(self, name: str) -> Any:
        return json.loads(self.text(name))

    def http(self, name: str) -> HttpFixture:
        head, _, body = self.bytes(name).partition(b"\r\n\r\n")
        request_line, *lines = head.decode().split("\r\n")
        method, target, *_ = request_line.split(" ")
        headers: dict[str, str] = {}
        for line in lines:
            key, _, value = line.partition(":")
            headers[key.strip()] = value.strip()
        headers.pop("Content-Length", None)
        return HttpFixture(method, target, headers, body)

    def webhook_request(
        self, name: str, path: str | None = None, remote: str = "127.0.0.1", **headers: str
    ) -> WebhookRequest:
        """The fixture as the hub hands it to `handle_webhook`: a `.http` file with its own
        method and headers, any other file POSTed as the body (typed by its extension)."""
        if name.endswith(".http"):
            recorded = self.http(name)
            method, sent, body = recorded.method, {**recorded.headers, **headers}, recorded.body
        else:
            suffix = Path(name).suffix
            content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
            method, sent, body = "POST", {"Content-Type": content_type, **headers}, self.bytes(name)
        lowered = {key.lower(): value for key, value in sent.items()}
        return WebhookRequest(method, path or f"/hooks/{self.kind}/main", lowered, {}, body, remote)


# -- the contract ---------------------------------------------------------------------------

# A value no option type accepts: not a string, number, boolean, object or list of scalars.
_UNFIT: list[list[dict[str, Any]]] = [[{}]]
_NOT_AN_OPTION = "not_an_option"


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """A field's schema with $ref followed and Optional[X] unwrapped, as the admin form
    (agent_ui/static/admin-schema-form.js `resolve`) reads it."""
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        target = root.get("$defs", {}).get(name)
        assert target is not None, f"$ref {node['$ref']} points at no definition"
        return {**_resolve(target, root), **{k: v for k, v in node.items() if k != "$ref"}}
    real = [s for s in node.get("anyOf", []) if s.get("type") != "null"]
    if len(real) == 1:
        return {**_resolve(real[0], root), **{k: v for k, v in node.items() if k != "anyOf"}}
    return node


def form_control(node: Mapping[str, Any]) -> str:
    """The control the admin form draws for a resolved field (its `controlKind`)."""
    kind = node.get("type")
    if "enum" in node:
        return "enum"
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number"):
        return "number"
    if kind == "array":
        return "choices" if "enum" in node.get("items", {}) else "lines"
    if kind == "object" and "properties" in node:
        return "object"
    if kind == "object" and node.get("additionalProperties") not in (None, False):
        return "map"
    return "string" if kind in ("string", None) else "json"


def check_options_schema(cls: type[BaseConnector]) -> dict[str, str]:
    """The options render: plain JSON schema of an object, every field resolved to a control
    of the admin form, secrets to password inputs. Returns each field's control."""
    schema = cls.options_model.model_json_schema()
    assert json.loads(json.dumps(schema)) == schema, "the schema is not plain JSON"
    assert schema.get("type") == "object", f"{cls.kind}: options are not an object"
    properties: Mapping[str, Any] = schema.get("properties", {})
    controls = {name: form_control(_resolve(node, schema)) for name, node in properties.items()}
    unknown = sorted(cls.secret_fields - set(properties))
    assert not unknown, f"{cls.kind}: secret fields {unknown} are not options"
    shown = sorted(name for name in cls.secret_fields if controls[name] != "string")
    assert not shown, f"{cls.kind}: secrets {shown} would not be password inputs"
    return controls


def _errors_of(kind: str, options: dict[str, Any]) -> dict[str, str]:
    try:
        validate_options(kind, options)
    except ChannelConfigError as refused:
        return refused.errors
    raise AssertionError(f"{kind}: options {options!r} were accepted")


def check_bad_options(cls: type[BaseConnector]) -> dict[str, str]:
    """Bad options are refused field by field: every field given an unfit value and an
    unknown key are each named, as is every required field left out. Returns the errors."""
    schema = cls.options_model.model_json_schema()
    fields = set(schema.get("properties", {}))
    errors = _errors_of(cls.kind, {name: _UNFIT for name in fields} | {_NOT_AN_OPTION: 1})
    named = {key.split(".", 1)[0] for key in errors}
    assert named <= fields | {_NOT_AN_OPTION}, f"{cls.kind}: errors not per field: {errors}"
    assert named == fields | {_NOT_AN_OPTION}, f"{cls.kind}: unnamed: {fields - named}"
    missing = set(schema.get("required", []))
    if missing:
        left_out = _errors_of(cls.kind, {})
        assert missing <= set(left_out), f"{cls.kind}: {missing - set(left_out)} not named"
    return errors


# Feeds one fixture to a connector the way its source would, submitting into the context;
# returns the connector's answer(s) when the source is a webhook.
FixtureDoor = Callable[[Fixtures, str, FakeContext], Awaitable[object]]


def _server_errors(answer: object) -> list[int]:
    answers = answer if isinstance(answer, list) else [answer]
    return [a.status for a in answers if isinstance(a, WebhookResponse) and a.status >= 500]


async def parse_every_fixture(
    door: FixtureDoor, fixtures: Fixtures, ctx: FakeContext | None = None
) -> FakeContext:
    """Every fixture of the kind goes through `door`; none may raise or be answered with a
    5xx. A refusal (a 4xx, an ignored event) is an answer, not an error. Returns the
    context, holding what was stored."""
    ctx = ctx or FakeContext(fixtures.kind)
    names = fixtures.names()
    assert names, f"no fixtures in {fixtures.directory}"
    failed: list[str] = []
    for name in names:
        try:
            answer = await door(fixtures, name, ctx)
        except Exception as exc:
            failed.append(f"{name}: raised {exc!r}")
            continue
        if statuses := _server_errors(answer):
            failed.append(f"{name}: answered {statuses}")
    assert not failed, f"{fixtures.kind} fixtures not parsed: {failed}"
    return ctx


if TYPE_CHECKING:
    # mypy holds the fake to the real protocol: a method added to ConnectorContext and
    # missing here fails the type check, not a connector's test at run time.
    _fake_is_a_context: ConnectorContext = FakeContext("kind")
