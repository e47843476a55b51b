"""Property: whatever a website POSTs to a form (any fields, any values, any body, any media
type), the answer is never a 5xx and nothing escapes as an error, on both backends."""

from __future__ import annotations

import json
import logging
from collections import Counter
from urllib.parse import quote_plus

import pytest
from hypothesis import strategies as st

from tests.conftest import Backend
from tests.connectors.fuzz import (
    EXAMPLES,
    json_values,
    mutated,
    processing_failures,
    run_property,
    texts,
)

from .support import FORM_TYPE, FORMS, JSON_TYPE, SITE, Serve, open_form

SUBMISSIONS = [FORMS.json(n) for n in FORMS.names("*.json") if "oversized" not in n]


def _quoted(text: str) -> str:
    # A lone surrogate goes out as the bytes it would have (invalid UTF-8), as broken
    # encoders on real sites send it.
    return quote_plus(text.encode("utf-8", "surrogatepass"))


def form_encoded(fields: object) -> bytes:
    if not isinstance(fields, dict):
        return b""
    pairs = ((str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items())
    return "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in pairs).encode("ascii")


posts = st.one_of(
    st.tuples(st.just(JSON_TYPE), mutated(SUBMISSIONS).map(lambda d: json.dumps(d).encode())),
    st.tuples(st.just(FORM_TYPE), mutated(SUBMISSIONS).map(form_encoded)),
    st.tuples(st.just(JSON_TYPE), json_values.map(lambda v: json.dumps(v).encode())),
    st.tuples(
        st.sampled_from([JSON_TYPE, FORM_TYPE, "text/plain", "multipart/form-data", ""]),
        st.binary(max_size=300),
    ),
    st.tuples(texts.map(lambda t: t.encode("utf-8", "replace").decode("latin-1")), st.just(b"{}")),
)


async def test_form_answers_every_post_without_5xx(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=10_000)
    caplog.set_level(logging.WARNING)
    statuses: Counter[int] = Counter()

    async def check(post: tuple[str, bytes]) -> None:
        content_type, body = post
        try:
            response = await site.post(body, content_type, Origin=SITE)
        except ValueError:  # a media type the HTTP client itself will not send
            return
        statuses[response.status] += 1
        assert response.status < 500, (response.status, content_type, body[:300])

    await run_property(posts, check)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await processing_failures(site.hub) == []
    if EXAMPLES >= 100:  # enough inputs to reach past the refusals
        assert statuses[200] and sum(n for s, n in statuses.items() if 400 <= s < 500)
