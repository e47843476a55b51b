"""Fixtures for the Telegram connector tests: a fresh fake Bot API server per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .fake_api import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.close()
