"""`KEEP`: "leave it as it is", for partial changes where None is a value (no team, no hours)."""

from __future__ import annotations

import enum


class Keep(enum.Enum):
    KEEP = "keep"


KEEP = Keep.KEEP
