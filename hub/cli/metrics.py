"""`okno metrics rebuild --since DATE [--tz ZONE]`: derive every stored metric fact of the
conversations created and the calls started since that local midnight again from the rows
they come from (docs/metrics.md), so a formula fix, a change of business hours or of a
channel's team applies to history. Live writes use the same derivation, so on unchanged
rows a rebuild writes exactly the facts that were there."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.actions import metric_facts
from hub.cli.commands import CommandError, open_hub, settings_from
from hub.queries.metrics_common import DEFAULT_TZ

Adder = Callable[..., argparse.ArgumentParser]


def since_of(day: str, tz: str) -> datetime:
    """Midnight of the local day `day` (YYYY-MM-DD) in `tz`."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"unknown time zone {tz!r}") from None
    try:
        return datetime.combine(date.fromisoformat(day), time(), zone)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {day!r}") from None


def cmd_metrics_rebuild(args: argparse.Namespace) -> int:
    since = since_of(args.since, args.tz)

    async def run() -> tuple[int, int]:
        async with open_hub(settings_from(args)) as hub:
            return await metric_facts.rebuild(hub, since)

    conversations, calls = asyncio.run(run())
    print(
        f"Rebuilt the metric facts since {since.isoformat()}: "
        f"{conversations} conversations, {calls} calls."
    )
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add: Adder) -> None:
    metrics = commands.add_parser("metrics", help="report figures").add_subparsers(
        dest="metrics_command", required=True, metavar="ACTION"
    )
    rebuild = add(
        metrics, "rebuild", cmd_metrics_rebuild, "recompute the stored figures from the rows"
    )
    rebuild.add_argument("--since", required=True, help="first local day, YYYY-MM-DD")
    rebuild.add_argument("--tz", default=DEFAULT_TZ, help=f"its time zone (default {DEFAULT_TZ})")
