"""`okno robots list | enable NAME | disable NAME | run-once NAME [--dry-run]`.

Each command first adds the built-in presets missing from the database (switched off, as a
node does when it starts), so they can be switched on before any node ever ran. Changes go
through hub.actions as Okno itself; `run-once` scans one time rule now, exactly as the
scheduler would (the same claims, so a concurrent scheduler never doubles a firing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable

from hub.actions import robots as robot_actions
from hub.cli.commands import CLI_ACTOR, CommandError, open_hub, settings_from
from hub.core import Hub
from hub.models import RobotRule
from hub.queries import robots as robot_queries
from hub.queries.robots import RobotOut
from robots import builtin, engine
from robots.rules import SCANNED_TYPES
from robots.scan import load_context

Adder = Callable[..., argparse.ArgumentParser]


async def _robot(hub: Hub, name: str) -> int:
    async with hub.db.sessions() as session:
        found = await robot_queries.robot_by_name(session, name)
    if found is None:
        raise CommandError(f"no robot named {name!r} (see `okno robots list`)")
    return found.id


def _line(robot: RobotOut) -> str:
    state = "on " if robot.enabled else "off"
    counts = f"v{robot.version}, this week: {robot.fired_this_week}"
    return f"{robot.id:>4}  {state}  {robot.name}  ({counts})"


def cmd_robots_list(args: argparse.Namespace) -> int:
    async def read() -> list[RobotOut]:
        async with open_hub(settings_from(args)) as hub:
            await builtin.install(hub)
            async with hub.db.sessions() as session:
                return (await robot_queries.list_robots(session, hub.clock())).items

    for robot in asyncio.run(read()):
        print(_line(robot))
        if robot.description:
            print(f"      {robot.description}")
    return 0


def _switch(enabled: bool) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        async def switch() -> str:
            async with open_hub(settings_from(args)) as hub:
                await builtin.install(hub)
                rule_id = await _robot(hub, args.name)
                await robot_actions.set_enabled(hub, CLI_ACTOR, rule_id, enabled)
                return f"robot {args.name!r} switched {'on' if enabled else 'off'}"

        print(asyncio.run(switch()))
        return 0

    return command


def cmd_robots_run_once(args: argparse.Namespace) -> int:
    """Scan one time rule now (switched on or not); --dry-run only lists what it would do."""

    async def run() -> list[str]:
        async with open_hub(settings_from(args)) as hub:
            await builtin.install(hub)
            rule_id = await _robot(hub, args.name)
            async with hub.db.sessions() as session:
                rule = await session.get(RobotRule, rule_id)
                assert rule is not None
                ctx = await load_context(session, hub.clock())
            loaded = engine.LoadedRule(
                rule, engine.spec_of(rule.trigger, rule.conditions, rule.actions)
            )
            if args.dry_run:
                found = await engine.dry_run(hub, loaded.spec, rule.id)
                return [json.dumps(item, ensure_ascii=False, sort_keys=True) for item in found] + [
                    f"{len(found)} object(s); nothing was written"
                ]
            if not isinstance(loaded.spec.trigger, SCANNED_TYPES):
                raise CommandError("run-once scans time rules; event rules fire on their events", 2)
            fired = await engine.scan_rule(hub, loaded, ctx)
            return [f"robot {rule.name!r} fired for {fired} object(s)"]

    for line in asyncio.run(run()):
        print(line)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add: Adder) -> None:
    robots = commands.add_parser("robots", help="robots: rules that flag and act").add_subparsers(
        dest="robots_command", required=True, metavar="ACTION"
    )
    add(robots, "list", cmd_robots_list, "list robots with how often each fired this week")
    for name, enabled, help_text in [
        ("enable", True, "switch a robot on"),
        ("disable", False, "switch a robot off"),
    ]:
        add(robots, name, _switch(enabled), help_text).add_argument("name")
    once = add(robots, "run-once", cmd_robots_run_once, "scan one time rule now")
    once.add_argument("name")
    once.add_argument("--dry-run", action="store_true", help="only show what it would do")
