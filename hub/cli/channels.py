"""`okno channel add | list | enable | disable | set`: channels from the command line.

Each change runs through the same entry points as the API (hub.actions.channels, as Okno
itself) in one unit of work and is announced on the bus, so
running nodes that share Redis apply it at once. A node that cannot hear this process (one
SQLite node on the in-memory bus) finds the change in the database within seconds
(hub/host/channel_watch.py), without a restart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import types
import typing
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from connectors.base import ConnectorOptions
from connectors.registry import ChannelConfigError, connector_class
from hub.actions.channels import InvalidOptions, add_channel, change_channel
from hub.actions.keep import KEEP
from hub.api.channels import shown_options, webhook_url
from hub.cli.commands import CLI_ACTOR, CommandError, open_hub, settings_from
from hub.core import Hub
from hub.host.channel_watch import POLL_INTERVAL_S
from hub.models import Channel, Team
from hub.settings import Settings

Adder = Callable[..., argparse.ArgumentParser]


def _is_text(model: type[ConnectorOptions], key: str) -> bool:
    field = model.model_fields.get(key)
    if field is None:
        return False
    annotation = field.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    kinds = typing.get_args(annotation) if union else (annotation,)
    return str in kinds and all(k in (str, type(None)) for k in kinds)


def _split(pair: str, flag: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise CommandError(f"{flag} {pair!r}: write it as key=value", 2)
    return key.strip(), value


def parse_options(kind: str, plain: list[str], as_json: list[str]) -> dict[str, Any]:
    """--option values are JSON when they read as JSON (5, true, ["a"]) unless the option is
    text (a token or password of digits stays text); --option-json values must be JSON."""
    model = _options_model(kind)
    options: dict[str, Any] = {}
    for pair in plain:
        key, raw = _split(pair, "--option")
        try:
            options[key] = raw if _is_text(model, key) else json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    for pair in as_json:
        key, raw = _split(pair, "--option-json")
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--option-json {key}: not JSON ({exc})", 2) from None
    return options


def _options_model(kind: str) -> type[ConnectorOptions]:
    try:
        return connector_class(kind).options_model
    except ChannelConfigError as exc:
        raise _config_error(exc) from None


def _config_error(exc: ChannelConfigError | InvalidOptions) -> CommandError:
    lines = [f"  {field}: {message}" for field, message in sorted(exc.errors.items())]
    return CommandError("\n".join([f"invalid options for a {exc.kind} channel:", *lines]), 2)


async def _team_id(hub: Hub, team: str | None) -> int | None:
    if team is None:
        return None
    stmt = select(Team.id).where(Team.name == team)
    if team.isdigit():
        stmt = select(Team.id).where((Team.name == team) | (Team.id == int(team)))
    async with hub.db.sessions() as session:
        found = (await session.execute(stmt)).scalars().first()
    if found is None:
        raise CommandError(f"no team {team!r}", 2)
    return found


async def _find(hub: Hub, name: str, kind: str | None) -> int:
    """The id of the channel named so; the entry point locks it when it changes it."""
    stmt = select(Channel.id, Channel.kind).where(Channel.name == name)
    if kind is not None:
        stmt = stmt.where(Channel.kind == kind)
    async with hub.db.sessions() as session:
        found = list(await session.execute(stmt))
    if not found:
        raise CommandError(f"no {kind + ' ' if kind else ''}channel named {name!r}")
    if len(found) > 1:
        kinds = ", ".join(sorted(row.kind for row in found))
        raise CommandError(f"several channels are named {name!r} ({kinds}): pass --kind", 2)
    return int(found[0].id)


def _describe(settings: Settings, channel: Channel) -> str:
    state = "enabled" if channel.enabled else "disabled"
    url = webhook_url(settings, channel.kind, channel.name)
    return f"{channel.kind} channel {channel.name!r} (id {channel.id}), {state}" + (
        f"; its address: {url}" if url and channel.enabled else ""
    )


def _applied_note() -> None:
    # True of every node: Redis nodes hear it at once, and every node watches the database.
    seconds = f"{POLL_INTERVAL_S:g}"
    print(f"Running nodes apply it within {seconds} s; no restart needed.")


def _change(args: argparse.Namespace, work: Callable[[Hub], typing.Awaitable[Channel]]) -> int:
    """Runs `work`; a refusal other than bad options is reported by `okno`'s main."""
    settings = settings_from(args)

    async def run() -> str:
        async with open_hub(settings) as hub:
            try:
                channel = await work(hub)
            except InvalidOptions as exc:
                raise _config_error(exc) from None
            return _describe(settings, channel)

    print(asyncio.run(run()))
    _applied_note()
    return 0


def cmd_channel_add(args: argparse.Namespace) -> int:
    options = parse_options(args.kind, args.option, args.option_json)

    async def add(hub: Hub) -> Channel:
        team_id = await _team_id(hub, args.team)
        return await add_channel(
            hub, CLI_ACTOR, args.kind, args.name, options, title=args.title or "", team_id=team_id
        )

    return _change(args, add)


def cmd_channel_set(args: argparse.Namespace) -> int:
    options = parse_options(args.kind, args.option, args.option_json)

    async def change(hub: Hub) -> Channel:
        channel_id = await _find(hub, args.name, args.kind)
        team_id = await _team_id(hub, args.team) if args.team is not None else KEEP
        return await change_channel(
            hub, CLI_ACTOR, channel_id, options=options or None, title=args.title, team_id=team_id
        )

    return _change(args, change)


def _switch(enabled: bool) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        async def switch(hub: Hub) -> Channel:
            channel_id = await _find(hub, args.name, args.kind)
            return await change_channel(hub, CLI_ACTOR, channel_id, enabled=enabled)

        return _change(args, switch)

    return command


def cmd_channel_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def read() -> list[Channel]:
        async with open_hub(settings) as hub, hub.db.sessions() as session:
            return list((await session.execute(select(Channel).order_by(Channel.id))).scalars())

    for channel in asyncio.run(read()):
        options = json.dumps(
            shown_options(channel.kind, channel.options or {}), ensure_ascii=False, sort_keys=True
        )
        state = "enabled " if channel.enabled else "disabled"
        print(f"{channel.id:>4}  {state}  {channel.kind}:{channel.name}  {channel.title!r}")
        print(f"      {options}")
    return 0


def _option_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="an option; repeat"
    )
    parser.add_argument(
        "--option-json", action="append", default=[], metavar="KEY=JSON", help="a JSON option"
    )
    parser.add_argument("--title", help="shown to agents; default: the name")
    parser.add_argument("--team", help="team name or id whose agents get its conversations")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add: Adder) -> None:
    channel = commands.add_parser(
        "channel", help="channels: bots, mailboxes, forms"
    ).add_subparsers(dest="channel_command", required=True, metavar="ACTION")
    channel_add = add(channel, "add", cmd_channel_add, "add a channel (it starts enabled)")
    channel_add.add_argument("kind", help="telegram, vk, webform, email, asterisk, ...")
    channel_add.add_argument("--name", required=True, help="slug used in its URLs")
    _option_flags(channel_add)
    add(channel, "list", cmd_channel_list, "list channels (secrets hidden)")
    for name, enabled, help_text in [
        ("enable", True, "start taking messages from a channel again"),
        ("disable", False, "stop a channel; its conversations and messages stay"),
    ]:
        switch = add(channel, name, _switch(enabled), help_text)
        switch.add_argument("name")
        switch.add_argument("--kind", help="needed when channels of two kinds share the name")
    channel_set = add(channel, "set", cmd_channel_set, "change options (others are kept)")
    channel_set.add_argument("kind")
    channel_set.add_argument("name")
    _option_flags(channel_set)
