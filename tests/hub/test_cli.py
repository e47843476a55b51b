"""The `okno` command: migrate/run gate, users and tokens, contacts CSV, demo start-up.

`main` runs its async parts with asyncio.run, so async tests call it in a worker thread.
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.auth import principal_from_token
from hub.bus import MemoryBus
from hub.cli import commands as cli
from hub.cli.contacts_csv import parse_rows, render_csv
from hub.core import Hub
from hub.db import Database
from hub.migrate import upgrade
from hub.models import Contact, ContactOrganisation, Identity, Organisation, Role, User
from hub.settings import Settings
from tests.conftest import Backend, add_user
from tests.hub.test_demo import CHEAP_HASHER


@pytest.fixture(autouse=True)
def _no_okno_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own OKNO_* variables must not leak into what is tested."""
    import os

    for key in list(os.environ):
        if key.startswith("OKNO_"):
            monkeypatch.delenv(key)


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """Replaces the blocking server start with a record of what would have been served."""
    served: list[Settings] = []
    monkeypatch.setattr(cli, "serve", served.append)
    return served


async def okno(*argv: str) -> int:
    return await asyncio.to_thread(cli.main, list(argv))


def test_run_refuses_an_unmigrated_database_then_starts_once_migrated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_serving: list[Settings]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert cli.main(["run", "--database-url", url]) == 2
    assert "okno migrate" in capsys.readouterr().err
    assert no_serving == []

    assert cli.main(["migrate", "--database-url", url]) == 0
    assert cli.main(["run", "--database-url", url, "--host", "127.0.0.2", "--port", "8181"]) == 0
    assert [(s.database_url, s.host, s.port) for s in no_serving] == [(url, "127.0.0.2", 8181)]


def test_check_migrated_names_the_revisions(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(cli.NotMigratedError, match="revision none"):
        asyncio.run(cli.check_migrated(settings))
    asyncio.run(upgrade(settings.database_url))
    asyncio.run(cli.check_migrated(settings))


def test_bad_settings_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "okno.toml"
    config.write_text("[okno]\nport = 'not a number'\n")
    assert cli.main(["migrate", "--config", str(config)]) == 2
    assert "invalid settings" in capsys.readouterr().err


async def test_user_add_then_token_authenticates(
    backend: Backend, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database-url", backend.database_url)
    code = await okno(
        "user",
        "add",
        "ivanova",
        "--name",
        "Анна Иванова",
        "--role",
        "supervisor",
        "--password",
        "long-enough-1",
        "--locale",
        "en",
        *db,
    )
    assert code == 0
    assert (
        await okno(
            "user",
            "add",
            "ivanova",
            "--name",
            "X",
            "--role",
            "operator",
            "--password",
            "long-enough-2",
            *db,
        )
        == 1
    )
    assert "already exists" in capsys.readouterr().err

    assert await okno("token", "create", "ivanova", "--label", "1С обмен", *db) == 0
    token = capsys.readouterr().out.strip()
    principal = await principal_from_token(hub, token)
    assert principal is not None
    assert (principal.login, principal.name, principal.role, principal.locale) == (
        "ivanova",
        "Анна Иванова",
        Role.supervisor,
        "en",
    )
    assert await principal_from_token(hub, token + "x") is None
    assert await okno("token", "create", "nobody", *db) == 1


async def test_user_add_prompts_twice_and_rejects_mismatch(
    backend: Backend, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["first-password", "other-password", "same-password", "same-password"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    db = ("--database-url", backend.database_url)
    assert await okno("user", "add", "petrov", "--name", "П", "--role", "operator", *db) == 2
    assert await okno("user", "add", "petrov", "--name", "П", "--role", "operator", *db) == 0
    async with hub.db.sessions() as session:
        user = (await session.execute(select(User).where(User.login == "petrov"))).scalar_one()
    assert user.role is Role.operator and user.locale == "ru"


CONTACTS_CSV = (
    "\ufeffname,phones,emails,organisation,position,responsible,Город\r\n"
    "Иван Петров,8 (916) 555-12-34; +7 495 123-45-67,Ivan.Petrov@StroyMontazh.example,"
    "ООО «СтройМонтаж»,Директор,manager,Москва\r\n"
    "Петров И.,79165551234,,,,,\r\n"
    "Ошибка Номер,12345,,,,,\r\n"
    "Ольга Кузнецова,,olga@list.example,ооо «строймонтаж» ,,,\r\n"
    "Елена Белова,9032104418,,ООО «СтройМонтаж»,Закупки,,Санкт-Петербург\r\n"
)


async def test_contacts_import_normalises_reports_and_round_trips(
    backend: Backend, hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = await add_user(hub, "manager")
    source = tmp_path / "in.csv"
    source.write_text(CONTACTS_CSV, encoding="utf-8")
    db = ("--database-url", backend.database_url)

    assert await okno("contacts", "import", str(source), *db) == 1  # one row has an error
    out, err = capsys.readouterr()
    assert "Created 3 contacts; 1 duplicates, 1 rows with errors." in out
    assert "line 3 (Петров И.)" in out and "Иван Петров" in out
    assert "line 4 (Ошибка Номер)" in err and "'12345' is not a valid phone" in err

    async with hub.db.sessions() as session:
        ivan = (
            await session.execute(select(Contact).where(Contact.name == "Иван Петров"))
        ).scalar_one()
        identities = sorted(
            (i.kind.value, i.value, i.raw)
            for i in (
                await session.execute(select(Identity).where(Identity.contact_id == ivan.id))
            ).scalars()
        )
        links = (await session.execute(select(ContactOrganisation))).scalars().all()
        organisations = (await session.execute(select(Organisation))).scalars().all()
    assert identities == [
        ("email", "ivan.petrov@stroymontazh.example", "Ivan.Petrov@StroyMontazh.example"),
        ("phone", "+74951234567", "+7 495 123-45-67"),
        ("phone", "+79165551234", "8 (916) 555-12-34"),
    ]
    assert ivan.responsible_user_id == manager.id and ivan.status.value == "client"
    assert ivan.custom_fields == {"Город": "Москва"}
    # Same organisation whatever the letter case: one row, three people linked.
    assert [o.name for o in organisations] == ["ООО «СтройМонтаж»"]
    assert sorted(link.position for link in links) == ["", "Директор", "Закупки"]

    exported = tmp_path / "out.csv"
    assert await okno("contacts", "export", str(exported), *db) == 0
    text = exported.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == {
        "name": "Иван Петров",
        "phones": "'+79165551234;+74951234567",  # «+» quoted, so Excel keeps it text
        "emails": "ivan.petrov@stroymontazh.example",
        "organisation": "ООО «СтройМонтаж»",
        "position": "Директор",
        "responsible": "manager",
        "Город": "Москва",
    }

    # Importing the export again creates nothing: every row is reported as a duplicate.
    assert await okno("contacts", "import", str(exported), *db) == 0
    assert "Created 0 contacts; 3 duplicates, 0 rows with errors." in capsys.readouterr().out

    # Into an empty database it recreates the same contacts: export, import, export agree.
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await upgrade(fresh)
    fresh_hub = Hub(settings=Settings(database_url=fresh), db=Database(fresh), bus=MemoryBus())
    try:
        await add_user(fresh_hub, "manager")
    finally:
        await fresh_hub.db.dispose()
    assert await okno("contacts", "import", str(exported), "--database-url", fresh) == 0
    again = tmp_path / "again.csv"
    assert await okno("contacts", "export", str(again), "--database-url", fresh) == 0
    assert again.read_text(encoding="utf-8") == text


def test_excel_semicolon_file_with_bom_is_read() -> None:
    rows = parse_rows(
        "\ufeffName;Phones;Emails;Organisation;Position;Responsible\n"
        'Гусев В.;"+7 926 744-19-05;8 926 744 19 06";gusev@mail.example;ИП Гусев;Владелец;\n'
        ";;;;;\n"
    )
    assert len(rows) == 1
    assert rows[0].name == "Гусев В." and rows[0].organisation == "ИП Гусев"
    assert rows[0].phones == ("+7 926 744-19-05", "8 926 744 19 06")
    assert rows[0].custom_fields == {}


def test_contacts_export_quotes_formulas_and_reads_them_back() -> None:
    text = render_csv(
        [
            {
                "name": '=HYPERLINK("http://x","y")',
                "phones": "+79161234567",
                "emails": "",
                "organisation": "@SUM(1+1)",
                "position": "-5",
                "responsible": "",
            }
        ]
    )
    assert text == (
        "\ufeffname,phones,emails,organisation,position,responsible\r\n"
        '"\'=HYPERLINK(""http://x"",""y"")",\'+79161234567,,\'@SUM(1+1),-5,\r\n'
    )
    [row] = parse_rows(text)
    assert (row.name, row.phones, row.organisation, row.position) == (
        '=HYPERLINK("http://x","y")',
        ("+79161234567",),
        "@SUM(1+1)",
        "-5",
    )


def test_contacts_import_of_a_missing_file_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    assert cli.main(["migrate", "--database-url", url]) == 0
    assert cli.main(["contacts", "import", str(tmp_path / "nope.csv"), "--database-url", url]) == 1
    assert "cannot import" in capsys.readouterr().err


def test_demo_resets_seeds_prints_logins_and_serves(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_serving: list[Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hub.actions.users.hash_password", CHEAP_HASHER.hash)
    monkeypatch.chdir(tmp_path)
    stale = tmp_path / "var" / "okno.db"
    stale.parent.mkdir()
    stale.write_bytes(b"not a database")
    assert cli.main(["demo", "--reset", "--port", "8899"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8899/forms/demo" in out
    for login, password in [
        ("operator", "demo-operator"),
        ("supervisor", "demo-supervisor"),
        ("admin", "demo-admin"),
    ]:
        assert any(login in line and password in line for line in out.splitlines())
    assert [s.database_url for s in no_serving] == ["sqlite+aiosqlite:///var/okno.db"]
    assert stale.stat().st_size > len(b"not a database")  # replaced by a real database

    assert cli.main(["demo", "--reset", "--database-url", "postgresql+asyncpg://h/db"]) == 2
