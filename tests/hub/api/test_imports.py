"""Imports over HTTP on both backends: upload → preview with guessed fields → start → the
job's progress and per-row report; duplicates reported, not created; mappings remembered;
who may import and see a job. Report lines are written out by hand."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from hub.actions import imports as import_actions
from hub.actions.pipelines import StageSpec, create_pipeline
from hub.api.imports import IMPORT_TASKS
from hub.models import (
    Contact,
    ContactOrganisation,
    Deal,
    ImportJob,
    Organisation,
    Role,
    Stage,
    VisibilityScope,
)
from hub.queries import contact_card
from hub.queries import imports as import_queries
from tests.conftest import Clock

from .conftest import Api, Reply
from .crm_setup import SETUP, add_contact, add_custom_field, set_scope

IMPORTS = "/api/v1/imports"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crm_import"
SBER_INN = "7707083893"
IP_INN = "500100732259"


@pytest.fixture
async def crm(api: Api) -> Api:
    """olga, petr (operators), sveta (supervisor) from `api`; boss, an admin; vera, another
    supervisor."""
    await api.add_user("boss", Role.admin, "Борис Главный")
    await api.add_user("vera", Role.supervisor, "Вера Жукова")
    return api


async def upload(
    api: Api, as_user: str, entity: str, name: str, data: bytes, mime: str = "text/csv"
) -> Reply:
    form = FormData()
    form.add_field("entity", entity)
    form.add_field("file", data, filename=name, content_type=mime)
    async with api.client.post(
        IMPORTS, data=form, headers={"Authorization": f"Bearer {api.tokens[as_user]}"}
    ) as response:
        return Reply(response.status, await response.json())


def guessed(preview: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"index": c["index"], "field": c["guessed_field"]} for c in preview["columns"]]


async def run(api: Api, job_id: int, as_user: str, mapping: list[dict[str, Any]]) -> Any:
    """Start the import and wait for its task (no sleeping): the job as GET shows it."""
    started = await api.post(f"{IMPORTS}/{job_id}/start", as_user, {"mapping": mapping})
    assert started.status == 202, started.body
    assert started.body["status"] == "running"
    await asyncio.gather(*api.client.app[IMPORT_TASKS])
    done = await api.get(f"{IMPORTS}/{job_id}", as_user)
    assert done.status == 200, done.body
    return done.body


async def count(api: Api, model: Any) -> int:
    async with api.hub.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_amocrm_contacts_in_cp1251_two_bad_rows_and_a_duplicate(crm: Api) -> None:
    await add_custom_field(crm, "city", "Город", "text")
    known = await add_contact(crm, "Мария Кузнецова", phones=["+79160000001"])
    data = (FIXTURES / "amocrm_contacts_cp1251.csv").read_bytes()

    reply = await upload(crm, "sveta", "contact", "amo.csv", data)

    assert reply.status == 201, reply.body
    preview = reply.body
    job = preview["job"]
    assert (job["status"], job["entity"], job["total_rows"], job["done_rows"]) == (
        "pending",
        "contact",
        5,
        0,
    )
    assert preview["remembered"] is None
    assert [c["header"] for c in preview["columns"]][:2] == ["ID", "Полное имя контакта"]
    assert preview["columns"][4]["samples"] == [
        "8 (916) 555-12-34",
        "не знаю",
        "8 916 777 00 11",
        "+7 916 000-00-01",
    ]
    assert [c["field"] for c in guessed(preview)] == [
        None, "name", "organisation", "position", "phone", "phone", "email", "responsible",
        "cf.city", None,
    ]  # fmt: skip
    assert {"field": "cf.city", "label": "Город"} in preview["fields"]

    done = await run(crm, job["id"], "sveta", guessed(preview))

    assert {k: done[k] for k in ("status", "total_rows", "done_rows")} == {
        "status": "done",
        "total_rows": 5,
        "done_rows": 5,
    }
    assert (done["created_count"], done["duplicate_count"], done["error_count"]) == (2, 1, 2)
    assert done["report"] == [
        {
            "row": 3,
            "column": "Мобильный телефон",
            "reason": "«не знаю» — не номер телефона",
            "type": "invalid-phone",
        },
        {
            "row": 4,
            "column": "Рабочий email",
            "reason": "«oleg@@mail» — не адрес электронной почты",
            "type": "invalid-email",
        },
        {
            "row": 5,
            "column": "Мобильный телефон",
            "reason": f"уже есть контакт №{known} с этим телефоном или e-mail",
            "type": "duplicate",
        },
    ]
    async with crm.hub.db.sessions() as session:
        names = set((await session.execute(select(Contact.name))).scalars())
        ivanov_id = (
            await session.execute(select(Contact.id).where(Contact.name == "Иванов Иван Петрович"))
        ).scalar_one()
        card = await contact_card(session, ivanov_id)
        links = (await session.execute(select(ContactOrganisation))).scalars().all()
        organisation = (await session.execute(select(Organisation))).scalar_one()
    # Nothing of the bad rows, and the duplicate not created again.
    assert names == {"Мария Кузнецова", "Иванов Иван Петрович", "Смирнов Пётр"}
    assert card is not None
    dumped = card.model_dump(mode="json")
    assert [p["value"] for p in dumped["phones"]] == ["+79165551234", "+74951234567"]
    assert dumped["emails"] == ["ivanov@stroy.ru"]
    assert dumped["custom_fields"] == {"city": "Москва"}
    assert dumped["responsible"]["id"] == crm.users["sveta"].id
    assert organisation.name == "ООО «СтройМонтаж»"
    assert [(link.organisation_id, link.position) for link in links] == [
        (organisation.id, "Директор")
    ]

    report = await crm.client.get(
        f"{IMPORTS}/{job['id']}/report.csv",
        headers={"Authorization": f"Bearer {crm.tokens['sveta']}"},
    )
    assert report.status == 200
    text = (await report.read()).decode("utf-8")
    assert text.startswith("\ufeffСтрока;Столбец;Причина;Тип\r\n")
    assert "3;Мобильный телефон;«не знаю» — не номер телефона;invalid-phone\r\n" in text


async def test_the_mapping_is_remembered_for_the_same_headers(crm: Api) -> None:
    first = await upload(
        crm, "sveta", "contact", "a.csv", "ФИО;Тел;Заметка\nАнна;+79161112233;x\n".encode()
    )
    mapping = [
        {"index": 0, "field": "name"},
        {"index": 1, "field": "phone"},
        {"index": 2, "field": None},
    ]
    assert [c["field"] for c in guessed(first.body)] == ["name", "phone", "new-custom-field"]
    done = await run(crm, first.body["job"]["id"], "sveta", mapping)
    assert done["created_count"] == 1

    again = await upload(
        crm, "sveta", "contact", "b.csv", "фио;ТЕЛ;Заметка\nБорис;+79161112244;y\n".encode()
    )
    assert again.body["remembered"] == mapping
    other = await upload(crm, "sveta", "contact", "c.csv", "ФИО;Заметка\nВера;z\n".encode())
    assert other.body["remembered"] is None


async def test_organisations_from_xlsx_duplicate_inn_and_a_new_custom_field(crm: Api) -> None:
    async with crm.hub.db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Organisation))).scalar() == 0
    first = await upload(
        crm, "boss", "organisation", "one.csv", f"Название;ИНН\nСбербанк;{SBER_INN}\n".encode()
    )
    await run(crm, first.body["job"]["id"], "boss", guessed(first.body))
    book = Workbook()
    sheet = book.active
    sheet.append(["Название компании", "ИНН", "КПП", "Рабочий телефон", "Отрасль"])
    sheet.append(["ПАО Сбербанк", int(SBER_INN), "773601001", "+7 495 500-55-50", "Банк"])
    sheet.append(["ИП Гусев", int(IP_INN), None, "8 916 100 20 30", "Окна"])
    sheet.append(["ООО Ошибка", "1234567890", None, None, "Стройка"])
    out = io.BytesIO()
    book.save(out)

    reply = await upload(
        crm,
        "boss",
        "organisation",
        "companies.xlsx",
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

    assert reply.status == 201, reply.body
    fields = [c["field"] for c in guessed(reply.body)]
    assert fields == ["name", "inn", "kpp", "phone", "new-custom-field"]
    done = await run(crm, reply.body["job"]["id"], "boss", guessed(reply.body))
    assert (done["created_count"], done["duplicate_count"], done["error_count"]) == (1, 1, 1)
    assert done["report"][0]["row"] == 2
    assert done["report"][0]["column"] == "ИНН"
    assert done["report"][0]["type"] == "duplicate"
    assert [(r["row"], r["column"], r["type"]) for r in done["report"][1:]] == [
        (4, "ИНН", "inn-bad-checksum")
    ]
    async with crm.hub.db.sessions() as session:
        gusev = (
            await session.execute(select(Organisation).where(Organisation.inn == IP_INN))
        ).scalar_one()
        assert (await session.execute(select(func.count()).select_from(Organisation))).scalar() == 2
    assert gusev.phones == ["+79161002030"]
    assert gusev.custom_fields == {"otrasl": "Окна"}


async def test_bitrix24_deals_by_stage_name_amounts_and_a_lost_deal(crm: Api) -> None:
    pipeline_id = await create_pipeline(
        crm.hub,
        SETUP,
        "Продажи",
        [
            StageSpec("Интерес"),
            StageSpec("Коммерческое предложение", probability=50),
            StageSpec("Договор", outcome="won", probability=100),
            StageSpec("Проиграна", outcome="lost"),
        ],
    )
    ivanov = await add_contact(crm, "Иванов Иван")
    data = (FIXTURES / "bitrix24_deals.csv").read_bytes()
    reply = await upload(crm, "sveta", "deal", "deals.csv", data)
    done = await run(crm, reply.body["job"]["id"], "sveta", guessed(reply.body))
    assert (done["created_count"], done["error_count"]) == (2, 1)
    assert done["report"] == [
        {
            "row": 3,
            "column": "Стадия сделки",
            "reason": "«Замер» — нет такого этапа",
            "type": "no-such-stage",
        }
    ]
    async with crm.hub.db.sessions() as session:
        stages = {
            s.id: s.name
            for s in (
                await session.execute(select(Stage).where(Stage.pipeline_id == pipeline_id))
            ).scalars()
        }
        deals = {d.title: d for d in (await session.execute(select(Deal))).scalars()}
    office = deals["Окна для офиса"]
    assert (str(office.amount), office.currency, stages[office.stage_id]) == (
        "125000.50",
        "RUB",
        "Коммерческое предложение",
    )
    assert (office.contact_id, office.responsible_user_id, str(office.expected_close_on)) == (
        ivanov,
        crm.users["sveta"].id,
        "2026-12-31",
    )
    assert office.source == "Сайт"
    lost = deals["Остекление склада"]
    assert stages[lost.stage_id] == "Проиграна"
    assert lost.loss_reason != ""


async def test_progress_grows_batch_by_batch_up_to_the_total(
    crm: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_actions, "BATCH", 2)
    seen: list[tuple[str, int, int]] = []
    record = import_actions._record_progress

    async def watched(*args: Any) -> None:
        await record(*args)
        job = (await crm.get(f"{IMPORTS}/{args[1]}", "sveta")).body
        seen.append((job["status"], job["done_rows"], job["created_count"]))

    monkeypatch.setattr(import_actions, "_record_progress", watched)
    lines = "".join(f"Клиент {i};+7916000{i:04d}\n" for i in range(5))
    reply = await upload(crm, "sveta", "contact", "five.csv", f"ФИО;Телефон\n{lines}".encode())
    done = await run(crm, reply.body["job"]["id"], "sveta", guessed(reply.body))
    assert seen == [("running", 2, 2), ("running", 4, 4), ("running", 5, 5)]
    assert (done["status"], done["done_rows"], done["total_rows"]) == ("done", 5, 5)


async def test_rows_go_to_the_named_colleague_and_an_unknown_one_is_refused(crm: Api) -> None:
    # As by hand: whoever creates a record names its manager, any active colleague.
    data = "Название;Ответственный\nАльфа;Ольга Иванова\nБета;Иван Никто\n".encode()
    reply = await upload(crm, "sveta", "organisation", "team.csv", data)
    done = await run(crm, reply.body["job"]["id"], "sveta", guessed(reply.body))
    assert (done["created_count"], done["error_count"]) == (1, 1)
    assert done["report"] == [
        {
            "row": 3,
            "column": "Ответственный",
            "reason": "«Иван Никто» — нет такого активного пользователя",
            "type": "no-such-user",
        }
    ]
    async with crm.hub.db.sessions() as session:
        alfa = (
            await session.execute(select(Organisation).where(Organisation.name == "Альфа"))
        ).scalar_one()
    assert alfa.responsible_user_id == crm.users["olga"].id
    people = "ФИО;Ответственный\nАнна;Ольга Иванова\nБорис;Иван Никто\n".encode()
    reply = await upload(crm, "sveta", "contact", "people.csv", people)
    done = await run(crm, reply.body["job"]["id"], "sveta", guessed(reply.body))
    assert (done["created_count"], done["error_count"]) == (1, 1)
    assert [(r["row"], r["column"], r["type"]) for r in done["report"]] == [
        (3, "Ответственный", "no-such-user")
    ]


async def test_an_import_whose_node_died_reads_as_failed_after_two_silent_minutes(
    crm: Api,
) -> None:
    clock = Clock()
    crm.hub.clock = clock
    reply = await upload(crm, "sveta", "contact", "one.csv", "ФИО\nАнна\n".encode())
    job_id = reply.body["job"]["id"]
    # Started, then the node died before its task ran (kill -9): no more heartbeats.
    async with crm.hub.db.sessions() as session:
        table = await import_queries.job_table(session, await session.get_one(ImportJob, job_id))
    await import_actions.start_import(crm.hub, SETUP, job_id, ["name"], table)
    assert (await crm.get(f"{IMPORTS}/{job_id}", "sveta")).body["status"] == "running"
    clock.advance(119)
    assert (await crm.get(f"{IMPORTS}/{job_id}", "sveta")).body["status"] == "running"
    clock.advance(2)
    stalled = (await crm.get(f"{IMPORTS}/{job_id}", "sveta")).body
    assert stalled["status"] == "failed"
    assert stalled["error"].startswith("Импорт прерван: сервер, который его выполнял")


async def test_a_fake_xlsx_is_refused_with_422(crm: Api) -> None:
    reply = await upload(crm, "sveta", "contact", "contacts.xlsx", "ФИО;Телефон\n".encode())
    assert reply.status == 422
    assert reply.body["error"]["id"] == "not-an-xlsx"
    assert await count(crm, Contact) == 0


async def test_who_may_import_and_see_a_job(crm: Api) -> None:
    data = "ФИО;Телефон\nАнна;+79161112233\n".encode()
    refused = await upload(crm, "olga", "contact", "a.csv", data)
    assert (refused.status, refused.body["error"]["id"]) == (403, "forbidden")
    bad_entity = await upload(crm, "sveta", "lead", "a.csv", data)
    assert bad_entity.status == 422
    job_id = (await upload(crm, "sveta", "contact", "a.csv", data)).body["job"]["id"]
    assert (await crm.get(f"{IMPORTS}/{job_id}", "sveta")).status == 200
    assert (await crm.get(f"{IMPORTS}/{job_id}", "boss")).status == 200
    assert (await crm.get(f"{IMPORTS}/{job_id}", "vera")).status == 404
    assert (await crm.get(f"{IMPORTS}/{job_id}", "olga")).status == 403
    # A new custom field is configuration: an admin's, not a supervisor's.
    create_field = await crm.post(
        f"{IMPORTS}/{job_id}/start",
        "sveta",
        {"mapping": [{"index": 0, "field": "name"}, {"index": 1, "field": "new-custom-field"}]},
    )
    assert create_field.status == 403
    unmapped = await crm.post(
        f"{IMPORTS}/{job_id}/start", "sveta", {"mapping": [{"index": 1, "field": "phone"}]}
    )
    assert unmapped.status == 422
    assert unmapped.body["error"]["details"][0]["type"] == "required-field-unmapped"
    await run(crm, job_id, "sveta", [{"index": 0, "field": "name"}, {"index": 1, "field": "phone"}])
    again = await crm.post(
        f"{IMPORTS}/{job_id}/start", "sveta", {"mapping": [{"index": 0, "field": "name"}]}
    )
    assert (again.status, again.body["error"]["id"]) == (409, "import-started")


def read_csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


async def export(api: Api, path: str, as_user: str, **params: str) -> tuple[int, bytes, str]:
    async with api.client.get(
        path, params=params, headers={"Authorization": f"Bearer {api.tokens[as_user]}"}
    ) as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


async def test_export_is_exactly_the_filtered_rows_the_caller_sees(crm: Api) -> None:
    await set_scope(crm, Role.operator, VisibilityScope.own)
    await add_custom_field(crm, "city", "Город", "text")
    await add_contact(
        crm,
        "Анна Белова",
        phones=["+79161112233", "+74951112233"],
        responsible="olga",
        custom_fields={"city": "Тверь"},
    )
    await add_contact(crm, "Алексей Волков", emails=["volkov@example.ru"], responsible="olga")
    await add_contact(crm, "Анатолий Чужой", responsible="petr")

    status, body, mime = await export(crm, "/api/v1/contacts/export", "olga", format="csv")

    assert (status, mime) == (200, "text/csv; charset=utf-8")
    rows = read_csv(body)
    assert rows[0] == [
        "ID", "ФИО", "Статус", "Телефон", "E-mail", "Организация", "Должность",
        "Ответственный", "Источник", "Дата создания", "Следующий контакт", "Город",
    ]  # fmt: skip
    assert sorted((r[1], r[3], r[4], r[7], r[11]) for r in rows[1:]) == [
        ("Алексей Волков", "", "volkov@example.ru", "Ольга Иванова", ""),
        ("Анна Белова", "'+79161112233, +74951112233", "", "Ольга Иванова", "Тверь"),
    ]
    status, body, _ = await export(crm, "/api/v1/contacts/export", "olga", q="Анна")
    assert [r[1] for r in read_csv(body)[1:]] == ["Анна Белова"]
    _, body, _ = await export(crm, "/api/v1/contacts/export", "boss", **{"cf.city": "Тверь"})
    assert [r[1] for r in read_csv(body)[1:]] == ["Анна Белова"]

    status, body, mime = await export(crm, "/api/v1/contacts/export", "olga", format="xlsx")
    assert status == 200
    assert mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    cells = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0][:2] == ["ID", "ФИО"]
    assert sorted(r[1] for r in cells[1:]) == ["Алексей Волков", "Анна Белова"]

    bad = await crm.get("/api/v1/contacts/export", "olga", format="pdf")
    assert bad.status == 422
    assert (await crm.get("/api/v1/contacts/export", None)).status == 401


async def test_export_of_organisations_and_deals_and_back_again(crm: Api) -> None:
    await create_pipeline(crm.hub, SETUP, "Продажи", [StageSpec("Интерес"), StageSpec("Договор")])
    first = await upload(
        crm,
        "boss",
        "organisation",
        "orgs.csv",
        f"Название;ИНН;Сайт\nСбербанк;{SBER_INN};sberbank.ru\n".encode(),
    )
    await run(crm, first.body["job"]["id"], "boss", guessed(first.body))
    deals = await upload(
        crm,
        "boss",
        "deal",
        "deals.csv",
        "Название сделки;Бюджет;Этап сделки;Компания\nКредит;1 000 000;Договор;Сбербанк\n".encode(),
    )
    assert (await run(crm, deals.body["job"]["id"], "boss", guessed(deals.body)))["report"] == []

    _, orgs_file, _ = await export(crm, "/api/v1/organisations/export", "boss")
    rows = read_csv(orgs_file)
    assert [(r[1], r[2], r[9]) for r in rows[1:]] == [("Сбербанк", SBER_INN, "sberbank.ru")]
    _, body, _ = await export(crm, "/api/v1/deals/export", "boss", outcome="open")
    rows = read_csv(body)
    assert rows[0][:8] == [
        "ID", "Название сделки", "Сумма", "Валюта", "Воронка", "Этап сделки", "Контакт",
        "Организация",
    ]  # fmt: skip
    assert [r[1:8] for r in rows[1:]] == [
        ["Кредит", "1000000.00", "RUB", "Продажи", "Договор", "", "Сбербанк"]
    ]

    # The export reads back: its headers guess to the same fields, the INN is a duplicate.
    again = await upload(crm, "boss", "organisation", "back.csv", orgs_file)
    assert [c["field"] for c in guessed(again.body)][:11] == [
        None, "name", "inn", "kpp", "ogrn", "legal_address", "actual_address", "phone",
        "email", "site", "responsible",
    ]  # fmt: skip
    mapping = [m for m in guessed(again.body) if m["field"] != "new-custom-field"]
    done = await run(crm, again.body["job"]["id"], "boss", mapping)
    assert (done["created_count"], done["duplicate_count"]) == (0, 1)


async def test_csv_exports_quote_what_excel_would_run_and_read_back_as_typed(crm: Api) -> None:
    """OWASP's CSV injection: text starting with =, +, -, @, tab or CR gets a leading «'» in
    the CSV (Excel shows it as text, never runs it); importing that CSV takes it off again."""
    link = '=HYPERLINK("http://x","y")'
    await add_contact(crm, link, phones=["+7 916 123-45-67"], source="-2+3")
    await create_pipeline(crm.hub, SETUP, "Продажи", [StageSpec("Интерес")])
    typed = "Название сделки;Этап сделки\n@SUM(1+1);Интерес\n".encode()
    deals = await upload(crm, "boss", "deal", "deals.csv", typed)
    assert (await run(crm, deals.body["job"]["id"], "boss", guessed(deals.body)))["report"] == []

    _, contacts_file, _ = await export(crm, "/api/v1/contacts/export", "boss")
    text = contacts_file.decode("utf-8")
    # The name, the phone as stored and the source, each quoted; the quotes inside the
    # formula doubled by CSV itself.
    assert ';"\'=HYPERLINK(""http://x"",""y"")";' in text
    assert ";'+79161234567;" in text
    assert ";'-2+3;" in text
    _, deals_file, _ = await export(crm, "/api/v1/deals/export", "boss")
    assert ";'@SUM(1+1);0.00;RUB;Продажи;Интерес;" in deals_file.decode("utf-8")

    # Back in: the preview's samples are the values as typed, the contact is found again by
    # its phone (a duplicate), and the deal's title is «@SUM(1+1)» once more.
    again = await upload(crm, "boss", "contact", "contacts.csv", contacts_file)
    samples = {c["header"]: c["samples"] for c in again.body["columns"]}
    assert (samples["ФИО"], samples["Телефон"], samples["Источник"]) == (
        [link],
        ["+79161234567"],
        ["-2+3"],
    )
    mapping = [m for m in guessed(again.body) if m["field"] != "new-custom-field"]
    done = await run(crm, again.body["job"]["id"], "boss", mapping)
    assert (done["created_count"], done["duplicate_count"]) == (0, 1)
    back = await upload(crm, "boss", "deal", "deals-back.csv", deals_file)
    titles = {c["header"]: c["samples"] for c in back.body["columns"]}["Название сделки"]
    assert titles == ["@SUM(1+1)"]
    mapping = [m for m in guessed(back.body) if m["field"] not in (None, "new-custom-field")]
    assert (await run(crm, back.body["job"]["id"], "boss", mapping))["created_count"] == 1
    async with crm.hub.db.sessions() as session:
        stored = await session.scalars(select(Deal.title).order_by(Deal.id))
        assert list(stored) == ["@SUM(1+1)", "@SUM(1+1)"]
