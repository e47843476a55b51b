"""VK test settings: no client-side request pacing against the local fake VK."""

from __future__ import annotations

import pytest

from connectors.vk.client import GroupApi


@pytest.fixture(autouse=True)
def no_rps_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GroupApi, "RPS_DELAY", 0)
