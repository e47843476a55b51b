"""vk_api objects for one channel. vk_api is synchronous (requests): everything here blocks,
so the connector calls it only through `asyncio.to_thread`.

VK's method address is fixed in vk_api (https://api.vk.ru/method/...); `VkSession` rewrites
it to the channel's `api_base` when one is set, which is how tests point vk_api at a local
server speaking VK's wire format.
"""

from __future__ import annotations

import io
from typing import Any

import requests
import vk_api  # type: ignore[import-untyped]
from jconfig import MemoryConfig  # type: ignore[import-untyped]
from vk_api.bot_longpoll import VkBotLongPoll  # type: ignore[import-untyped]
from vk_api.upload import VkUpload  # type: ignore[import-untyped]

from .options import VkOptions

VK_METHOD_PREFIX = "https://api.vk.ru/method/"
# vk_api sets no timeout on method calls; a hung connection must not hold a thread (and the
# client's lock, which serialises its calls) for long. Uploads get longer; long polls `wait`+10.
DEFAULT_TIMEOUT_S = 15.0


class VkSession(requests.Session):
    def __init__(self, api_base: str | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__()
        self.api_base = api_base
        self.timeout_s = timeout_s
        self.headers["User-Agent"] = "Okno (vk_api)"

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if self.api_base and isinstance(url, str) and url.startswith(VK_METHOD_PREFIX):
            url = self.api_base + url[len(VK_METHOD_PREFIX) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_s
        return super().request(method, url, *args, **kwargs)


class GroupApi(vk_api.VkApiGroup):  # type: ignore[misc]
    """A community-token client. vk_api's own answer to error 6 is to sleep and call again,
    recursively and without end; Okno instead reports it, and the outbox retries later."""

    def too_many_rps_handler(self, error: Exception) -> None:
        raise error


class FileTooLarge(ValueError):
    """A hosted file exceeds what the connector agrees to fetch."""


class LongPollError(RuntimeError):
    """The long-poll server answered something Okno cannot continue from."""


class BotLongPoll(VkBotLongPoll):  # type: ignore[misc]
    """VkBotLongPoll whose `check()` returns the raw updates and says what failed.

    The stock `check()` builds event objects inside the call, after it has moved `ts` on,
    so one malformed update fails the whole batch again on every retry; and it returns an
    empty list for an unknown `failed` code, which would spin. Here each update is handed
    back raw (Okno parses and, if need be, skips it) and anything unexpected raises.
    """

    ts: Any  # set by VkBotLongPoll from groups.getLongPollServer, then by each answer
    last_failed: int | None = None

    def check(self) -> list[Any]:
        values = {"act": "a_check", "key": self.key, "ts": self.ts, "wait": self.wait}
        response = self.session.get(self.url, params=values, timeout=self.wait + 10)
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, dict):
            raise LongPollError(f"not a long-poll answer: {answer!r:.200}")
        failed = answer.get("failed")
        self.last_failed = failed
        if failed is None:
            updates, ts = answer.get("updates"), answer.get("ts")
            if not isinstance(updates, list) or ts is None:
                raise LongPollError(f"no updates or ts in {answer!r:.200}")
            self.ts = ts
            return updates
        if failed == 1 and answer.get("ts") is not None:
            self.ts = answer["ts"]  # history is out of date: go on from the newest ts
        elif failed == 2:
            self.update_longpoll_server(update_ts=False)  # key expired: keep our ts
        elif failed == 3:
            self.update_longpoll_server()  # information lost: new key and ts
        else:
            raise LongPollError(f"long poll failed: {answer!r:.200}")
        return []


class VkClient:
    """The blocking API surface the connector uses."""

    def __init__(self, options: VkOptions) -> None:
        self.options = options
        self.api = GroupApi(
            token=options.access_token,
            api_version=options.api_version,
            session=VkSession(options.api_base),
            config=MemoryConfig,  # vk_api would otherwise write vk_config.v2.json to the cwd
        )

    def call(self, method: str, **values: Any) -> Any:
        return self.api.method(method, values)

    def longpoll(self) -> BotLongPoll:
        """Asks groups.getLongPollServer (so: blocks) and returns the poller."""
        poller = BotLongPoll(self.api, self.options.group_id, wait=self.options.wait)
        # The poll request must outlive the server's wait; the session adds no other timeout.
        poller.session = VkSession(self.options.api_base, timeout_s=self.options.wait + 10)
        return poller

    def upload_photo(self, data: bytes, name: str, peer_id: int) -> str:
        saved = self._uploader().photo_messages(_named(data, name or "photo.jpg"), peer_id)
        photo = saved[0]
        ref = f"photo{photo['owner_id']}_{photo['id']}"
        return f"{ref}_{photo['access_key']}" if photo.get("access_key") else ref

    def upload_document(self, data: bytes, name: str, peer_id: int) -> str:
        saved = self._uploader().document_message(
            _named(data, name or "file"), title=name or None, peer_id=peer_id
        )
        doc = saved.get(saved.get("type") or "doc") or saved.get("doc") or saved
        return f"doc{doc['owner_id']}_{doc['id']}"

    def download(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """(bytes, Content-Type) of a file VK hosts (a photo, a document, a voice message).

        Read in chunks so a file over `max_bytes` is refused without holding it whole."""
        with VkSession(self.options.api_base, timeout_s=60.0) as session:
            with session.get(url, stream=True, allow_redirects=True) as response:
                response.raise_for_status()
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(f"the file is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("Content-Type", "")

    def _uploader(self) -> VkUpload:
        upload = VkUpload(self.api)
        upload.http = VkSession(self.options.api_base, timeout_s=120.0)
        return upload


def _named(data: bytes, name: str) -> io.BytesIO:
    # vk_api derives the uploaded file's extension from the object's name.
    stream = io.BytesIO(data)
    stream.name = name
    return stream
