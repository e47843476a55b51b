"""Routing reasons as codes: English for the API, every code translated for the pages."""

from __future__ import annotations

import re

import pytest

from agent_ui.i18n import load_translations
from agent_ui.js_strings import js_strings
from hub.reasons import TEMPLATES, Reason, after, reason

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_steps_read_left_to_right_in_english() -> None:
    why = after(
        reason("timeout_moved", seconds=45, holder="Анна"),
        reason("least_busy", free=3, load="1.5"),
    )
    assert why.text() == "timeout after 45 s, moved from Анна, least-busy among 3 (load 1.5)"
    assert Reason.from_json(why.to_json()) == why
    assert after(None, reason("nobody_online")).text() == "no operator online"


def test_unknown_codes_are_refused_and_old_rows_have_no_parts() -> None:
    with pytest.raises(KeyError):
        reason("made_up")
    assert Reason.from_json(None) is None
    assert Reason.from_json([{"code": "made_up", "params": {}}]) is None


@pytest.mark.parametrize("code", sorted(set(TEMPLATES) - {"note"}))
def test_every_reason_has_a_russian_text_with_the_same_placeholders(code: str) -> None:
    russian = js_strings(load_translations()["ru"])[f"reason.{code}"]
    assert russian != TEMPLATES[code]
    assert re.search("[а-яё]", russian)
    assert set(PLACEHOLDER.findall(russian)) == set(PLACEHOLDER.findall(TEMPLATES[code]))
