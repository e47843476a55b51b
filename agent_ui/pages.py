"""Page rendering: one Jinja2 environment per locale, asset URLs and the security headers."""

from __future__ import annotations

import hashlib
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


class Pages:
    def __init__(self, translations: Mapping[str, Translations], secure_cookies: bool) -> None:
        self._translations = dict(translations)
        self._secure = secure_cookies
        self._versions = _asset_versions()
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
        return env

    def asset_url(self, name: str) -> str:
        version = self._versions.get(name)
        if version is None:
            raise KeyError(f"no static asset {name!r}")
        return f"{STATIC_PREFIX}{name}?v={version}"

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
