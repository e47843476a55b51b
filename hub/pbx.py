"""What the core reads about a PBX from its channel's options: operators' extensions and
whether attended transfers are set up. Plain functions over the models, shared by the call use
cases (hub.actions) and the host's PBX link (hub.host.telephony)."""

from __future__ import annotations

from hub.models import Channel, User


def extension_of(user: User, channel: Channel) -> str | None:
    """The operator's extension on this PBX: its own map first, else the user's profile
    (unless the map gives that extension to someone else)."""
    mapping: dict[str, str] = (channel.options or {}).get("extensions", {})
    for extension, login in mapping.items():
        if login == user.login:
            return extension
    if user.extension and user.extension not in mapping:
        return user.extension
    return None


def attended_transfers(channel: Channel) -> bool:
    """Whether the PBX is set up for attended transfers (the `attended_transfer` option)."""
    return bool((channel.options or {}).get("attended_transfer", True))
