"""connectors/text.py on its own: what counts as showing nothing, and what every backend keeps."""

from __future__ import annotations

import pytest

from connectors.text import is_blank, is_storable, storable, visible


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \t\n",
        "\u200b",  # zero-width space
        "\u202e",  # right-to-left override
        "\ufeff",  # byte-order mark
        "\u200c\u200d\u2060\u200e\u200f",  # joiners, word joiner, direction marks
        "\u3164\u115f\u1160\uffa0\u2800",  # Hangul fillers, blank braille
        "\ufe0f\u034f",  # a variation selector and a grapheme joiner with nothing to join
        "\u00a0\u2003\u3000",  # no-break, em and ideographic spaces
    ],
)
def test_only_invisible_characters_show_nothing(text: str) -> None:
    assert is_blank(text) and visible(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "Да",
        "\u200bок",
        "👍",
        "\U0001fae8",  # an emoji newer than this Python's Unicode tables: kept, not dropped
        "\ue000",  # private use: some fonts draw it
        ".",
    ],
)
def test_anything_visible_is_kept_as_sent(text: str) -> None:
    assert not is_blank(text) and visible(text) == text


def test_storable_removes_nul_and_replaces_lone_surrogates_everywhere() -> None:
    value = {"a\x00": ["x\x00y", "\ud800z", ("\udfff",)], "n": 1, "ok": "Окно"}
    assert storable(value) == {"a": ["xy", "\ufffdz", ["\ufffd"]], "n": 1, "ok": "Окно"}
    assert not is_storable("a\x00") and not is_storable("\udc80") and is_storable("Окно 👍")
