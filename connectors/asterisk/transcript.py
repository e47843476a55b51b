"""Reader for AMI transcripts: recorded socket traffic, the format of fixtures/asterisk/*.txt.

`#@ +<seconds> <recv|sent>` starts an entry; the exact bytes that crossed the socket follow.
`# reconnect` starts the next AMI connection; other `#` lines are comments. AMI lines never
begin with `#`, so the markers cannot clash with the payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Direction = Literal["recv", "sent"]


@dataclass(frozen=True, slots=True)
class Entry:
    # Seconds since the first connection of the recording opened.
    offset: float
    direction: Direction
    data: bytes


def parse_transcript(raw: bytes) -> list[list[Entry]]:
    """The entries of each AMI connection in the recording, in order."""
    connections: list[list[Entry]] = [[]]
    header: tuple[float, Direction] | None = None
    body: list[bytes] = []

    def flush() -> None:
        if header is not None:
            connections[-1].append(Entry(header[0], header[1], b"".join(body)))

    for line in raw.splitlines(keepends=True):
        if line.startswith(b"#@ "):
            flush()
            stamp, _, direction = line[3:].decode("ascii").strip().partition(" ")
            if direction not in ("recv", "sent"):
                raise ValueError(f"bad transcript entry header: {line!r}")
            header = (float(stamp.lstrip("+")), "recv" if direction == "recv" else "sent")
            body = []
        elif line.startswith(b"#"):
            if line.strip() == b"# reconnect":
                flush()
                header, body = None, []
                connections.append([])
        elif header is not None:
            body.append(line)
    flush()
    return [conn for conn in connections if conn]


def read_transcript(path: Path) -> list[list[Entry]]:
    return parse_transcript(path.read_bytes())
