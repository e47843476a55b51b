"""Operator replies -> messages.send, exactly once per outbox row.

VK drops a second messages.send with a random_id it has seen from the same community, so the
random_id is derived from the outbox row: a retry after a timeout (VK may have sent it after
all) can never send the reply twice. Files are uploaded through VK's upload flow first.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import requests
from vk_api.exceptions import ApiError  # type: ignore[import-untyped]

from connectors.base import Attachment, Delivery, Outbound

from .client import VkClient

# VK's limit for one message's text, in characters.
MAX_TEXT = 4096
# Seconds to wait before retrying after these API errors.
RETRY_AFTER = {
    1: 10.0,  # unknown error
    5: 60.0,  # authorization failed: the token was revoked; retry once it is fixed
    6: 1.0,  # too many requests per second
    9: 60.0,  # flood control
    10: 5.0,  # internal server error
}
# The user has shut the community out: fail now and mark them unreachable.
BLOCKED_CODES = frozenset({900, 901, 902})
REMEMBERED_SENDS = 2000

BlockedHandler = Callable[[int, int, str], Awaitable[None]]


class BadAttachment(ValueError):
    """A file the hub handed over that cannot be sent (its bytes do not decode)."""


def random_id_for(outbox_id: int, part: int = 0) -> int:
    """A stable, non-zero 31-bit random_id for one message of one outbox row."""
    seed = f"okno-outbox-{outbox_id}" + (f"-{part}" if part else "")
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") & 0x7FFFFFFF
    return value or 1


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a line break or space where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return pieces


class Outbox:
    def __init__(self, client: VkClient, log: logging.Logger, on_blocked: BlockedHandler) -> None:
        self.client = client
        self.log = log
        self.on_blocked = on_blocked
        # random_ids this node put on the wire, so VK's echo of them can be recognised.
        self._sent: OrderedDict[int, int] = OrderedDict()

    def outbox_id_of(self, random_id: int) -> int | None:
        return self._sent.get(random_id)

    def _remember(self, random_id: int, outbox_id: int) -> None:
        self._sent[random_id] = outbox_id
        self._sent.move_to_end(random_id)
        while len(self._sent) > REMEMBERED_SENDS:
            self._sent.popitem(last=False)

    async def deliver(self, outbound: Outbound) -> Delivery:
        try:
            peer_id = int(outbound.recipient)
        except ValueError:
            return Delivery("failed", error=f"{outbound.recipient!r} is not a VK user id")
        try:
            return await self._send(outbound, peer_id)
        except ApiError as exc:
            return await self._api_error(exc, outbound, peer_id)
        except BadAttachment as exc:
            return Delivery("failed", error=str(exc))
        except requests.RequestException as exc:
            self.log.warning("vk: outbox %d: network error: %s", outbound.outbox_id, exc)
            return Delivery("retry", error=f"network error: {exc}")
        except Exception as exc:  # an HTTP 5xx (ApiHttpError), a body that is not JSON
            self.log.warning("vk: outbox %d: VK answered badly: %r", outbound.outbox_id, exc)
            return Delivery("retry", error=f"VK error: {exc}")

    async def _send(self, outbound: Outbound, peer_id: int) -> Delivery:
        text, refs = await asyncio.to_thread(self._attachments, outbound, peer_id)
        pieces = split_text(text)
        message_ids: list[int] = []
        for part, piece in enumerate(pieces):
            random_id = random_id_for(outbound.outbox_id, part)
            values: dict[str, object] = {
                "peer_id": peer_id,
                "random_id": random_id,
                "message": piece,
            }
            if refs and part == len(pieces) - 1:
                values["attachment"] = ",".join(refs)
            self._remember(random_id, outbound.outbox_id)
            sent = await asyncio.to_thread(self.client.call, "messages.send", **values)
            message_ids.append(int(sent))
        self.log.info("vk: outbox %d sent as message %s", outbound.outbox_id, message_ids)
        return Delivery("sent", external_id=str(message_ids[0]))

    def _attachments(self, outbound: Outbound, peer_id: int) -> tuple[str, list[str]]:
        """(text, VK attachment strings); files without bytes are sent as links. Blocks."""
        text, refs = outbound.text, []
        for attachment in outbound.attachments:
            data = _bytes_of(attachment)
            if data is None:
                if attachment.url:
                    text = f"{text}\n{attachment.url}" if text else attachment.url
                continue
            if attachment.kind == "photo" or attachment.mime_type.startswith("image/"):
                refs.append(self.client.upload_photo(data, attachment.name, peer_id))
            else:
                refs.append(self.client.upload_document(data, attachment.name, peer_id))
        return text, refs

    async def _api_error(self, exc: ApiError, outbound: Outbound, peer_id: int) -> Delivery:
        code = int(exc.code)
        message = str(exc.error.get("error_msg") or exc)
        self.log.warning("vk: outbox %d: API error %d: %s", outbound.outbox_id, code, message)
        if code in RETRY_AFTER:
            return Delivery("retry", error=f"[{code}] {message}", retry_after=RETRY_AFTER[code])
        if code in BLOCKED_CODES:
            await self.on_blocked(peer_id, outbound.outbox_id, message)
        return Delivery("failed", error=message)


def _bytes_of(attachment: Attachment) -> bytes | None:
    if attachment.content_b64 is None:
        return None
    try:
        return base64.b64decode(attachment.content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadAttachment(f"attachment {attachment.name!r} is not valid base64") from None
