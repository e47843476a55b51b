"""Page rendering: one Jinja2 environment per locale, asset URLs and the security headers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .i18n import LocaleChoice, remember_locale
from .js_strings import js_strings

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"

# No inline script or style anywhere: config travels in JSON blocks and data- attributes.
STAFF_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Visitor pages may be framed by the company's own site.
VISITOR_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def _asset_versions() -> dict[str, str]:
    """Content hashes, so a changed script or stylesheet is never served stale from cache."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }


# A module's static imports of its siblings: `import … from "./x.js"`, `export … from
# "./x.js"`, `import "./x.js"` (the statement may span lines).
_STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;'"]*?(?:\bfrom\s*)?["']\./([\w.-]+\.js)["']""", re.M
)


def _module_graph(entry: str) -> list[str]:
    """Every module `entry` imports, directly or not, in the order first met (entry aside)."""
    found: list[str] = []
    pending = [entry]
    while pending:
        source = (STATIC_DIR / pending.pop(0)).read_text(encoding="utf-8")
        for name in _STATIC_IMPORT.findall(source):
            if name != entry and name not in found:
                found.append(name)
                pending.append(name)
    return found


class Pages:
    def __init__(self, translations: Mapping[str, Translations], secure_cookies: bool) -> None:
        self._translations = dict(translations)
        self._secure = secure_cookies
        self._versions = _asset_versions()
        self._preloads: dict[str, list[str]] = {}
        self._envs = {locale: self._environment(tr) for locale, tr in self._translations.items()}

    def _environment(self, translations: Translations) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        env.globals["asset"] = self.asset_url
        env.globals["module_preloads"] = self.module_preloads
        return env

    def asset_url(self, name: str) -> str:
        version = self._versions.get(name)
        if version is None:
            raise KeyError(f"no static asset {name!r}")
        return f"{STATIC_PREFIX}{name}?v={version}"

    def module_preloads(self, entry: str) -> list[str]:
        """The URLs of the modules a page's script imports, for `<link rel="modulepreload">`:
        the browser then fetches them all at once, instead of finding each level of imports
        only when the level above has arrived and been parsed (three round trips for the
        workspace, about 0.6 s of its first paint under load; README.md, «bench/
        workspace_paint.py»). The URLs are the ones the imports resolve to (no version), so
        the preloaded modules are the ones used. Read once per process: files do not change
        under it."""
        if entry not in self._preloads:
            self._preloads[entry] = [f"{STATIC_PREFIX}{name}" for name in _module_graph(entry)]
        return self._preloads[entry]

    def gettext(self, locale: str, message: str) -> str:
        return str(self._translations[locale].gettext(message))

    def strings(self, locale: str) -> dict[str, str]:
        return js_strings(self._translations[locale])

    def render_text(self, template: str, choice: LocaleChoice, context: Mapping[str, Any]) -> str:
        return (
            self._envs[choice.locale].get_template(template).render(lang=choice.locale, **context)
        )

    def render(
        self,
        template: str,
        choice: LocaleChoice,
        context: Mapping[str, Any],
        *,
        status: int = 200,
        csp: str = STAFF_CSP,
    ) -> web.Response:
        response = web.Response(
            text=self.render_text(template, choice, context),
            status=status,
            content_type="text/html",
            charset="utf-8",
        )
        security_headers(response, csp)
        remember_locale(response, choice, self._secure)
        return response


def security_headers(response: web.StreamResponse, csp: str) -> None:
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
