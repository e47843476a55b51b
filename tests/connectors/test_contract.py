"""The contract every `okno.connectors` entry point meets: its options render in the admin
page, bad options are refused field by field, and every fixture of its kind parses.

Parametrised over the installed entry points, so a new connector is held to it as soon as
it is registered; tests/connectors/contract_doors.py says how its fixtures reach it.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from connectors.base import BaseConnector
from connectors.registry import ENTRY_POINT_GROUP
from connectors.testing import (
    Fixtures,
    check_bad_options,
    check_options_schema,
    parse_every_fixture,
)
from hub.actions import unit_of_work
from hub.actions.users import create_api_token
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role, User
from tests.conftest import Backend, add_user

from .contract_doors import DOORS, FIXTURELESS

ENTRY_POINTS = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
KINDS = sorted(ENTRY_POINTS)


def connector_of(kind: str) -> type[BaseConnector]:
    cls = ENTRY_POINTS[kind].load()
    assert isinstance(cls, type) and issubclass(cls, BaseConnector), ENTRY_POINTS[kind].value
    assert cls.kind == kind, f"entry point {kind!r} loads a {cls.kind!r} connector"
    return cls


def test_every_connector_is_held_to_the_contract() -> None:
    assert {"asterisk", "email", "telegram", "vk", "webform", "widget"} <= set(KINDS)
    assert set(DOORS) | set(FIXTURELESS) == set(KINDS), "a kind without a door: see DOORS"
    assert not set(DOORS) & set(FIXTURELESS)
    for kind in FIXTURELESS:
        assert Fixtures(kind).names() == [], f"{kind} has fixtures: give it a door"


@pytest.mark.parametrize("kind", KINDS)
def test_options_schema_renders(kind: str) -> None:
    cls = connector_of(kind)
    controls = check_options_schema(cls)
    assert list(controls) == list(cls.options_model.model_fields)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_options_are_refused_field_by_field(kind: str) -> None:
    cls = connector_of(kind)
    errors = check_bad_options(cls)
    assert errors["not_an_option"] == "Extra inputs are not permitted"
    assert all(message and not message.startswith("Value error") for message in errors.values())


@pytest.mark.parametrize("kind", sorted(DOORS))
async def test_every_fixture_parses(kind: str) -> None:
    ctx = await parse_every_fixture(DOORS[kind], Fixtures(kind))
    # Not a door that refuses everything: the fixtures' messages and calls were stored.
    assert ctx.items, f"no {kind} fixture reached storage"
    assert len(ctx.items) == len({(i.channel_name, i.external_id) for i in ctx.items})


async def test_the_admin_page_gets_every_kind_and_schema(
    sqlite_backend: Backend, serve: Any
) -> None:
    """The schemas reach the admin page's form as the API serves them (GET /channels/kinds)."""
    app = create_app(sqlite_backend.settings())
    client: TestClient[Any, Any] = await serve(app)
    hub = app[HUB]
    user = await add_user(hub, "sveta", Role.supervisor)
    async with unit_of_work(hub) as uow:
        token = await create_api_token(uow, await uow.session.get_one(User, user.id))
    response = await client.get(
        "/api/v1/channels/kinds", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    served = {item["kind"]: item for item in (await response.json())["items"]}
    assert sorted(served) == KINDS
    for kind in KINDS:
        cls = connector_of(kind)
        assert served[kind]["options_schema"] == cls.options_model.model_json_schema()
        assert served[kind]["secret_fields"] == sorted(cls.secret_fields)
