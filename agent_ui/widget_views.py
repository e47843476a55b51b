"""The website chat widget's pages.

GET /widget/{name}.js     the one-line embed: <script src="OKNO/widget/NAME.js" async></script>
GET /widget/{name}/ws     the visitor's socket (widget_socket.py)
GET /widget/{name}/demo   a page that embeds the widget with that one line (for trying it)
"""

from __future__ import annotations

from functools import cache

from aiohttp import web

from hub.host.appkeys import HUB

from .context import page_locale
from .js_strings import JS_STRINGS
from .keys import PAGES
from .pages import STATIC_DIR, VISITOR_CSP
from .views_forms import EMBED_CONFIG_MARK, _script_json, public_base
from .widget_data import widget_channel
from .widget_socket import widget_socket

NAME = "{name:[A-Za-z0-9_-]{1,100}}"
# The widget's strings only: the host page downloads them with every script load.
WIDGET_KEYS = tuple(key for key in JS_STRINGS if key.startswith("widget."))


@cache
def _widget_source() -> str:
    return (STATIC_DIR / "widget.js").read_text(encoding="utf-8")


def _javascript(text: str, status: int = 200) -> web.Response:
    response = web.Response(
        text=text, status=status, content_type="application/javascript", charset="utf-8"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def embed_script(request: web.Request) -> web.Response:
    choice = page_locale(request)
    name = request.match_info["name"]
    channel = await widget_channel(request.app[HUB], name)
    if channel is None:
        return _javascript("/* no such chat widget */", status=404)
    pages = request.app[PAGES]
    base = public_base(request)
    strings = pages.strings(choice.locale)
    config = {
        "name": channel.name,
        "ws": ("wss:" if base.startswith("https:") else "ws:")
        + base.split(":", 1)[1]
        + f"/widget/{channel.name}/ws",
        "stylesheet": f"{base}{pages.asset_url('widget.css')}",
        # Per Okno address and channel, so two widgets on one site keep separate visitors.
        "storageKey": f"okno-widget:{base}:{channel.name}",
        "lang": choice.locale,
        "strings": {key: strings[key] for key in WIDGET_KEYS},
    }
    response = _javascript(_widget_source().replace(EMBED_CONFIG_MARK, _script_json(config), 1))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


async def demo_page(request: web.Request) -> web.Response:
    choice = page_locale(request)
    channel = await widget_channel(request.app[HUB], request.match_info["name"])
    pages = request.app[PAGES]
    if channel is None:
        return pages.render("visitor_missing.html", choice, {}, status=404, csp=VISITOR_CSP)
    context = {
        "title": channel.title or channel.name,
        "script": f"{public_base(request)}/widget/{channel.name}.js",
    }
    return pages.render("widget_demo.html", choice, context, csp=VISITOR_CSP)


def setup(app: web.Application) -> None:
    app.router.add_get(f"/widget/{NAME}.js", embed_script)
    app.router.add_get(f"/widget/{NAME}/ws", widget_socket)
    app.router.add_get(f"/widget/{NAME}/demo", demo_page)
