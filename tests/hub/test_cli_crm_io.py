"""`okno import` and `okno export` on both backends: the API's job, from the shell."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hub.cli import commands as cli
from hub.core import Hub
from hub.models import Contact, ImportJob, Role
from tests.conftest import Backend, add_user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm_import"


async def okno(*argv: str) -> int:
    return await asyncio.to_thread(cli.main, list(argv))


async def test_import_guesses_reports_and_exports_back(
    backend: Backend, hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database-url", backend.database_url)
    sveta = await add_user(hub, "sveta", Role.supervisor, name="Светлана Орлова")
    source = FIXTURES / "amocrm_contacts_cp1251.csv"

    assert await okno("import", "contacts", str(source), *db) == 1  # two rows have errors
    out, err = capsys.readouterr()
    assert "'Мобильный телефон' -> phone" in out
    assert "'Город' -> (left out)" in out  # the CLI creates no custom field
    assert "created 3, duplicates 0, errors 2." in out
    assert "row 3, column 'Мобильный телефон': «не знаю» — не номер телефона" in err
    assert "row 4, column 'Рабочий email': «oleg@@mail» — не адрес электронной почты" in err
    async with hub.db.sessions() as session:
        names = sorted((await session.execute(select(Contact.name))).scalars())
        job = (await session.execute(select(ImportJob))).scalar_one()
    assert names == ["Иванов Иван Петрович", "Кузнецова Мария", "Смирнов Пётр"]
    async with hub.db.sessions() as session:
        ivanov = (
            await session.execute(select(Contact).where(Contact.name == "Иванов Иван Петрович"))
        ).scalar_one()
    assert ivanov.responsible_user_id == sveta.id
    assert (job.status, job.done_rows, job.user_id) == ("done", 5, None)

    exported = tmp_path / "contacts.xlsx"
    assert await okno("export", "contacts", str(exported), *db) == 0
    assert "Exported 3 contact records" in capsys.readouterr().out
    sheet = load_workbook(exported, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("ID", "ФИО", "Статус", "Телефон")
    assert sorted(r[1] for r in rows[1:]) == names

    # The same file again: the remembered mapping, and every good row a duplicate.
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(["skip-me"]), encoding="utf-8")
    assert await okno("import", "contacts", str(source), "--mapping", str(mapping), *db) == 2
    assert await okno("import", "contacts", str(source), *db) == 1
    assert "created 0, duplicates 3, errors 2." in capsys.readouterr().out
    assert await okno("import", "leads", str(source), *db) == 2
