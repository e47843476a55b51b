"""How files cross the API boundary: safe download headers, clean names, upload tokens.

A file is always served as a download (`Content-Disposition: attachment`), under a type a
browser will not run: anything that could carry script (HTML, SVG, XML) goes out as
application/octet-stream, with nosniff and a sandboxing CSP as a second fence.

An upload is answered with a signed token naming the stored file, its name and the
uploader; a reply accepts only such tokens, so nobody attaches a file they never held.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from hub.actions.files import OCTET_STREAM, clean_mime
from hub.policy import DomainError

UPLOAD_TOKEN_TTL_S = 24 * 3600
BAD_MULTIPART = "A part's headers or framing could not be read (bad-multipart)."
MAX_NAME = 200
_ACTIVE = ("html", "xml", "svg", "script", "xsl")
_PASSIVE = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/msword",
        "application/rtf",
        "text/plain",
        "text/csv",
    }
)
_PASSIVE_PREFIXES = ("image/", "audio/", "video/", "application/vnd.")
FILE_CSP = "sandbox; default-src 'none'"


@contextlib.contextmanager
def readable_multipart() -> Iterator[None]:
    """Reading a multipart body: a malformed part (a header aiohttp refuses, a broken
    boundary, undecodable text) is the sender's mistake, answered 422, not a server error."""
    try:
        yield
    except (HttpProcessingError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise DomainError("bad-multipart", 422, BAD_MULTIPART) from exc


def served_type(mime_type: str | None) -> str:
    """The Content-Type to serve: the file's own when passive, else octet-stream."""
    mime = clean_mime(mime_type)
    if any(marker in mime for marker in _ACTIVE):
        return OCTET_STREAM
    if mime in _PASSIVE or mime.startswith(_PASSIVE_PREFIXES):
        return mime
    return OCTET_STREAM


def clean_name(raw: str | None) -> str:
    """A file name without directories or control characters, of sane length."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name
        name = name[:MAX_NAME]
    return name


def _ascii_fallback(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in plain).strip("_ .")
    if not plain or plain.startswith("."):
        ext = name.rpartition(".")[2] if "." in name else ""
        safe_ext = "".join(ch for ch in ext if ch.isascii() and ch.isalnum())
        plain = "file" + (f".{safe_ext}" if safe_ext else "")
    return plain


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the real name per RFC 5987 (UTF-8)."""
    name = clean_name(name) or "file"
    fallback = _ascii_fallback(name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(data: bytes, mime_type: str, name: str) -> web.Response:
    return web.Response(
        body=data,
        content_type=served_type(mime_type),
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_CSP,
            "Cross-Origin-Resource-Policy": "same-origin",
            "Cache-Control": "private, max-age=3600",
        },
    )


@dataclass(frozen=True)
class Upload:
    file_id: int
    user_id: int
    name: str
    mime_type: str
    size: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, body: str) -> str:
    mac = hmac.new(secret.encode(), b"okno-upload:" + body.encode(), hashlib.sha256)
    return _b64(mac.digest())


def upload_token(secret: str, upload: Upload, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + UPLOAD_TOKEN_TTL_S)
    fields = [upload.file_id, upload.user_id, upload.name, upload.mime_type, upload.size, expires]
    body = _b64(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{body}.{_signature(secret, body)}"


def read_upload_token(secret: str, token: str, now: float | None = None) -> Upload | None:
    """The upload a token names, or None if it is forged, garbled or expired."""
    body, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(secret, body).encode()):
        return None
    try:
        file_id, user_id, name, mime, size, expires = json.loads(_unb64(body))
    except (ValueError, TypeError, binascii.Error):
        return None
    if expires < (now if now is not None else time.time()):
        return None
    return Upload(int(file_id), int(user_id), str(name), str(mime), int(size))


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {}}}


def _binary(summary: str) -> dict[str, Any]:
    return {
        "tags": ["files"],
        "summary": summary,
        "x-okno-role": "operator",
        "responses": {
            "200": {
                "description": "The bytes, as a download (Content-Disposition: attachment).",
                "content": {"application/octet-stream": {}},
            },
            "401": _error("Not logged in (not-authenticated)."),
            "403": _error("Not a conversation the caller works on."),
            "404": _error("No such file or attachment."),
        },
    }


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


# The file endpoints speak multipart and bytes, so they are described here by hand.
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/files": {
        "post": {
            "tags": ["files"],
            "summary": "Upload a file (multipart field `file`) to attach to a reply",
            "x-okno-role": "operator",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                            "required": ["file"],
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "Stored; `id` goes into a reply's `attachments`.",
                    "content": {"application/json": {}},
                },
                "401": _error("Not logged in (not-authenticated)."),
                "403": _error("Role too low or missing CSRF header."),
                "413": _error("Larger than OKNO_MAX_UPLOAD_BYTES (file-too-large)."),
                "415": _error("Not multipart/form-data (not-multipart)."),
                "422": _error("No file field, an empty file, or a malformed body (bad-multipart)."),
            },
        }
    },
    "/api/v1/files/{id}": {
        "get": {**_binary("Download a stored file"), "parameters": [_path_id("id")]}
    },
    "/api/v1/messages/{id}/attachments/{n}": {
        "get": {
            **_binary("Download a message's attachment (fetched from the channel once)"),
            "parameters": [_path_id("id"), _path_id("n")],
        }
    },
}
