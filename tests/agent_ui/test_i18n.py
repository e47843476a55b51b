"""Every UI string is in both catalogs, and pages come in the language asked for."""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from agent_ui.i18n import LANG_COOKIE, SUPPORTED, catalog_path, from_accept_language
from agent_ui.js_strings import JS_STRINGS
from tests.agent_ui.conftest import Ui

PACKAGE = Path(__file__).resolve().parents[2] / "agent_ui"
STATIC = PACKAGE / "static"


def source_msgids() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords={"_": None, "N_": None, "gettext": None},
    )
    return {message for _file, _line, message, _comments, _context in found}


def test_every_msgid_is_translated_in_every_catalog() -> None:
    msgids = source_msgids()
    assert len(msgids) > 80  # templates and scripts were both scanned
    for locale in SUPPORTED:
        with catalog_path(locale).open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for msgid in msgids:
            entry = catalog.get(msgid)
            assert entry is not None, f"{locale}: {msgid!r} missing"
            assert entry.string and not entry.fuzzy, f"{locale}: {msgid!r} untranslated"
        placeholders = re.compile(r"\{\w+\}|%\(\w+\)s")
        for message in catalog:
            if message.id:
                assert sorted(placeholders.findall(str(message.id))) == sorted(
                    placeholders.findall(str(message.string))
                ), f"{locale}: placeholders differ in {message.id!r}"


def test_russian_is_really_russian() -> None:
    with catalog_path("ru").open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    cyrillic = re.compile("[а-яё]", re.IGNORECASE)
    # Brand and network names stay as they are; everything else is translated.
    kept = {"Telegram"}
    untranslated = [
        m.id for m in catalog if m.id and not cyrillic.search(m.string) and m.id not in kept
    ]
    assert untranslated == []


def test_every_key_the_scripts_use_has_a_string() -> None:
    used: set[str] = set()
    for script in STATIC.glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-zA-Z_.]+)"', script.read_text(encoding="utf-8")))
    prefixes = {key for key in used if key.endswith(".")}
    literal = used - prefixes
    assert literal <= set(JS_STRINGS), literal - set(JS_STRINGS)
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in JS_STRINGS), prefix


def test_accept_language_quality_is_honoured() -> None:
    assert from_accept_language("en-US,en;q=0.9,ru;q=0.8") == "en"
    assert from_accept_language("de-DE, ru;q=0.5, en;q=0.4") == "ru"
    assert from_accept_language("de, fr") is None
    assert from_accept_language("en;q=0, ru;q=0.1") == "ru"


async def test_ru_and_en_pages_differ_and_the_choice_sticks(sqlite_ui: Ui) -> None:
    browser = sqlite_ui.anonymous()
    async with browser.get(sqlite_ui.url("/login?lang=en")) as page:
        english = await page.text()
        assert page.cookies[LANG_COOKIE].value == "en"
    async with browser.get(sqlite_ui.url("/login")) as page:
        remembered = await page.text()
    async with browser.get(sqlite_ui.url("/login?lang=ru")) as page:
        russian = await page.text()
    assert '<html lang="en">' in english and ">Log in<" in english and "Войти" not in english
    assert '<html lang="ru">' in russian and ">Войти<" in russian and "Log in<" not in russian
    assert remembered == english.replace(csrf(english), csrf(remembered))


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


async def test_locale_order_cookie_then_user_then_accept_language(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")  # created with locale "ru"
    fresh = sqlite_ui.anonymous(headers={"Accept-Language": "en-GB,en;q=0.9"})
    async with fresh.get(sqlite_ui.url("/login")) as page:
        assert '<html lang="en">' in await page.text()
    default = sqlite_ui.anonymous()
    async with default.get(sqlite_ui.url("/login")) as page:
        assert '<html lang="ru">' in await page.text()  # settings.default_locale

    operator = await sqlite_ui.signed_in("ivanov")
    operator.headers.update({"Accept-Language": "en"})
    async with operator.get(sqlite_ui.url("/")) as page:
        html = await page.text()
    assert '<html lang="ru">' in html  # the user's own locale beats the browser's
    config = json.loads(re.search(r'id="okno-config">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert config["locale"] == "ru"
    assert config["strings"]["delivery.failed"] == "Не доставлено: {reason}"
    async with operator.get(sqlite_ui.url("/?lang=en")) as page:
        html = await page.text()
    assert '<html lang="en">' in html and "Not delivered: {reason}" in html
