"""Actors for calling use cases directly: users as the API would pass them, robots, Okno."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from hub.auth import Principal
from hub.core import Hub
from hub.models import Role, User
from tests.conftest import add_user

# Real argon2 hashes with the cheapest parameters: these tests are about who may do what.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.actions.users.hash_password", CHEAP_HASHER.hash)


def principal(user: User) -> Principal:
    return Principal(user.id, user.login, user.name, user.role, user.locale)


async def signed_in(hub: Hub, login: str, role: Role) -> Principal:
    return principal(await add_user(hub, login, role))
