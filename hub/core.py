"""The running hub's shared parts, handed to actions, routing and workers."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from hub.bus import Bus
from hub.channel_cache import ChannelCache
from hub.db import Database
from hub.models.base import utcnow
from hub.settings import Settings
from hub.team_cache import TeamCache

# Identifies this process among the nodes sharing the database and the bus.
NODE_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Hub:
    settings: Settings
    db: Database
    bus: Bus
    # Injected so tests can move time (timeouts, retries) without sleeping.
    clock: Callable[[], datetime] = field(default=utcnow)
    # The channels inbound events name, kept between changes (hub/channel_cache.py).
    channels: ChannelCache = field(default_factory=ChannelCache, repr=False, compare=False)
    # Teams, their members and the production calendar, likewise (hub/team_cache.py).
    teams: TeamCache = field(default_factory=TeamCache, repr=False, compare=False)
