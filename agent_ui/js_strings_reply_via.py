"""Strings of replying through another channel of the same client (#15, item 7): the reply
box's channel choice, why a channel is not offered, and the refusals of the API."""

from __future__ import annotations

from .i18n import N_

REPLY_VIA_JS_STRINGS: dict[str, str] = {
    "replyVia.own": N_("{channel} (this conversation)"),
    "replyVia.to": N_("{channel}, to {address}"),
    "replyVia.refused": N_("{label} (unavailable: {reason})"),
    "replyVia.reason.no-outbound": N_("cannot send messages"),
    "replyVia.reason.own-chat-only": N_("only in the visitor's own chat"),
    "replyVia.reason.never-wrote": N_("the client never wrote here"),
    "replyVia.reason.unreachable": N_("the client blocked us"),
    "replyVia.reason.unreachableBecause": N_("the client blocked us: {detail}"),
    "message.via": N_("Through {channel}"),
    "error.reply-via-no-identity": N_("The client has no address in this channel."),
    "error.reply-via-no-outbound": N_(
        "This channel cannot send the client a message; choose another one."
    ),
    "error.reply-via-own-chat-only": N_(
        "A website chat reaches the visitor only in their own chat; answer there."
    ),
    "error.reply-via-never-wrote": N_(
        "The client has never written to this bot or community, and it may not write first."
    ),
    "error.reply-via-unreachable": N_("The client has blocked us in this channel."),
}
