"""Coverage-guided fuzzing (atheris, libFuzzer) of every connector's parser: Telegram updates,
VK events, e-mail MIME, AMI frames, web-form bodies and website-chat frames, 100,000 inputs
each by default. The suite's hypothesis properties (tests/connectors/*/test_fuzz*.py,
tests/connectors/test_parser_properties.py) are the short form of the same claims.

    .venv/bin/pip install atheris        # not in the dev extra: the suite does not need it
    .venv/bin/python bench/atheris_parsers.py [--runs 100000] [parser ...]

Each parser runs in a child process of its own (libFuzzer ends its process when the runs are
done), seeded with the recorded fixtures of its channel (copied to a temporary folder, since
libFuzzer writes new inputs into its corpus). A parser may refuse an input only the way its
connector expects (listed per parser below: the connector answers those with a 4xx or keeps
the input raw); any other exception, or a crash, stops that parser with the input, and the
script exits 1. Prints the time and the executions per second of each.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/routing.py would hide the `routing` package: the path is fixed before the imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RECEIVED = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
# The fixtures each parser starts from (tests/fixtures/<folder>/<glob>).
SEEDS = {
    "telegram": ("telegram", "*.json"),
    "vk": ("vk", "*.json"),
    "email": ("email", "*.eml"),
    "ami": ("asterisk", "*.txt"),
    "webform": ("webform", "submit__*"),
    "widget": ("webform", "*.json"),  # JSON objects; the chat's own frames are built below
}


def _json(data: bytes) -> object:
    """What a webhook hands the parser: the body as JSON (a body that is none is answered 400
    before any parser sees it, so it is no input here)."""
    try:
        return json.loads(data.decode("utf-8", errors="surrogateescape"))
    except (ValueError, RecursionError):
        return None


def telegram() -> Callable[[bytes], None]:
    from aiogram import Bot

    from connectors.telegram.errors import NotAnUpdate, UnreadableUpdate
    from connectors.telegram.updates import parse_update

    bot = Bot("123456:AAFfuzzingTokenThatIsLongEnough_12345")

    def one(data: bytes) -> None:
        update = _json(data)
        if update is None:
            return
        try:
            parse_update(update, bot, "bot", allow_groups=bool(data[:1] == b"{"))
        except (NotAnUpdate, UnreadableUpdate):
            pass  # answered 400, or kept raw and acknowledged

    return one


def vk() -> Callable[[bytes], None]:
    from connectors.vk.parsing import MalformedEvent, customer_of, parse_event

    def one(data: bytes) -> None:
        event = _json(data)
        if not isinstance(event, dict):
            return  # the callback answers a body that is no object 400
        try:
            customer_of(event)
            parse_event(event, "group", sender_name="Анна")
        except MalformedEvent:
            pass  # kept raw as «malformed-event»

    return one


def email() -> Callable[[bytes], None]:
    from connectors.base import InboundMessage
    from connectors.email.mapping import MailboxPosition, to_inbound
    from connectors.email.parse import parse_mail
    from routing.ingest import storable_payload

    def one(data: bytes) -> None:
        mail = parse_mail(data, RECEIVED)
        item = to_inbound(mail, "sales", MailboxPosition(1, 7), "sales@okno.example", "okno.ru")
        if isinstance(item, InboundMessage):
            text = json.dumps(storable_payload(item), ensure_ascii=False)
            assert "\\u0000" not in text, "a NUL would not store on PostgreSQL"
            text.encode("utf-8")  # no lone surrogate

    return one


def ami() -> Callable[[bytes], None]:
    from connectors.asterisk.calls import CallTracker
    from connectors.asterisk.frames import FrameParser

    def one(data: bytes) -> None:
        parser, tracker = FrameParser(), CallTracker()
        # The first byte cuts the stream in two reads, as a socket may deliver it.
        cut = data[0] if data else 0
        for chunk in (data[1 : 1 + cut], data[1 + cut :]):
            for frame in parser.feed(chunk):
                tracker.feed(frame, 1781520050.0)
        parser.close()

    return one


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=windows-1251",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=koi8-r",
    "application/x-www-form-urlencoded; charset=no-such",
    "text/plain",
    "",
]


def webform() -> Callable[[bytes], None]:
    from connectors.webform.parsing import parse_body
    from connectors.webform.rejection import Rejection
    from connectors.webform.submission import validate_submission

    def one(data: bytes) -> None:
        content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)] if data else ""
        try:
            validate_submission(parse_body(content_type, data[1:]), required=("name",))
        except Rejection:
            pass  # answered 4xx with the reason

    return one


def widget() -> Callable[[bytes], None]:
    from connectors.widget.protocol import FrameError, parse_frame

    kinds = [b"hello", b"message", b"contact", b"offline", b"typing", b"read", b"ping"]

    def one(data: bytes) -> None:
        # Half the inputs are given a known frame type, so the fuzzer reaches the fields.
        if data[:1] in (b"{", b"["):
            text = data.decode("utf-8", errors="replace")
        else:
            kind = kinds[data[0] % len(kinds)] if data else b"ping"
            text = (b'{"type":"' + kind + b'",' + data[1:] + b"}").decode("utf-8", "replace")
        try:
            parse_frame(text)
        except FrameError:
            pass  # answered with an error frame

    return one


PARSERS: dict[str, Callable[[], Callable[[bytes], None]]] = {
    "telegram": telegram,
    "vk": vk,
    "email": email,
    "ami": ami,
    "webform": webform,
    "widget": widget,
}


def child(name: str, runs: int, corpus: str) -> None:
    import atheris

    # Only Okno's own modules carry coverage probes: instrumenting aiogram and pydantic too
    # made every input about ten times slower.
    with atheris.instrument_imports(include=["connectors", "routing"]):
        target = PARSERS[name]()
    atheris.Setup(
        [sys.argv[0], f"-runs={runs}", "-max_len=8192", "-print_final_stats=1", corpus],
        target,
    )
    atheris.Fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("parsers", nargs="*", choices=[*PARSERS, []], default=[])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs, args.corpus)
        return 0
    failed = []
    for name in args.parsers or list(PARSERS):
        folder, pattern = SEEDS[name]
        with tempfile.TemporaryDirectory(prefix=f"okno-atheris-{name}-") as corpus:
            for seed in sorted((FIXTURES / folder).glob(pattern)):
                shutil.copy(seed, corpus)
            started = time.monotonic()
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    name,
                    "--runs",
                    str(args.runs),
                    "--corpus",
                    corpus,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                errors="replace",
            )
            took = time.monotonic() - started
        executed = [
            line.split(":")[-1].strip()
            for line in done.stderr.splitlines()
            if line.startswith("stat::number_of_executed_units")
        ]
        runs = int(executed[0]) if executed else 0
        verdict = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        print(f"{name:9} {runs:7d} inputs in {took:6.1f} s ({runs / took:6.0f}/s): {verdict}")
        if done.returncode != 0:
            failed.append(name)
            print("\n".join(done.stderr.splitlines()[-40:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
