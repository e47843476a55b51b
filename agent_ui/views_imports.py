"""GET /import?entity=contact|organisation|deal: importing a CSV or XLSX from another CRM.

A shell like «Клиенты»: import-page.js uploads the file to /api/v1/imports, shows its
columns with the guessed (or remembered) fields, starts the job and polls its progress and
report. Importing is a supervisor's or an admin's decision (hub/actions/imports.py says
why), so operators get the "no access" page here and the API refuses them again on every
call: hiding the «Импорт» buttons is never the only guard.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from hub.auth import Principal, has_role
from hub.host.appkeys import SETTINGS
from hub.models import CrmEntity, Role

from .context import page_locale, session_principal
from .keys import PAGES


def _principal_or_login(request: web.Request) -> Principal:
    principal = session_principal(request)
    if principal is None:
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    return principal


def _entity(text: str | None) -> CrmEntity:
    try:
        return CrmEntity(text or CrmEntity.contact.value)
    except ValueError:
        return CrmEntity.contact


def _job_id(text: str | None) -> int | None:
    """?job=<id>: the page reopens that import (a reload while it runs keeps the bar)."""
    return int(text) if text and text.isdigit() and len(text) <= 18 else None


async def import_page(request: web.Request) -> web.Response:
    principal = _principal_or_login(request)
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    entity = _entity(request.query.get("entity"))
    allowed = has_role(principal.role, Role.supervisor)
    user = {
        "id": principal.user_id,
        "login": principal.login,
        "name": principal.name,
        "role": principal.role.value,
    }
    config = {
        "csrf": principal.csrf_token,
        "locale": choice.locale,
        "user": user,
        "supervisor": allowed,
        # Only admins may create a custom field from a column's header.
        "admin": has_role(principal.role, Role.admin),
        "entity": entity.value,
        "jobId": _job_id(request.query.get("job")),
        # Checked in the browser first, so a too large file is refused before it is sent.
        "maxUploadBytes": request.app[SETTINGS].max_upload_bytes,
        "wsPath": "/ws",
        "strings": pages.strings(choice.locale),
    }
    context = {
        "config": config if allowed else None,
        "user": user,
        "csrf_token": principal.csrf_token,
        "is_supervisor": allowed,
        "needed_role": Role.supervisor.value,
        "entity": entity.value,
    }
    if not allowed:
        return pages.render("forbidden.html", choice, context, status=403)
    return pages.render("import.html", choice, context)


def setup(app: web.Application) -> None:
    app.router.add_get("/import", import_page)
