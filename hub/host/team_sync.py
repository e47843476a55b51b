"""Keeps this node's teams and calendar (hub/team_cache.py) in step with other nodes' changes.

The node that changes a team or a calendar day forgets what it kept at once; every other
node forgets when it hears `teams_or_calendar.changed` on the bus. A node that fell behind
the bus (an overflowed subscription) may have missed one: it forgets on the gap too, so the
next read is fresh either way.
"""

from __future__ import annotations

from hub.core import Hub
from hub.events import TeamsOrCalendarChanged
from hub.listener import listen, on


async def follow_team_changes(hub: Hub) -> None:
    """Runs for the node's lifetime."""

    def on_changed(_event: TeamsOrCalendarChanged) -> None:
        hub.teams.forget()

    def on_gap() -> None:
        hub.teams.forget()

    routes = [on(TeamsOrCalendarChanged, on_changed)]
    await listen(hub.bus, routes, on_gap=on_gap, name="team-follower")
