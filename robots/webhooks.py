"""Outbound webhooks a robot queued: POSTed with an HMAC-SHA256 signature of the body,
retried with exponential backoff, failures kept on the delivery (shown with the firing).

Each attempt has its own timeout, so a target that hangs or answers 500 delays only its
own delivery; the other robots' work never waits for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from hub.actions import robots as robot_actions
from hub.core import Hub
from hub.models import WebhookDelivery

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
MAX_ATTEMPTS = 8
BASE_DELAY_S = 30.0
BATCH = 50
PARALLEL = 10


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 6 h."""
    return timedelta(seconds=min(BASE_DELAY_S * 2 ** max(attempts - 1, 0), 6 * 3600))


async def _post(url: str, secret: str, payload: dict[str, object]) -> str | None:
    """None when delivered (2xx), else what went wrong."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "X-Okno-Signature": signature(secret, body)}
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.post(url, data=body, headers=headers) as response,
        ):
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]


async def deliver_due(hub: Hub) -> int:
    now = hub.clock()
    async with hub.db.sessions() as session:
        due = (
            await session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.url,
                    WebhookDelivery.secret,
                    WebhookDelivery.payload,
                    WebhookDelivery.attempts,
                )
                .where(WebhookDelivery.status == "queued", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
            )
        ).all()
    gate = asyncio.Semaphore(PARALLEL)

    async def attempt(delivery_id: int, url: str, secret: str, payload: Any, attempts: int) -> bool:
        async with gate:
            error = await _post(url, secret, {**payload, "delivery_id": delivery_id})
        tried = attempts + 1
        await robot_actions.record_webhook_attempt(
            hub,
            delivery_id,
            error,
            next_attempt_at=hub.clock() + backoff(tried),
            give_up=tried >= MAX_ATTEMPTS,
        )
        if error is not None:
            log.warning("webhook %d to %s failed (attempt %d): %s", delivery_id, url, tried, error)
        return error is None

    # Side by side: a target that hangs holds up its own delivery only.
    done = await asyncio.gather(*(attempt(*row) for row in due))
    return sum(done)
