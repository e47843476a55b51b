"""JSON REST API under /api/v1, described by the OpenAPI document at /api/openapi.json."""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import web

from . import (
    absences,
    activities,
    calendar,
    call_lookup,
    calls,
    channels,
    contact_actions,
    contacts,
    conversation_marks,
    conversation_writes,
    conversations,
    crm_visibility,
    custom_fields,
    deals,
    duplicates,
    exports,
    files,
    ical,
    imports,
    leads,
    manager_reports,
    organisations,
    personal_data,
    pipelines,
    production_calendar,
    reply_templates,
    report_export,
    reports,
    robots,
    saved_views,
    search,
    sla_policies,
    teams,
    users,
    workspace_reads,
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
        imports.routes,
        pipelines.routes,
        production_calendar.routes,
        deals.routes,
        personal_data.routes,
        robots.routes,
        activities.routes,
        calendar.routes,
        absences.routes,
        workspace_reads.routes,
        reports.routes,
        manager_reports.routes,
        reply_templates.routes,
        search.routes,
        conversation_marks.routes,
        saved_views.routes,
        sla_policies.routes,
    )
    return [route for table in tables for route in table.routes]


@functools.cache
def api_document() -> dict[str, Any]:
    """The OpenAPI document, built once per process: the routes and models do not change
    while it runs (building it is most of the cost of creating an app)."""
    document = build_document(all_routes())
    for paths in (
        files.OPENAPI_PATHS,
        imports.OPENAPI_PATHS,
        exports.OPENAPI_PATHS,
        report_export.OPENAPI_PATHS,
        manager_reports.OPENAPI_PATHS,
        personal_data.OPENAPI_PATHS,
        ical.OPENAPI_PATHS,
    ):
        document["paths"].update(paths)
    return document


def setup(app: web.Application) -> None:
    routes = all_routes()
    register_routes(app, routes)
    files.setup(app)  # multipart and raw bytes: plain handlers beside the JSON routes
    imports.setup(app)
    exports.setup(app)
    report_export.setup(app)
    manager_reports.setup(app)
    personal_data.setup(app)
    ical.setup(app)
    document = api_document()

    async def openapi(request: web.Request) -> web.Response:
        # Public on purpose: the document describes the API and holds no data.
        return web.json_response(document)

    app.router.add_get(OPENAPI_PATH, openapi, name="openapi")
