"""The node's log: JSON lines (OKNO_LOG_FORMAT=json) carrying the request id (also answered as
X-Request-Id), the channel and the conversation id; plain lines carry the request id too."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.logs import REQUEST_ID, ContextFilter, JsonFormatter
from tests.agent_ui.conftest import Ui
from tests.conftest import Backend

Serve = Callable[..., Any]


def test_a_record_as_a_json_line() -> None:
    record = logging.LogRecord(
        "okno.channel.webform.demo", logging.INFO, __file__, 1, "request %d", (7,), None
    )
    record.created = 1781506800.25  # 2026-06-15 07:00:00.250 UTC
    record.conversation_id = 42
    token = REQUEST_ID.set("req-0001-abcd")
    try:
        ContextFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    assert json.loads(JsonFormatter().format(record)) == {
        "time": "2026-06-15T07:00:00.250+00:00",
        "level": "INFO",
        "logger": "okno.channel.webform.demo",
        "message": "request 7",
        "request_id": "req-0001-abcd",
        "channel": "webform:demo",
        "conversation_id": 42,
    }


def test_okno_log_format_json_writes_one_object_per_line() -> None:
    program = (
        "import logging; from hub import logs; logs.configure('info', 'json'); "
        "logging.getLogger('hub.outages').warning('redis unavailable: %s', 'отказ')\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    logging.getLogger('x').exception('boom')"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(e["logger"], e["level"], e["message"], e["request_id"]) for e in lines] == [
        ("hub.outages", "WARNING", "redis unavailable: отказ", "-"),
        ("x", "ERROR", "boom", "-"),
    ]
    assert lines[1]["exception"].endswith("ZeroDivisionError: division by zero")


async def test_a_request_is_logged_and_answered_with_its_id(
    sqlite_backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_webform("demo", rate_limit_per_minute=0)
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    visitor = ui.anonymous()
    form = {"form_id": "demo", "name": "Анна", "phone": "+7 916 123-45-67", "consent": True}

    async def post(token: str, request_id: str) -> str:
        body = {**form, "submission_token": token, "message": "Нужен замер"}
        headers = {"X-Request-Id": request_id}
        async with visitor.post(ui.url("/forms/demo"), json=body, headers=headers) as answer:
            assert answer.status == 200
            return answer.headers["X-Request-Id"]

    assert await post("token-for-log-0001", "nginx-7f3a9c2e51") == "nginx-7f3a9c2e51"
    accepted = [r for r in caplog.records if "request 1 from" in r.getMessage()]
    assert len(accepted) == 1
    line = json.loads(JsonFormatter().format(accepted[0]))
    assert line["request_id"] == "nginx-7f3a9c2e51"
    assert line["channel"] == "webform:demo"
    assert isinstance(line["conversation_id"], int)

    # An id that does not look like one is not written into the log: a new one is made.
    made = await post("token-for-log-0002", "<script>alert(1)</script>")
    assert len(made) == 32 and made.isalnum()
    await ui.close()
