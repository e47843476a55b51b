"""Translations: Babel .po catalogs compiled in memory at start-up, and the page's locale.

No .mo files are kept in the tree; the .po files are the single source, so an edited
catalog takes effect on the next start without a build step.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

CATALOG_DIR = Path(__file__).parent / "i18n"
DOMAIN = "messages"
SUPPORTED = ("ru", "en")
LANG_COOKIE = "okno_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated later, where the locale is known."""
    return message


def catalog_path(locale: str) -> Path:
    return CATALOG_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(locale: str) -> Translations:
    with catalog_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.cache
def load_translations() -> dict[str, Translations]:
    """The catalogs, compiled once per process (they are files of the installed release)."""
    return {locale: compile_catalog(locale) for locale in SUPPORTED}


def _supported(value: str | None) -> str | None:
    if not value:
        return None
    base = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base in SUPPORTED else None


def from_accept_language(header: str) -> str | None:
    """The best supported language of an Accept-Language header, honouring q-values."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        locale = _supported(tag)
        if locale is not None and quality > 0:
            choices.append((-quality, position, locale))
    return min(choices)[2] if choices else None


@dataclass(frozen=True)
class LocaleChoice:
    locale: str
    # Set when ?lang= picked it: the response stores it in a cookie.
    remember: bool = False


def negotiate(request: web.Request, user_locale: str | None, default: str) -> LocaleChoice:
    """?lang= (remembered in a cookie) > the user's own > Accept-Language > the default."""
    asked = _supported(request.query.get("lang"))
    if asked is not None:
        return LocaleChoice(asked, remember=True)
    for candidate in (
        _supported(request.cookies.get(LANG_COOKIE)),
        _supported(user_locale),
        from_accept_language(request.headers.get("Accept-Language", "")),
        _supported(default),
    ):
        if candidate is not None:
            return LocaleChoice(candidate)
    return LocaleChoice(SUPPORTED[0])


def remember_locale(response: web.StreamResponse, choice: LocaleChoice, secure: bool) -> None:
    if choice.remember:
        response.set_cookie(
            LANG_COOKIE,
            choice.locale,
            max_age=LANG_COOKIE_MAX_AGE,
            path="/",
            samesite="Lax",
            secure=secure,
        )
