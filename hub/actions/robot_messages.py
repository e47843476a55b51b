"""A robot's message to the client: a reply template, filled for the conversation and sent
through its channel as a reply by the robot (`messages.queue_robot_reply`, then the outbox).

Refused cleanly (a `DomainError` the firing keeps as the action's result) when there is no
conversation to write in, the channel is off or cannot send at all (a phone line), the
client blocked us there, or the template is gone. Sent at most once per conversation per
rule: an earlier message of the rule in that conversation makes this one a no-op. Outside
the team's working hours (`working_hours`) it waits: `NotYet` leaves the firing pending
until the next opening.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connectors.base import BaseConnector
from connectors.registry import ChannelConfigError, connector_class
from hub.models import (
    Channel,
    Conversation,
    Direction,
    Identity,
    Message,
    ReplyTemplate,
    Team,
    TemplateScope,
    User,
)
from hub.policy import DomainError, RobotActor
from hub.queries.reply_channels import RECIPIENT_IDENTITY
from hub.queries.reply_templates import conversation_values
from hub.reply_text import TemplateTextError, render
from hub.worktime import COMPANY_HOURS, load_calendar, next_opening

from . import conversations, messages
from .uow import UnitOfWork


class NotYet(Exception):
    """The action may not run now; the firing waits, untouched, until `until`."""

    def __init__(self, until: datetime, why: str) -> None:
        super().__init__(why)
        self.until = until
        self.why = why


def _can_send(kind: str) -> bool:
    """Whether the channel's connector sends at all (a phone line carries no text)."""
    try:
        return connector_class(kind).send is not BaseConnector.send
    except ChannelConfigError:
        return False


async def _earlier(uow: UnitOfWork, conversation_id: int, rule_id: int) -> int | None:
    """The id of a message this rule already sent in the conversation, if any."""
    rows = await uow.session.execute(
        select(Message.id, Message.meta).where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.outbound,
            Message.author_user_id.is_(None),
        )
    )
    for message_id, meta in rows.all():
        robot = (meta or {}).get("robot")
        if isinstance(robot, dict) and robot.get("id") == rule_id:
            return int(message_id)
    return None


async def _unreachable(uow: UnitOfWork, conversation: Conversation, kind: str) -> str | None:
    identity_kind = RECIPIENT_IDENTITY.get(kind)
    if identity_kind is None:
        return None
    rows = await uow.session.execute(
        select(Identity.unreachable_reason)
        .where(Identity.contact_id == conversation.contact_id, Identity.kind == identity_kind)
        .order_by(Identity.id)
    )
    reasons = list(rows.scalars())
    # Blocked only when every address of that kind is.
    if reasons and all(reasons):
        return str(reasons[0])
    return None


async def _wait_for_hours(uow: UnitOfWork, conversation: Conversation) -> None:
    hours: dict[str, Any] | None = COMPANY_HOURS
    if conversation.team_id is not None:
        team = await uow.session.get(Team, conversation.team_id)
        hours = team.business_hours if team is not None else COMPANY_HOURS
    now = uow.now()
    opens = next_opening(hours, await load_calendar(uow.session), now)
    if opens is None:
        raise DomainError("no-working-hours", 409, "The team has no working hours ahead.")
    if opens > now:
        raise NotYet(opens, "outside working hours")


async def send_template(
    uow: UnitOfWork, actor: RobotActor, conversation_id: int | None, action: Mapping[str, Any]
) -> dict[str, Any]:
    """Send the action's template in the conversation; returns the message's id."""
    if conversation_id is None:
        raise DomainError("no-conversation", 409, "There is no conversation to write in.")
    conversation = await conversations.locked(uow, conversation_id)
    earlier = await _earlier(uow, conversation.id, actor.robot_id)
    if earlier is not None:
        return {"skipped": "sent-before", "message_id": earlier}
    channel = await uow.session.get_one(Channel, conversation.channel_id)
    details = {"channel_id": channel.id, "kind": channel.kind}
    if not channel.enabled:
        raise DomainError("channel-disabled", 409, "The conversation's channel is off.", details)
    if not _can_send(channel.kind):
        raise DomainError(
            "channel-cannot-send", 409, "The conversation's channel cannot send messages.", details
        )
    blocked = await _unreachable(uow, conversation, channel.kind)
    if blocked is not None:
        raise DomainError(
            "client-unreachable", 409, "The client blocked us in this channel.", details
        )
    template = await uow.session.get(ReplyTemplate, int(action["template_id"]))
    if template is None or template.scope is TemplateScope.personal:
        raise DomainError(
            "no-such-template", 404, "There is no such template.", {"id": action["template_id"]}
        )
    if action.get("working_hours", True):
        await _wait_for_hours(uow, conversation)
    # The client sees the name of the operator holding his conversation, if anyone does.
    holder = (
        await uow.session.get(User, conversation.assignee_id) if conversation.assignee_id else None
    )
    values = await conversation_values(
        uow.session, conversation, uow.hub.settings, holder.name if holder else ""
    )
    try:
        text = render(template.body, values)
    except TemplateTextError as exc:
        raise DomainError(
            "template-unrenderable", 422, exc.detail, {"id": template.id, "reason": exc.reason}
        ) from None
    if not text.strip():
        raise DomainError("template-empty", 422, "The template renders to nothing.")
    message, item = await messages.queue_robot_reply(
        uow, conversation, {"id": actor.robot_id, "name": actor.name}, text
    )
    return {"message_id": message.id, "outbox_id": item.id, "template_id": template.id}
