"""Incremental AMI frame parser: bytes from the socket in, one dict per frame out.

An AMI frame is `Key: value` lines ended by an empty line. The stream opens with a banner line
(`Asterisk Call Manager/11.0.0`) that has no empty line after it. The parser never raises on
bad input: garbage lines, frames that are not Events/Responses/Actions, over-long lines and a
frame cut short by the connection's end are logged, counted and skipped, and parsing carries
on with the next frame. Lines may end in CRLF or LF, and data may arrive in any chunks (even
splitting a UTF-8 character), since whole lines are decoded only once complete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

Frame = dict[str, str]

BANNER_PREFIX = "Asterisk Call Manager/"
# The header that says what a frame is. A frame may hold a second one (OriginateResponse
# carries "Response: Success"), but a repeated one, or an "Event" line, starts a new frame.
FRAME_KINDS = ("Event", "Response", "Action")

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-()")

log = logging.getLogger(__name__)


@dataclass
class ParserStats:
    frames: int = 0
    bad_lines: int = 0
    dropped_frames: int = 0
    unterminated_frames: int = 0


class FrameParser:
    """One per connection. `feed` returns the frames completed by the bytes given."""

    def __init__(self, *, max_line_bytes: int = 64 * 1024, max_headers: int = 1000) -> None:
        self._buf = b""
        self._frame: Frame = {}
        self._kind: str | None = None
        self._max_line = max_line_bytes
        self._max_headers = max_headers
        # Header names already checked (AMI uses about a hundred): validated once each.
        self._keys: set[str] = set()
        self.banner: str | None = None
        self.stats = ParserStats()

    def feed(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        buf = self._buf + data if self._buf else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            self._buf = buf
        else:
            # Only whole lines are decoded, so a character split between chunks stays whole.
            self._buf = buf[cut + 1 :]
            line = self._line
            for text in buf[:cut].decode("utf-8", "replace").split("\n"):
                line(text[:-1] if text.endswith("\r") else text, out)
        if len(self._buf) > self._max_line:
            log.warning("AMI line over %d bytes without a line end: dropped", self._max_line)
            self._buf = b""
            self._drop("over-long line")
        return out

    def close(self) -> None:
        """The stream ended: whatever is half-read is a truncated frame."""
        if self._buf.strip() or self._frame:
            log.warning(
                "AMI stream ended inside a frame (%s): discarded", self._kind or "no kind yet"
            )
            self.stats.dropped_frames += 1
        self._buf = b""
        self._frame = {}
        self._kind = None

    def _line(self, text: str, out: list[Frame]) -> None:
        if not text:
            self._end(out)
            return
        key, sep, value = text.partition(": ")
        if not sep:
            key, sep, value = text.partition(":")
        if not sep or key not in self._keys:
            if not self._frame and text.startswith(BANNER_PREFIX):
                self.banner = text
                return
            if not sep or not key or not _KEY_CHARS.issuperset(key):
                self.stats.bad_lines += 1
                log.debug("AMI line that is not a header skipped: %r", text[:200])
                return
            if len(self._keys) < 10_000:
                self._keys.add(key)
        frame = self._frame
        if key in FRAME_KINDS:
            if self._kind is None:
                self._kind = key
            elif key == "Event" or key in frame:
                # The empty line was lost: the frame before is over (maybe cut short).
                self.stats.unterminated_frames += 1
                log.info("AMI %s frame without its empty line; a new one begins", self._kind)
                self._end(out)
                self._kind = key
                frame = self._frame
        if key in frame:
            # Repeated headers (ChanVariable, Variable) keep every value, one per line.
            frame[key] = f"{frame[key]}\n{value}"
        elif len(frame) >= self._max_headers:
            self._drop("too many headers")
        else:
            frame[key] = value

    def _end(self, out: list[Frame]) -> None:
        if not self._frame:
            return
        if self._kind is None:
            self._drop("no Event, Response or Action header")
            return
        out.append(self._frame)
        self.stats.frames += 1
        self._frame = {}
        self._kind = None

    def _drop(self, why: str) -> None:
        if self._frame:
            self.stats.dropped_frames += 1
            log.warning("AMI frame dropped (%s): %r", why, dict(list(self._frame.items())[:4]))
        self._frame = {}
        self._kind = None
