"""The `okno` command: run | demo | migrate | user add | token create | contacts import/export
| channel add/list/enable/disable/set (in hub.cli.channels) | import/export of contacts,
organisations and deals (in hub.cli.crm_io) | robots list/enable/disable/run-once (in
hub.cli.robots).

Exit codes: 0 done, 1 the command failed (a message says why), 2 wrong usage or a database
that needs `okno migrate` first.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
import tomllib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from hub import logs
from hub.actions import unit_of_work
from hub.actions.users import create_account, create_api_token
from hub.bus import create_bus
from hub.cli import contacts_csv
from hub.core import Hub
from hub.db import Database, is_sqlite
from hub.host.processes import default_workers, run_workers, why_not_several
from hub.migrate import NotMigratedError, ensure_migrated, upgrade
from hub.models import Role, User
from hub.policy import DomainError, SystemActor
from hub.settings import Settings, load_settings

if TYPE_CHECKING:
    from hub.demo import SeedOutcome

MIN_PASSWORD_LENGTH = 8
# Whoever runs `okno` on the server acts as Okno itself: they could edit the database anyway.
CLI_ACTOR = SystemActor("cli")

log = logging.getLogger("okno")


class CommandError(Exception):
    """A failure the user can act on; printed without a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def settings_from(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(
            args.config,
            database_url=args.database_url,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
        )
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CommandError(f"cannot read the settings file: {exc}", 2) from None
    except ValidationError as exc:
        raise CommandError(f"invalid settings: {exc}", 2) from None


def configure_logging(settings: Settings) -> None:
    logs.configure(settings.log_level, settings.log_format)


async def check_migrated(settings: Settings) -> None:
    """Raises NotMigratedError when the schema is not at this code's head revision."""
    await ensure_migrated(settings.database_url)


def serve(settings: Settings) -> None:
    # Imported here: the whole app (workspace, connectors, robots) is what makes `okno` slow
    # to start, and neither the other commands nor the parent of --workers need it.
    from hub.host.app import create_app

    app = create_app(settings)
    log.info(
        "Okno serving on http://%s:%d (public address %s)",
        settings.host,
        settings.port,
        settings.public_url,
    )
    web.run_app(app, host=settings.host, port=settings.port, print=None)


@asynccontextmanager
async def open_hub(settings: Settings) -> AsyncIterator[Hub]:
    await check_migrated(settings)
    db = Database(settings.database_url)
    # The node's own bus, so changes made here reach running nodes' workspaces.
    bus = create_bus(settings.redis_url, settings.redis_prefix)
    await bus.start()
    try:
        yield Hub(settings=settings, db=db, bus=bus)
    finally:
        await bus.close()
        await db.dispose()


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    asyncio.run(upgrade(settings.database_url))
    print(f"Database {_safe_url(settings.database_url)} is up to date.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    configure_logging(settings)
    workers = args.workers if args.workers is not None else default_workers(settings)
    if workers < 1:
        raise CommandError("--workers needs at least 1", 2)
    refusal = why_not_several(settings) if workers > 1 else None
    if refusal is not None:
        raise CommandError(f"cannot run {workers} workers: {refusal}", 2)
    # Checked before the app exists, so an unmigrated node never half-starts.
    asyncio.run(check_migrated(settings))
    if workers == 1:
        serve(settings)
        return 0
    try:
        return run_workers(settings, workers)
    except OSError as exc:
        raise CommandError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
        ) from None


def cmd_demo(args: argparse.Namespace) -> int:
    from hub import demo  # the demo data pulls in most of the app: only this command needs it

    settings = settings_from(args)
    if args.reset:
        _delete_sqlite_database(settings.database_url)
    configure_logging(settings)
    outcome = asyncio.run(_prepare_demo(settings))
    print(demo.banner(settings, outcome), flush=True)
    serve(settings)
    return 0


async def _prepare_demo(settings: Settings) -> SeedOutcome:
    from hub import demo

    await upgrade(settings.database_url)
    async with open_hub(settings) as hub:
        return await demo.seed(hub)


def _delete_sqlite_database(url: str) -> None:
    if not is_sqlite(url):
        raise CommandError("--reset deletes a SQLite file; it does not drop other databases", 2)
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    for suffix in ("", "-wal", "-shm"):
        Path(database + suffix).unlink(missing_ok=True)
    print(f"Deleted {database}.")


def read_new_password(given: str | None) -> str:
    if given is None:
        try:
            given = getpass.getpass("Password: ")
            again = getpass.getpass("Repeat the password: ")
        except EOFError:
            raise CommandError(
                "no password given: pass --password or type it at the prompt", 2
            ) from None
        if given != again:
            raise CommandError("the two passwords differ", 2)
    if len(given) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", 2)
    return given


def cmd_user_add(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    password = read_new_password(args.password)
    locale = args.locale or settings.default_locale

    async def add() -> User:
        async with open_hub(settings) as hub:
            return await create_account(
                hub,
                CLI_ACTOR,
                args.login,
                args.name,
                password,
                role=Role(args.role),
                locale=locale,
                email=args.email,
            )

    user = asyncio.run(add())
    print(f"Created {user.role.value} {user.login!r} ({user.name}), id {user.id}.")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def create() -> str:
        async with open_hub(settings) as hub, unit_of_work(hub) as uow:
            user = (
                await uow.session.execute(select(User).where(User.login == args.login))
            ).scalar_one_or_none()
            if user is None or not user.is_active:
                raise CommandError(f"no active user with login {args.login!r}")
            return await create_api_token(uow, user, args.label)

    token = asyncio.run(create())
    print(token)
    print("Shown only now: send it as 'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


def cmd_contacts_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> contacts_csv.ImportReport:
        async with open_hub(settings) as hub:
            return await contacts_csv.import_file(hub, Path(args.file))

    try:
        report = asyncio.run(run())
    except (OSError, contacts_csv.CsvFormatError) as exc:
        raise CommandError(f"cannot import {args.file}: {exc}") from None
    for line in report.duplicates:
        print(f"duplicate, not created: {line}")
    for line in report.errors:
        print(f"error, not created: {line}", file=sys.stderr)
    print(
        f"Created {report.created} contacts; {len(report.duplicates)} duplicates, "
        f"{len(report.errors)} rows with errors."
    )
    return 1 if report.errors else 0


def cmd_contacts_export(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def run() -> int:
        async with open_hub(settings) as hub:
            return await contacts_csv.export_file(hub, Path(args.file))

    try:
        count = asyncio.run(run())
    except OSError as exc:
        raise CommandError(f"cannot write {args.file}: {exc}") from None
    print(f"Exported {count} contacts to {args.file}.")
    return 0


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML settings file ([okno] table); or OKNO_CONFIG")
    common.add_argument("--database-url", help="overrides OKNO_DATABASE_URL")
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--host", help="address to listen on (OKNO_HOST)")
    server.add_argument("--port", type=int, help="port to listen on (OKNO_PORT)")

    parser = argparse.ArgumentParser(prog="okno", description="Okno: every client, one window.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        into: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_text: str,
        *parents: argparse.ArgumentParser,
    ) -> argparse.ArgumentParser:
        sub = into.add_parser(name, help=help_text, parents=[common, *parents])
        sub.set_defaults(func=func)
        return sub

    add(commands, "migrate", cmd_migrate, "bring the database schema up to date")
    run_cmd = add(
        commands, "run", cmd_run, "start the server (the database must be migrated)", server
    )
    run_cmd.add_argument(
        "--workers",
        type=int,
        help="processes sharing the port (default: the number of cores on PostgreSQL with "
        "Redis, 1 otherwise; several need both)",
    )
    demo_cmd = add(
        commands, "demo", cmd_demo, "migrate, add demo data if empty, start the server", server
    )
    demo_cmd.add_argument("--reset", action="store_true", help="delete the SQLite database first")

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    user_add = add(user, "add", cmd_user_add, "add a user")
    user_add.add_argument("login")
    user_add.add_argument("--name", required=True)
    user_add.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_add.add_argument("--password", help="asked twice when left out")
    user_add.add_argument("--locale", choices=["ru", "en"])
    user_add.add_argument("--email")

    token = commands.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    token_create = add(token, "create", cmd_token_create, "create a bearer token")
    token_create.add_argument("login")
    token_create.add_argument("--label", default="", help="what the token is for")

    contacts = commands.add_parser("contacts", help="contacts CSV").add_subparsers(
        dest="contacts_command", required=True, metavar="ACTION"
    )
    add(contacts, "import", cmd_contacts_import, "import contacts from CSV").add_argument("file")
    add(contacts, "export", cmd_contacts_export, "export contacts to CSV").add_argument("file")
    # Imported here, not at the top: hub.cli.channels builds on this module's helpers.
    from hub.cli import channels as cli_channels

    cli_channels.register(commands, add)
    from hub.cli import crm_io as cli_crm_io

    cli_crm_io.register(commands, add)
    from hub.cli import robots as cli_robots

    cli_robots.register(commands, add)
    from hub.cli import metrics as cli_metrics

    cli_metrics.register(commands, add)
    return parser


def describe(exc: DomainError) -> str:
    """A refusal of an action, with a line per field for invalid input."""
    lines = [exc.message]
    if exc.status == 422 and isinstance(exc.details, list):
        lines += [f"  {d.get('field')}: {d.get('message')}" for d in exc.details]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CommandError as exc:
        print(f"okno: {exc}", file=sys.stderr)
        return exc.code
    except DomainError as exc:
        print(f"okno: {describe(exc)}", file=sys.stderr)
        return 2 if exc.status == 422 else 1
    except NotMigratedError as exc:
        print(f"okno: {exc}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        print(f"okno: cannot use the database: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
