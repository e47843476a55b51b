"""schemathesis against /api/openapi.json on both backends: every documented operation, with
requests generated from the document itself, sent by a signed-in administrator (session
cookie and CSRF header); no answer is a 5xx and every answer is one the document describes
(status, content type, body schema).

Bounded to a few examples per operation so a backend stays near a minute; `OKNO_SCHEMA_EXAMPLES`
asks for more when hunting.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from hub.actions import unit_of_work
from hub.actions.users import start_session
from hub.auth import SESSION_COOKIE
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role, User
from tests.agent_ui.conftest import Ui
from tests.conftest import Backend

schemathesis = pytest.importorskip("schemathesis")  # a dev extra

from hypothesis import HealthCheck, Phase, assume, given, settings  # noqa: E402
from schemathesis import checks  # noqa: E402
from schemathesis.core.failures import Failure, FailureGroup  # noqa: E402

EXAMPLES = int(os.environ.get("OKNO_SCHEMA_EXAMPLES", "4"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
# Operations left out, and why: creating or re-pointing a channel starts its connector, which
# would dial whatever host the generator made up (AMI, IMAP, Telegram's API) from this machine.
SKIPPED = {("POST", "/api/v1/channels"), ("PATCH", "/api/v1/channels/{id}")}


def summary(exc: BaseException) -> str:
    """A failure's title and what was answered, on one line."""
    parts = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
    return "; ".join(
        f"{getattr(p, 'title', type(p).__name__)}: {str(getattr(p, 'message', p))[:300]}"
        for p in parts
    ).replace("\n", " ")


@dataclass
class Prober:
    """A signed-in administrator's requests: the session cookie and the CSRF header."""

    base_url: str
    cookie: str
    csrf: str
    admin_id: int
    http: Any = None

    def operation(self, operation: Any) -> str | None:
        """Its examples, until one fails: that failure on one line, else None."""
        found: list[str] = []
        label = f"{operation.method.upper()} {operation.path}"

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(cookies={SESSION_COOKIE: self.cookie}))
        def probe(case: Any) -> None:
            if found:
                return
            if label == "PATCH /api/v1/users/{id}":
                # Not the prober itself: deactivated or demoted, it would get 401 from here on.
                assume(str(case.path_parameters.get("id")) != str(self.admin_id))
            # The document's bearer scheme makes the generator add a made-up token; the
            # session is what signs these requests in.
            case.headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            response = case.call(
                base_url=self.base_url,
                session=self.http,
                headers={"X-CSRF-Token": self.csrf},
                timeout=30,
            )
            if response.status_code == 401:
                found.append(f"{label}: 401 to a signed-in administrator")
                return
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as exc:  # note it, go on with the other operations
                found.append(f"{label}: {summary(exc)}")

        probe()
        return found[0] if found else None

    def all(self, document: dict[str, Any]) -> list[str]:
        """Every operation but the skipped; one line per failing operation."""
        import requests

        self.http = requests.Session()
        schema = schemathesis.openapi.from_dict(document)
        failures = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            failure = self.operation(operation)
            if failure is not None:
                failures.append(failure)
        return failures


async def test_every_operation_answers_as_documented_and_never_with_a_5xx(
    backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(backend.settings())
    ui = Ui(await serve(app), app[HUB])
    admin = await ui.add_user("root", Role.admin, name="Администратор")
    async with unit_of_work(ui.hub) as uow:
        cookie, csrf = await start_session(uow, await uow.session.get_one(User, admin.id), 3600)
    try:
        async with ui.anonymous().get(ui.url("/api/openapi.json")) as answer:
            assert answer.status == 200
            document = await answer.json()
        base_url = ui.url("/").rstrip("/")
        # requests is synchronous: it runs on a thread while the app serves on this loop.
        prober = Prober(base_url, cookie, csrf, admin.id)
        failures = await asyncio.to_thread(prober.all, document)
        assert failures == []
    finally:
        await ui.close()
