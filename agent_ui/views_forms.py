"""Visitor pages of a web-form channel (read-only; POST /forms/{slug} is the connector's).

GET /forms/{slug}            the hosted contact form (works with and without JavaScript)
GET /forms/{slug}/thanks     "your request No. N has been received" (the no-JS landing)
GET /forms/{slug}.js         the embeddable one-line script that draws the form on any site
GET /forms/{slug}/r/{token}  the request's status: what the visitor wrote, what we answered
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

from aiohttp import web

from hub.host.appkeys import HUB, SETTINGS
from hub.models import Channel

from .context import page_locale
from .i18n import N_, LocaleChoice
from .keys import PAGES
from .pages import STATIC_DIR, VISITOR_CSP
from .visitor_data import request_status, webform_channel

SLUG = "{slug:[A-Za-z0-9_-]{1,100}}"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
EMBED_CONFIG_MARK = "__OKNO_CONFIG__"


def _not_found(request: web.Request, choice: LocaleChoice) -> web.Response:
    return request.app[PAGES].render(
        "visitor_missing.html", choice, {}, status=404, csp=VISITOR_CSP
    )


async def _channel(request: web.Request) -> Channel | None:
    return await webform_channel(request.app[HUB], request.match_info["slug"])


def public_base(request: web.Request) -> str:
    """Where browsers reach this node: the configured public URL, else this request's."""
    base_url = request.app[SETTINGS].base_url
    if base_url:
        return base_url.rstrip("/")
    return f"{request.scheme}://{request.host}"


# Why the form came back (the connector redirects a script-less post it refused here):
# error id -> what the page says, in the page's language.
FIELD_ERRORS = {
    "invalid-contact": N_("The phone number is not valid."),
    "invalid-input": N_("Please check the highlighted fields."),
}
_BAD_EMAIL = N_("The e-mail address is not valid.")
_NEED_CONTACT = N_("Please give a phone number or an email.")
_FORM_FIELDS = frozenset({"name", "phone", "email", "message", "consent"})


def _refusal(request: web.Request) -> tuple[str | None, list[str]]:
    """The message (an untranslated msgid) and the fields to mark, from the redirect's query."""
    error = request.query.get("error", "")
    if error not in FIELD_ERRORS:
        return None, []
    fields = [f for f in request.query.get("fields", "").split(",") if f in _FORM_FIELDS]
    if error == "invalid-contact" and "phone" not in fields:
        return _BAD_EMAIL, fields
    if error == "invalid-input" and {"phone", "email"} <= set(fields):
        return _NEED_CONTACT, fields
    return FIELD_ERRORS[error], fields


def _form_context(request: web.Request, channel: Channel) -> dict[str, Any]:
    error, invalid = _refusal(request)
    return {
        "error": error,
        "invalid": invalid,
        "slug": channel.name,
        "title": channel.title or channel.name,
        "action": f"/forms/{channel.name}",
        # The no-JS fallback still gets an idempotency key; the script replaces it.
        "submission_token": str(uuid.uuid4()),
        "referrer": request.headers.get("Referer", "")[:2000],
        "utm": {key: request.query.get(key, "")[:300] for key in UTM_FIELDS},
    }


async def form_page(request: web.Request) -> web.Response:
    choice = page_locale(request)
    channel = await _channel(request)
    if channel is None:
        return _not_found(request, choice)
    pages = request.app[PAGES]
    context = _form_context(request, channel)
    context["config"] = {
        "action": context["action"],
        "slug": channel.name,
        "strings": pages.strings(choice.locale),
    }
    return pages.render("form.html", choice, context, csp=VISITOR_CSP)


async def thanks_page(request: web.Request) -> web.Response:
    choice = page_locale(request)
    channel = await _channel(request)
    if channel is None:
        return _not_found(request, choice)
    raw = request.query.get("n", "")
    number = int(raw) if raw.isdigit() and len(raw) < 19 else None
    return request.app[PAGES].render(
        "form_thanks.html",
        choice,
        {"slug": channel.name, "title": channel.title or channel.name, "number": number},
        csp=VISITOR_CSP,
    )


async def status_page(request: web.Request) -> web.Response:
    choice = page_locale(request)
    channel = await _channel(request)
    token = request.match_info["token"]
    status = await request_status(request.app[HUB], channel.name, token) if channel else None
    if channel is None or status is None:
        return _not_found(request, choice)
    return request.app[PAGES].render(
        "request_status.html",
        choice,
        {"slug": channel.name, "title": channel.title or channel.name, "status": status},
        csp=VISITOR_CSP,
    )


@cache
def _embed_source() -> str:
    return (STATIC_DIR / "form-embed.js").read_text(encoding="utf-8")


def _script_json(data: dict[str, Any]) -> str:
    # ASCII-only and no "<", so the value is safe wherever the host page puts the script.
    return json.dumps(data, ensure_ascii=True).replace("<", "\\u003c")


async def embed_script(request: web.Request) -> web.Response:
    choice = page_locale(request)
    channel = await _channel(request)
    if channel is None:
        return web.Response(
            status=404, text="/* no such form */", content_type="application/javascript"
        )
    base = public_base(request)
    config = {
        "slug": channel.name,
        "action": f"{base}/forms/{channel.name}",
        "statusBase": f"{base}/forms/{channel.name}/r/",
        "stylesheet": f"{base}{request.app[PAGES].asset_url('form-embed.css')}",
        "strings": request.app[PAGES].strings(choice.locale),
    }
    response = web.Response(
        text=_embed_source().replace(EMBED_CONFIG_MARK, _script_json(config), 1),
        content_type="application/javascript",
        charset="utf-8",
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def setup(app: web.Application) -> None:
    app.router.add_get(f"/forms/{SLUG}.js", embed_script)
    app.router.add_get(f"/forms/{SLUG}", form_page)
    app.router.add_get(f"/forms/{SLUG}/thanks", thanks_page)
    app.router.add_get(f"/forms/{SLUG}/r/{{token:[A-Za-z0-9_-]{{8,120}}}}", status_page)
