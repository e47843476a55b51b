"""A request whose header is over aiohttp's 8 KB line limit, to the form endpoint of the running
app on both backends: a clean 400 and one log line, no traceback; the form goes on working."""

from __future__ import annotations

import logging

import pytest

from hub.models import InboundEvent
from tests.conftest import Backend

from .support import FORMS, JSON_TYPE, SITE, Serve, open_form


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Tracking": "a" * 9000},
        {"Cookie": "; ".join(f"_ym_uid{n}=1781504004{n:06d}" for n in range(500))},
        {"Referer": f"{SITE}/?q=" + "окно" * 2000},
    ],
)
async def test_a_header_over_8kb_is_a_clean_400_logged_in_one_line(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    site = await open_form(backend, serve)
    caplog.set_level(logging.INFO)
    body = FORMS.bytes("submit__basic.json")
    response = await site.post(body, JSON_TYPE, Origin=SITE, **headers)
    assert response.status == 400
    refused = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    [line] = refused
    assert line.levelno == logging.WARNING and line.exc_info is None and line.exc_text is None
    assert line.getMessage().startswith("refused a malformed HTTP request from 127.0.0.1: 400 ")
    assert "\n" not in line.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # Nothing was stored, and the same submission without the bloated header goes through.
    assert await site.count(InboundEvent) == 0
    assert (await site.post(body, JSON_TYPE, Origin=SITE)).status == 200
    assert await site.count(InboundEvent) == 1


def test_any_other_server_error_keeps_its_traceback() -> None:
    from hub.host.httplog import MalformedRequestFilter

    try:
        raise RuntimeError("a bug")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "aiohttp.server",
            logging.ERROR,
            __file__,
            1,
            "Error handling request from %s",
            ("127.0.0.1",),
            (RuntimeError, exc, exc.__traceback__),
        )
    assert MalformedRequestFilter().filter(record)
    assert record.levelno == logging.ERROR and record.exc_info is not None
