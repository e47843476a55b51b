"""Property tests of the two connectors whose input is bytes Okno reads itself: e-mail (raw
RFC 5322 from IMAP) and Asterisk AMI (the manager socket's frames). Whatever arrives, the
parser answers and never raises, and what it hands the hub is storable on both databases
(no NUL, no lone surrogates). Hypothesis draws the inputs; mutated real mail and real call
transcripts come first, then anything at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.asterisk.calls import CallTracker
from connectors.asterisk.frames import FrameParser
from connectors.base import InboundMessage
from connectors.email.mapping import MailboxPosition, to_inbound
from connectors.email.parse import parse_mail
from routing.ingest import storable_payload

from .fuzz import EXAMPLES

RECEIVED = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MAILS = sorted((FIXTURES / "email").glob("*.eml")) if (FIXTURES / "email").exists() else []
HEADERS = [
    b"From: \xd0\x92\xd0\xb0\xd1\x81\xd1\x8f <v@x.ru>\r\n",
    b"Content-Type: text/plain; charset=utf-8\r\n",
    b'Content-Type: multipart/mixed; boundary="b"\r\n',
    b"Message-ID: <\xff\xfe@x>\r\n",
    b"Cc: =?utf-8?b?0JHRg9GF?= <b@x.ru>\r\n",
    b"Subject: =?koi8-r?q?=F0=D2=C9?=\r\n",
    b"Date: Mon, 99 Foo 2026 99:99:99 +9999\r\n",
]
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=EXAMPLES <= 200,
    suppress_health_check=list(HealthCheck),
)


def _mutated(raw: bytes, cut: int, insert: bytes) -> bytes:
    at = cut % (len(raw) + 1)
    return raw[:at] + insert + raw[at:]


mails = st.one_of(
    st.builds(
        _mutated,
        st.sampled_from([p.read_bytes() for p in MAILS] or [b"From: a@b\r\n\r\nx"]),
        st.integers(min_value=0),
        st.one_of(st.sampled_from(HEADERS), st.binary(max_size=64)),
    ),
    st.builds(
        lambda h, b: b"".join(h) + b"\r\n" + b, st.lists(st.sampled_from(HEADERS)), st.binary()
    ),
    st.binary(max_size=2000),
)


@_SETTINGS
@given(mails)
def test_any_mail_is_read_into_something_storable(raw: bytes) -> None:
    mail = parse_mail(raw, RECEIVED)
    item = to_inbound(mail, "sales", MailboxPosition(1, 7), "sales@okno.example", "okno.example")
    if isinstance(item, InboundMessage):
        payload = storable_payload(item)
        text = json.dumps(payload, ensure_ascii=False)
        assert "\\u0000" not in text
        text.encode("utf-8")  # no lone surrogate survives


AMI_LINES = [
    b"Event: Newchannel\r\n",
    b"Event: Hangup\r\n",
    b"Event: DialEnd\r\n",
    b"Event: QueueCallerAbandon\r\n",
    b"Event: BlindTransfer\r\n",
    b"Uniqueid: 1781520050.771402\r\n",
    b"Linkedid: 1781520050.771402\r\n",
    b"Channel: PJSIP/101-00000001\r\n",
    b"CallerIDNum: 89161234567\r\n",
    b"Cause: 16\r\n",
    b"DialStatus: ANSWER\r\n",
    b"Timestamp: 99999999999999999999.5\r\n",
    b"\r\n",
    b": no name\r\n",
    b"\xff\xfe: \x00\r\n",
]
chunks = st.lists(
    st.one_of(st.lists(st.sampled_from(AMI_LINES), max_size=12).map(b"".join), st.binary()),
    max_size=20,
)


@_SETTINGS
@given(chunks)
def test_any_ami_stream_is_read_and_fed_to_the_call_model(stream: list[bytes]) -> None:
    parser = FrameParser()
    tracker = CallTracker()
    for chunk in stream:
        for frame in parser.feed(chunk):
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in frame.items())
            tracker.feed(frame, 1781520050.0)
    parser.close()


def test_a_pbx_timestamp_that_is_no_time_is_the_receipt_time() -> None:
    from connectors.asterisk.calls import event_time

    assert event_time({"Timestamp": "1781520050.5"}, 5.0) == 1781520050.5
    for broken in ("99999999999999999999.5", "nan", "inf", "-1", "завтра"):
        assert event_time({"Timestamp": broken}, 5.0) == 5.0, broken
    assert event_time({}, 5.0) == 5.0
