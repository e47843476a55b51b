"""Names are one line of text: what may not be in them, and how channel input is cleaned.

A name with a line break or another control character breaks what it is written into: an
e-mail header (every reply of that operator would fail), a CSV export, a log line. People
typing in Okno get a 422 for one (`hub.api.inputs.OneLine`); names arriving from channels,
which nobody can send back, are cleaned instead (`one_line`).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def one_line(text: str) -> str:
    """The text with every control character a space, runs of spaces one, trimmed."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
