"""The AMI frame parser: bytes in any chunks -> frames, surviving whatever the socket brings."""

from __future__ import annotations

import random

from connectors.asterisk.frames import FrameParser

from .helpers import transcript

LOGIN = (
    b"Asterisk Call Manager/11.0.0\r\n"
    b"Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n"
    b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"
)


def parse(*chunks: bytes) -> tuple[FrameParser, list[dict[str, str]]]:
    parser = FrameParser()
    frames = [frame for chunk in chunks for frame in parser.feed(chunk)]
    return parser, frames


def recorded_stream(scenario: str) -> bytes:
    return b"".join(e.data for e in transcript(scenario)[0] if e.direction == "recv")


def test_banner_line_then_frames() -> None:
    parser, frames = parse(LOGIN)
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert frames == [
        {"Response": "Success", "ActionID": "login-1", "Message": "Authentication accepted"},
        {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"},
    ]


def test_lf_only_line_ends_parse_the_same() -> None:
    _, crlf = parse(LOGIN)
    _, lf = parse(LOGIN.replace(b"\r\n", b"\n"))
    assert lf == crlf


def test_any_chunking_gives_the_same_frames() -> None:
    stream = recorded_stream("click_to_call__busy")
    _, whole = parse(stream)
    assert len(whole) > 50
    _, byte_by_byte = parse(*(stream[i : i + 1] for i in range(len(stream))))
    assert byte_by_byte == whole
    rng = random.Random(7)
    cuts = sorted(rng.sample(range(1, len(stream)), 400))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert parse(*pieces)[1] == whole


def test_utf8_split_between_chunks_is_decoded_whole() -> None:
    data = "Event: Newchannel\r\nCallerIDName: Иван Петров\r\n\r\n".encode()
    middle = data.index("Иван".encode()) + 1  # inside the first two-byte character
    _, frames = parse(data[:middle], data[middle:])
    assert frames == [{"Event": "Newchannel", "CallerIDName": "Иван Петров"}]


def test_values_keep_their_colons_and_empty_values_stay_empty() -> None:
    data = b"Event: VarSet\r\nValue: /var/spool/a:b.wav\r\nAppData: x: y\r\nAccountCode: \r\n\r\n"
    _, frames = parse(data)
    assert frames[0]["Value"] == "/var/spool/a:b.wav"
    assert frames[0]["AppData"] == "x: y"
    assert frames[0]["AccountCode"] == ""


def test_garbage_is_skipped_and_the_following_frames_survive() -> None:
    data = (
        b"\x00\xff\xfe binary junk\r\n\r\n"
        b"Foo: no frame kind here\r\nBar: 1\r\n\r\n"
        b"this line is not a header\r\n"
        b"Event: Hangup\r\nChannel: IAX2/101-1\r\nnot a header either\r\nCause: 16\r\n\r\n"
        b"\r\n\r\n"
        b"Event: Newchannel\r\nChannel: IAX2/102-2\r\n\r\n"
    )
    parser, frames = parse(data)
    assert frames == [
        {"Event": "Hangup", "Channel": "IAX2/101-1", "Cause": "16"},
        {"Event": "Newchannel", "Channel": "IAX2/102-2"},
    ]
    assert parser.stats.bad_lines == 3
    assert parser.stats.dropped_frames == 1


def test_a_frame_without_its_empty_line_ends_where_the_next_begins() -> None:
    data = b"Event: Newexten\r\nChannel: IAX2/cut-3\r\nEvent: Hangup\r\nChannel: IAX2/101-1\r\n\r\n"
    parser, frames = parse(data)
    assert frames == [
        {"Event": "Newexten", "Channel": "IAX2/cut-3"},
        {"Event": "Hangup", "Channel": "IAX2/101-1"},
    ]
    assert parser.stats.unterminated_frames == 1


def test_originate_response_event_keeps_its_response_header() -> None:
    data = b"Event: OriginateResponse\r\nActionID: c2c-1\r\nResponse: Success\r\nReason: 4\r\n\r\n"
    parser, frames = parse(data)
    assert frames == [
        {"Event": "OriginateResponse", "ActionID": "c2c-1", "Response": "Success", "Reason": "4"}
    ]
    assert parser.stats.unterminated_frames == 0


def test_truncated_frame_at_end_of_stream_is_discarded() -> None:
    parser, frames = parse(b"Event: Hangup\r\nChannel: IAX2/101-1\r\n\r\nEvent: Newchannel\r\nCha")
    assert [f["Event"] for f in frames] == ["Hangup"]
    parser.close()
    assert parser.stats.dropped_frames == 1
    # The parser is clean again: nothing of the cut frame leaks into the next one.
    assert parser.feed(b"nnel: x\r\n\r\nEvent: Hangup\r\n\r\n") == [{"Event": "Hangup"}]


def test_an_endless_line_is_dropped_without_stopping_the_parser() -> None:
    parser = FrameParser(max_line_bytes=1024)
    assert parser.feed(b"Event: Junk\r\nData: " + b"x" * 5000) == []
    assert parser.feed(b"y" * 10 + b"\r\n\r\nEvent: Hangup\r\nCause: 16\r\n\r\n") == [
        {"Event": "Hangup", "Cause": "16"}
    ]
    assert parser.stats.dropped_frames == 1


def test_repeated_headers_keep_every_value() -> None:
    _, frames = parse(b"Event: Cdr\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n\r\n")
    assert frames[0]["ChanVariable"].split("\n") == ["A=1", "B=2"]
