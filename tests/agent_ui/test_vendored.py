"""Third-party browser scripts kept in agent_ui/static/: each has its licence beside it and is
listed in the README with the version its own header names (so an upgrade updates both)."""

from __future__ import annotations

import re
from pathlib import Path

from agent_ui.pages import STATIC_DIR
from tests.agent_ui.conftest import Ui

README = Path(__file__).resolve().parents[2] / "README.md"
# The version as the libraries' banners write it: "Chart.js v4.6.2", "axe v4.14.1".
BANNER_VERSION = re.compile(r"\bv(\d+\.\d+\.\d+)\b")


def vendored() -> list[Path]:
    return sorted(STATIC_DIR.glob("*.min.js"))


def test_each_vendored_script_has_its_licence_and_a_readme_line() -> None:
    readme = README.read_text(encoding="utf-8")
    assert {path.name for path in vendored()} >= {"chart.umd.min.js", "axe.min.js"}
    for script in vendored():
        stem = script.name.split(".", 1)[0]
        licences = list(STATIC_DIR.glob(f"{stem}.LICENSE*"))
        assert licences, f"{script.name}: no {stem}.LICENSE* beside it"
        assert all(path.stat().st_size > 500 for path in licences)
        banner = BANNER_VERSION.search(script.read_text(encoding="utf-8")[:300])
        assert banner, f"{script.name}: no version in its banner"
        line = next((ln for ln in readme.splitlines() if f"`{script.name}`" in ln), "")
        assert banner.group(1) in line, f"README does not list {script.name} {banner.group(1)}"


async def test_axe_is_served_by_okno(sqlite_ui: Ui) -> None:
    async with sqlite_ui.anonymous().get(sqlite_ui.url("/static/axe.min.js")) as answer:
        assert answer.status == 200
        assert "javascript" in answer.content_type
        assert (await answer.text()).startswith("/*! axe v")
