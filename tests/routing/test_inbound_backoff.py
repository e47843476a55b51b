"""The pause before a failed inbound event is tried again: 1 s after the first attempt, doubling
with each attempt, never more than ten minutes (pinned by hand: mutmut found any change to it
passed the suite)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.actions.inbound import PROCESSING_LEASE, _backoff


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (10, 512), (11, 600), (40, 600)],
)
def test_the_pause_doubles_from_one_second_up_to_ten_minutes(attempts: int, seconds: int) -> None:
    assert _backoff(attempts) == timedelta(seconds=seconds)


def test_a_claim_lapses_after_a_minute() -> None:
    assert timedelta(seconds=60) == PROCESSING_LEASE
