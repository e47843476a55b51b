"""Tests marked `slow` (minutes: deploy/check.sh) run only when asked for: OKNO_SLOW=1,
`-m slow`, or the test's file or node id named on the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _asked_for(config: pytest.Config, item: pytest.Item) -> bool:
    if os.environ.get("OKNO_SLOW") == "1" or "slow" in (config.option.markexpr or ""):
        return True
    item_file = Path(str(item.path)).resolve()
    for arg in config.args:
        named = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if named == item_file:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="slow: set OKNO_SLOW=1, use -m slow, or name the file")
    for item in items:
        if item.get_closest_marker("slow") and not _asked_for(config, item):
            item.add_marker(skip)
