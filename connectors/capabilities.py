"""What a connector may offer beyond receiving and sending: optional capabilities.

The hub asks a running connector what it can do (`isinstance(connector, CallControl)`) and
never imports a connector's package, so a second PBX or another file-hosting channel needs no
change in the hub. The protocols hold methods only, so a connector *class* can be asked too
(`issubclass(connector_class(kind), CallControl)`), before any instance of it runs.

Errors are part of the contract: a connector raises the types declared here (or subclasses of
them), and the hub maps them to answers without knowing which connector raised them.

Delivery reports need no capability: a connector that learns what became of a reply submits a
`DeliveryReport` like any other inbound item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .base import Attachment, Delivery

# -- file fetch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedFile:
    data: bytes
    mime_type: str = ""


class FileUnavailable(Exception):
    """The channel cannot hand over a file it hosts (expired, too large, not supported).

    `temporary` says whether asking again later may work (network trouble, rate limit).
    """

    def __init__(self, reason: str, temporary: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


@runtime_checkable
class FileFetch(Protocol):
    """A channel that keeps the files clients send and hands them over on request."""

    async def fetch_file(self, attachment: Attachment) -> FetchedFile:
        """The bytes of a file the channel hosts (`attachment.url`: a Telegram file_id, a VK
        URL), so operators open it through Okno; raises FileUnavailable."""
        ...


# -- call control -----------------------------------------------------------------------------


class CallControlError(Exception):
    """A call-control action failed; the subclasses say how, whatever the phone system."""


class CallControlUnavailable(CallControlError):
    """No live link to the phone system: this node has none, it dropped during the action,
    or no node holds one."""


class CallControlTimeout(CallControlError):
    """The phone system did not answer the action in time."""


class CallControlRefused(CallControlError):
    """The phone system answered the action with an error: `reason` is its own word for it,
    `reply` the whole answer."""

    def __init__(self, action: str, reason: str, reply: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{action} failed: {reason}")
        self.action = action
        self.reason = reason
        self.reply: dict[str, str] = dict(reply or {})


class CallNotLive(CallControlError, LookupError):
    """The phone system has no such call in progress (it ended, or this node never saw it)."""


@runtime_checkable
class CallControl(Protocol):
    """A connector that places and moves calls on a phone system (a PBX): click-to-call,
    transfers, queue pauses.

    Actions need the live link to the PBX, which only the node reading it holds (`link_up`).
    They raise the CallControlError family, and ValueError for an extension or a number the
    PBX cannot dial. Replies are the PBX's answers as plain key/value maps.
    """

    def link_up(self) -> bool:
        """Whether this node holds a live link to the PBX, so actions can be sent from here."""
        ...

    def action_timeout(self) -> float:
        """Seconds one action may take before the connector gives up on it."""
        ...

    async def originate(self, extension: str, number: str) -> Mapping[str, str]:
        """Click-to-call: ring the operator's phone, then dial `number` from it."""
        ...

    async def transfer(
        self,
        call_id: str,
        target: str,
        *,
        attended: bool = False,
        operator_extension: str | None = None,
    ) -> Mapping[str, str]:
        """Move call `call_id` (CallEvent.call_id) to `target`: blind, or attended from the
        operator's phone (they talk to `target` first)."""
        ...

    async def pause(
        self, extension: str, paused: bool, *, queue: str | None = None, reason: str | None = None
    ) -> Sequence[Mapping[str, str]]:
        """(Un)pause the operator in the PBX's queues (all of them, or `queue`)."""
        ...

    def queue_pause_states(self, extension: str) -> Sequence[bool]:
        """Whether the operator is paused, for each queue the PBX lists them in (empty when
        it lists them in none, or has not said yet)."""
        ...


# -- messages to staff ------------------------------------------------------------------------


@runtime_checkable
class StaffMessaging(Protocol):
    """A channel that can also write to the company's own people (a robot's notice by
    e-mail through the mailbox's SMTP, by Telegram through the bot), not only to clients."""

    async def send_to_staff(self, address: str, subject: str, text: str) -> Delivery:
        """Send `text` to `address` (an e-mail address, a Telegram chat id); the Delivery
        says sent, retry (with the reason) or failed for good."""
        ...
