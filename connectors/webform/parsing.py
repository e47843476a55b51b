"""From body bytes and Content-Type to a flat field dict: media type, charset, JSON or form.

Only two media types are accepted: `application/json` (what fetch() sends) and
`application/x-www-form-urlencoded` (a plain HTML <form>). Anything else, notably the
`text/plain` of navigator.sendBeacon, is refused with 415 rather than guessed at.
"""

from __future__ import annotations

import codecs
import json
from typing import Any
from urllib.parse import parse_qsl

from .rejection import Rejection

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# A form has about 16 fields; more is a bot or a mistake, and parsing stays cheap.
MAX_FORM_FIELDS = 100


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """`text/html; charset="utf-8"` -> ("text/html", {"charset": "utf-8"})."""
    media_type, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, raw = item.partition("=")
        if sep:
            params[key.strip().lower()] = raw.strip().strip('"').strip()
    return media_type.strip().lower(), params


def accepts_html(accept: str) -> bool:
    """Whether an Accept header asks for HTML, as a browser navigating after a form post does."""
    for item in accept.split(","):
        media_type, params = parse_content_type(item)
        if media_type in ("text/html", "application/xhtml+xml") and params.get("q") not in (
            "0",
            "0.0",
            "0.00",
            "0.000",
        ):
            return True
    return False


def codecs_name(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return charset


def _decode(body: bytes, charset: str) -> str:
    try:
        codecs.lookup(charset)
        return body.decode(charset)
    except LookupError:
        raise Rejection(
            415,
            "unsupported-charset",
            f"The charset {charset!r} is not supported.",
            {"charset": charset},
        ) from None
    except UnicodeDecodeError as exc:
        raise Rejection(
            400,
            "bad-encoding",
            f"The body is not valid {charset} (byte {exc.start}).",
            {"charset": charset},
        ) from None


def _parse_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Rejection(400, "malformed-json", f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise Rejection(400, "malformed-json", "The JSON body must be an object of form fields.")
    return data


def _parse_form(text: str, charset: str) -> dict[str, Any]:
    try:
        # Later duplicates win: the hidden "consent=0" + checkbox "consent=on" idiom.
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding=charset,
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError:
        raise Rejection(
            400,
            "bad-encoding",
            f"A percent-encoded value is not valid {charset}.",
            {"charset": charset},
        ) from None
    except ValueError:
        message = f"More than {MAX_FORM_FIELDS} form fields."
        raise Rejection(400, "too-many-fields", message) from None
    return dict(pairs)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    media_type, params = parse_content_type(content_type)
    if media_type == JSON:
        # RFC 8259 says UTF-8, but a sender that declares another charset means it;
        # utf-8-sig also accepts the BOM some Windows tools put in front.
        charset = params.get("charset") or "utf-8"
        if codecs_name(charset) == "utf-8":
            charset = "utf-8-sig"
        return _parse_json(_decode(body, charset))
    if media_type == FORM:
        # The body is ASCII with %XX escapes in this charset (HTML's form encoding), but
        # decoding it first also copes with senders that put raw 8-bit bytes in.
        charset = params.get("charset") or "utf-8"
        return _parse_form(_decode(body, charset), charset)
    raise Rejection(
        415,
        "unsupported-media-type",
        f"Send the form as {JSON} or {FORM}, not {media_type or 'a body without a type'}.",
        {"content_type": content_type, "accepted": [JSON, FORM]},
    )
