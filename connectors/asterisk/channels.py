"""What a channel name says about a leg: an operator's phone, a trunk, or a helper.

Asterisk names a leg `<tech>/<peer>-<suffix>` (IAX2/101-6296, PJSIP/trunk-0000002a). Phones are
the peers whose name is an extension; helpers (Local/...;1/;2 pairs of queue members and
transfers, spies, conference announcers) are plumbing and never a party of a call; everything
else reaches the outside world.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Literal

LegKind = Literal["phone", "trunk", "helper"]

DEFAULT_HELPER_TECHS = frozenset(
    {"Local", "Snoop", "Recorder", "Announcer", "CBAnn", "CBRec", "Message", "Bridge"}
)


@dataclass(frozen=True)
class PbxLayout:
    """The site-specific facts the call model needs; the defaults fit a FreePBX-style setup."""

    # A peer whose name matches is an operator's phone (its name is the extension).
    extension_pattern: str = r"^\d{2,6}$"
    helper_techs: frozenset[str] = field(default=DEFAULT_HELPER_TECHS)
    # The channel variable holding the recording file (MixMonitor sets MIXMONITOR_FILENAME).
    recording_variable: str = "MIXMONITOR_FILENAME"

    @cached_property
    def extension_re(self) -> re.Pattern[str]:
        return re.compile(self.extension_pattern)


@dataclass(frozen=True, slots=True)
class LegName:
    name: str
    kind: LegKind
    # The operator's extension for a phone leg.
    extension: str | None = None
    # "Local/101@agents-00000001" for both halves of a Local pair, so one finds the other.
    local_base: str | None = None


def classify(name: str, layout: PbxLayout) -> LegName:
    tech, slash, rest = name.partition("/")
    if not slash:
        return LegName(name, "trunk")
    if tech in layout.helper_techs:
        base = rest.rpartition(";")[0] if ";" in rest else rest
        return LegName(name, "helper", local_base=f"{tech}/{base}")
    peer = rest.rpartition("-")[0] if "-" in rest else rest
    if layout.extension_re.match(peer):
        return LegName(name, "phone", extension=peer)
    return LegName(name, "trunk")


def member_extension(interface: str) -> str | None:
    """The extension in a queue member interface: Local/101@agents/n, PJSIP/101, hint:101@x."""
    rest = interface
    if rest.startswith("hint:"):
        rest = rest[len("hint:") :]
    elif "/" in rest:
        rest = rest.split("/", 1)[1]
    rest = rest.split("@", 1)[0].split("/", 1)[0]
    return rest or None


def dialled_number(dial_string: str) -> str | None:
    """The number in a Dial() string: trunk/+7495..., PJSIP/+7495...@carrier -> +7495..."""
    target = dial_string.split("&", 1)[0].rsplit("/", 1)[-1].split("@", 1)[0]
    return target or None


def known_number(value: str | None) -> str | None:
    """Caller ID as Asterisk prints it, with its "nobody knows" placeholders removed."""
    if not value or value in ("<unknown>", "unknown", "s"):
        return None
    return value


def file_basename(path: str) -> str | None:
    return PurePosixPath(path).name or None
