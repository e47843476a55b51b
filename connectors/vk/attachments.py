"""VK message attachments (API 5.199 objects) -> Attachment values; nothing is dropped.

Types Okno knows get their own kind (photo, document, voice, sticker, video, audio); any other
(wall post, link, poll, gift...) is kept as a "file" naming its VK type, so an operator at
least sees that something was attached.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any

from connectors.base import Attachment

# VK photo size letters from small to large, for sizes that come without dimensions.
_SIZE_ORDER = "smxopqryzw"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _url(value: Any) -> str | None:
    """An address is a string; anything else VK might put there is no address."""
    return value if isinstance(value, str) and value else None


def _ref(kind: str, obj: Mapping[str, Any]) -> str | None:
    """VK's own attachment string (photo<owner>_<id>), usable in messages.send."""
    if "owner_id" in obj and "id" in obj:
        return f"{kind}{obj['owner_id']}_{obj['id']}"
    return None


def _largest(images: Any, kind_key: str | None = None) -> Mapping[str, Any] | None:
    if not isinstance(images, list):
        return None
    candidates = [i for i in images if isinstance(i, Mapping) and i.get("url")]
    if not candidates:
        return None

    def area(image: Mapping[str, Any]) -> tuple[int, int]:
        letter = str(image.get(kind_key, "")) if kind_key else ""
        rank = _SIZE_ORDER.index(letter) if letter and letter in _SIZE_ORDER else -1
        return _int(image.get("width")) * _int(image.get("height")), rank

    return max(candidates, key=area)


def _photo(photo: Mapping[str, Any]) -> Attachment:
    size = _largest(photo.get("sizes"), kind_key="type") or {}
    return Attachment(
        kind="photo",
        mime_type="image/jpeg",
        url=_url(size.get("url")),
        meta={
            "vk_type": "photo",
            "vk": _ref("photo", photo),
            "width": _int(size.get("width")) or None,
            "height": _int(size.get("height")) or None,
            "size_type": size.get("type"),
        },
    )


def _doc(doc: Mapping[str, Any]) -> Attachment:
    title = str(doc.get("title") or "")
    ext = str(doc.get("ext") or "")
    mime = mimetypes.guess_type(title)[0] or mimetypes.guess_type(f"file.{ext}")[0] or ""
    return Attachment(
        kind="document",
        name=title,
        mime_type=mime,
        size=_int(doc.get("size")) if "size" in doc else None,
        url=_url(doc.get("url")),
        meta={"vk_type": "doc", "vk": _ref("doc", doc), "ext": ext},
    )


def _audio_message(voice: Mapping[str, Any]) -> Attachment:
    ogg, mp3 = voice.get("link_ogg"), voice.get("link_mp3")
    meta: dict[str, Any] = {
        "vk_type": "audio_message",
        "vk": _ref("doc", voice),
        "duration": _int(voice.get("duration")),
        "link_ogg": ogg,
        "link_mp3": mp3,
    }
    if voice.get("transcript"):
        meta["transcript"] = voice["transcript"]
    return Attachment(
        kind="voice",
        mime_type="audio/ogg" if ogg else "audio/mpeg",
        url=_url(ogg) or _url(mp3),
        meta=meta,
    )


def _sticker(sticker: Mapping[str, Any]) -> Attachment:
    image = _largest(sticker.get("images")) or _largest(sticker.get("images_with_background"))
    return Attachment(
        kind="sticker",
        mime_type="image/png",
        url=_url((image or {}).get("url")),
        meta={
            "vk_type": "sticker",
            "product_id": sticker.get("product_id"),
            "sticker_id": sticker.get("sticker_id"),
        },
    )


def _video(video: Mapping[str, Any]) -> Attachment:
    ref = _ref("video", video)
    return Attachment(
        kind="video",
        name=str(video.get("title") or ""),
        url=f"https://vk.com/{ref}" if ref else None,
        meta={"vk_type": "video", "vk": ref, "duration": _int(video.get("duration"))},
    )


def _audio(audio: Mapping[str, Any]) -> Attachment:
    name = " — ".join(str(audio[k]) for k in ("artist", "title") if audio.get(k))
    return Attachment(
        kind="audio",
        name=name,
        mime_type="audio/mpeg",
        url=_url(audio.get("url")),
        meta={
            "vk_type": "audio",
            "vk": _ref("audio", audio),
            "duration": _int(audio.get("duration")),
        },
    )


def _graffiti(graffiti: Mapping[str, Any]) -> Attachment:
    return Attachment(
        kind="photo",
        mime_type="image/png",
        url=_url(graffiti.get("url")),
        meta={"vk_type": "graffiti", "vk": _ref("doc", graffiti)},
    )


def _link(link: Mapping[str, Any]) -> Attachment:
    return Attachment(
        kind="file",
        name=str(link.get("title") or link.get("url") or ""),
        url=_url(link.get("url")),
        meta={"vk_type": "link"},
    )


_CONVERTERS = {
    "photo": _photo,
    "doc": _doc,
    "audio_message": _audio_message,
    "sticker": _sticker,
    "video": _video,
    "audio": _audio,
    "graffiti": _graffiti,
    "link": _link,
}


def attachment_of(item: Mapping[str, Any]) -> Attachment:
    kind = str(item.get("type") or "unknown")
    body = item.get(kind)
    if not isinstance(body, Mapping):
        body = {}
    convert = _CONVERTERS.get(kind)
    if convert is not None:
        return convert(body)
    return Attachment(kind="file", name=kind, meta={"vk_type": kind, "vk": _ref(kind, body)})


def attachments_of(items: list[Any]) -> tuple[Attachment, ...]:
    """The parser has checked that `attachments` is a list (anything else is unreadable)."""
    return tuple(attachment_of(i) for i in items if isinstance(i, Mapping))


def location_of(geo: Any) -> Attachment | None:
    """The message's `geo` (a shared point) as a location attachment."""
    if not isinstance(geo, Mapping):
        return None
    coordinates = geo.get("coordinates")
    if not isinstance(coordinates, Mapping):
        return None
    place = geo.get("place")
    if not isinstance(place, Mapping):
        place = {}
    return Attachment(
        kind="location",
        name=str(place.get("title") or ""),
        meta={
            "vk_type": "geo",
            "latitude": coordinates.get("latitude"),
            "longitude": coordinates.get("longitude"),
        },
    )
