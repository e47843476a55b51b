"""JSON REST API under /api/v1, described by the OpenAPI document at /api/openapi.json."""

from __future__ import annotations

from aiohttp import web

from . import (
    call_lookup,
    calls,
    channels,
    contact_actions,
    contacts,
    conversation_writes,
    conversations,
    crm_visibility,
    custom_fields,
    deals,
    duplicates,
    files,
    leads,
    organisations,
    pipelines,
    teams,
    users,
)
from .openapi import build_document
from .registry import ApiRoute, register_routes

__all__ = ["all_routes", "setup"]

OPENAPI_PATH = "/api/openapi.json"


def all_routes() -> list[ApiRoute]:
    tables = (
        users.routes,
        conversations.routes,
        conversation_writes.routes,
        contacts.routes,
        calls.routes,
        call_lookup.routes,
        duplicates.routes,
        contact_actions.routes,
        leads.routes,
        teams.routes,
        channels.routes,
        crm_visibility.routes,
        custom_fields.routes,
        organisations.routes,
        pipelines.routes,
        deals.routes,
    )
    return [route for table in tables for route in table.routes]


def setup(app: web.Application) -> None:
    routes = all_routes()
    register_routes(app, routes)
    files.setup(app)  # multipart and raw bytes: plain handlers beside the JSON routes
    # Built once: the routes and models do not change while the process runs.
    document = build_document(routes)
    document["paths"].update(files.OPENAPI_PATHS)

    async def openapi(request: web.Request) -> web.Response:
        # Public on purpose: the document describes the API and holds no data.
        return web.json_response(document)

    app.router.add_get(OPENAPI_PATH, openapi, name="openapi")
