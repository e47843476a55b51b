"""Fixtures: a private Dovecot per test and an aiosmtpd server in the test loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from .servers import Dovecot, SmtpServer, reap_stopped, start_dovecot, start_smtp


@pytest.fixture(scope="session", autouse=True)
def _reap_dovecots() -> Iterator[None]:
    """Every private Dovecot the tests started has exited when the session ends."""
    yield
    reap_stopped()


@pytest.fixture
async def dovecot() -> AsyncIterator[Dovecot]:
    server = await start_dovecot()
    yield server
    server.stop()


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    server = await start_smtp()
    yield server
    server.server.close()
    await server.server.wait_closed()
