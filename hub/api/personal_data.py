"""152-ФЗ requests about one person, for administrators: `GET /contacts/{id}/personal-data`
(a ZIP of everything Okno holds about them) and `POST /contacts/{id}/erase`.

The ZIP is a plain aiohttp handler (bytes, not JSON), checked with `require` as the JSON
routes are; it is built in a worker thread, so a person with years of mail does not stall
the event loop. Each export and each erasure leaves an audit record (hub/actions/personal_data).
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from typing import Any

from aiohttp import web
from pydantic import Field

from hub.actions import personal_data as actions
from hub.api.web_auth import require
from hub.host.appkeys import HUB
from hub.models import Role
from hub.policy import NotFound, ensure_can_handle_personal_data
from hub.queries import personal_data as queries
from hub.queries.shapes import Shape

from .file_wire import content_disposition
from .inputs import Body
from .registry import API_PREFIX, ApiCall, RouteTable

routes = RouteTable("contacts")

_README = """Данные, которые Okno хранит об этом человеке (выгрузка по запросу, 152-ФЗ).

contact.json — карточка контакта; tables/*.json — его способы связи, обращения (лиды),
организации, переписки и сообщения, звонки, сделки, дела, исходные входящие события;
files/ — вложения его сообщений (message-<id сообщения>-<номер>-<id файла>).
"""


def _zip(data: queries.PersonalData) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _README)
        archive.writestr("contact.json", _json(data.contact))
        for name, rows in data.tables.items():
            archive.writestr(f"tables/{name}.json", _json(rows))
        for path, content in data.files:
            archive.writestr(path, content)
    return buffer.getvalue()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


async def export_personal_data(request: web.Request) -> web.Response:
    principal = require(request, Role.admin)
    ensure_can_handle_personal_data(principal)
    hub = request.app[HUB]
    contact_id = int(request.match_info["id"])
    async with hub.db.sessions() as session:
        data = await queries.collect(session, contact_id)
    if data is None:
        raise NotFound("no-such-contact", "There is no such contact.", {"contact_id": contact_id})
    body = await asyncio.to_thread(_zip, data)
    counts = {name: len(rows) for name, rows in data.tables.items()}
    counts["files"] = len(data.files)
    await actions.record_export(hub, principal, contact_id, counts)
    return web.Response(
        body=body,
        content_type="application/zip",
        headers={
            "Content-Disposition": content_disposition(f"contact-{contact_id}-personal-data.zip"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


class EraseIn(Body):
    confirm_name: str = Field(
        max_length=300, description="The contact's name exactly as the card shows it."
    )


class ErasedOut(Shape):
    contact_id: int
    counts: dict[str, int]


@routes.post(
    "/contacts/{id}/erase",
    summary="Erase a person's data (152-ФЗ): identities, texts and files; statistics stay",
    body=EraseIn,
    response=ErasedOut,
    role=Role.admin,
)
async def erase(call: ApiCall[None, EraseIn]) -> ErasedOut:
    erased = await actions.erase_contact(
        call.hub, call.principal, call.path_id(), call.body.confirm_name
    )
    return ErasedOut(contact_id=erased.contact_id, counts=erased.counts)


def setup(app: web.Application) -> None:
    app.router.add_get(
        API_PREFIX + "/contacts/{id:[0-9]{1,18}}/personal-data",
        export_personal_data,
        name="export_personal_data",
    )


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/contacts/{id}/personal-data": {
        "get": {
            "tags": ["contacts"],
            "summary": "Everything Okno holds about a person, as a ZIP (152-ФЗ request)",
            "x-okno-role": "admin",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {
                "200": {
                    "description": "contact.json, tables/*.json and files/ in a ZIP",
                    "content": {"application/zip": {}},
                },
                "403": {"description": "Not an administrator", "content": {"application/json": {}}},
                "404": {"description": "No such contact", "content": {"application/json": {}}},
            },
        }
    }
}
