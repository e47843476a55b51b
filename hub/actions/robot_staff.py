"""A robot's notices to people by e-mail or Telegram: queued beside the live notice, in the
same transaction as the firing's step, so a retried firing never queues them twice (and the
unique key (firing, person, medium) would refuse it anyway); sent by the hosts' worker
(`hub.host.staff_messages`) through the channel the rule names, retried with backoff.

The address is the person's own: `User.email` for e-mail, `User.telegram_chat_id` (his chat
with the company's bot) for Telegram. A person without one is named in the action's result
("no_address"); the live notice reached him all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update

from hub.core import Hub
from hub.models import Channel, StaffMessage, User
from hub.policy import RobotActor
from hub.queries.activities import among

from .robot_flags import FiringRef, chunks
from .uow import UnitOfWork, unit_of_work

# (medium, the notify action's field naming the channel)
MEDIA = (("email", "email_channel_id"), ("telegram", "telegram_channel_id"))
# While a node sends a message, other nodes leave it alone this long.
SEND_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
BASE_DELAY_S = 30.0


def wants_staff_messages(action: Mapping[str, Any]) -> bool:
    return any(action.get(field) for _, field in MEDIA)


# The heading in the recipient's language (`User.locale`): the robot's name, and for an
# e-mail's subject what it says too, on one line (a Telegram message carries the text right
# below its heading). Two locales, as the interface has; the core keeps no catalogs of its own.
HEADINGS = {"ru": "Робот «{name}»", "en": "Robot “{name}”"}
SUBJECT_MAX = 300


def subject(locale: str, medium: str, robot: str, text: str) -> str:
    heading = HEADINGS.get(locale, HEADINGS["ru"]).format(name=robot)
    filled = f"{heading}: {' '.join(text.split())}" if medium == "email" else heading
    return filled if len(filled) <= SUBJECT_MAX else filled[: SUBJECT_MAX - 1] + "…"


@dataclass(frozen=True)
class _Person:
    email: str
    telegram: str
    locale: str

    def address(self, medium: str) -> str:
        return self.email if medium == "email" else self.telegram


async def _addresses(uow: UnitOfWork, user_ids: Iterable[int]) -> dict[int, _Person]:
    """Each active person's e-mail, Telegram chat ("" where he has none) and language."""
    found: dict[int, _Person] = {}
    for part in chunks(sorted(set(user_ids))):
        rows = await uow.session.execute(
            select(User.id, User.email, User.telegram_chat_id, User.locale).where(
                among(User.id, part, uow.hub.db.dialect), User.is_active.is_(True)
            )
        )
        for uid, email, chat, locale in rows.all():
            found[uid] = _Person(email or "", chat or "", locale or "ru")
    return found


async def plan(
    uow: UnitOfWork,
    actor: RobotActor,
    items: Sequence[tuple[FiringRef, Mapping[str, Any], Iterable[int]]],
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """The rows of the e-mails and Telegram messages of these notices (`items`: the firing,
    its notify action with the text filled, the people it went to), not written yet, and
    per firing that asked for any, whom each medium is for and who has no address there."""
    wanted = [(f, a, sorted(set(users))) for f, a, users in items if wants_staff_messages(a)]
    if not wanted:
        return [], {}
    addresses = await _addresses(uow, (u for _, _, users in wanted for u in users))
    now = uow.now()
    rows: list[dict[str, Any]] = []
    results: dict[int, dict[str, Any]] = {}
    for firing, action, users in wanted:
        result: dict[str, Any] = {}
        for medium, field in MEDIA:
            channel_id = action.get(field)
            if not channel_id:
                continue
            queued, missing = [], []
            for user_id in users:
                person = addresses.get(user_id)
                address = person.address(medium) if person else ""
                if person is None or not address:
                    missing.append(user_id)
                    continue
                queued.append(user_id)
                rows.append(
                    {
                        "firing_id": firing.id,
                        "user_id": user_id,
                        "medium": medium,
                        "channel_id": int(channel_id),
                        "address": address,
                        "subject": subject(person.locale, medium, actor.name, str(action["text"])),
                        "text": str(action["text"]),
                        "status": "queued",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
            result[medium] = {"queued": queued, "no_address": missing}
        results[firing.id] = result
    return rows, results


async def insert_rows(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        # One multi-row INSERT for the batch (a scan may notify about thousands at once).
        await uow.session.execute(insert(cast("Table", StaffMessage.__table__)), list(rows))


async def queue(
    uow: UnitOfWork,
    actor: RobotActor,
    items: Sequence[tuple[FiringRef, Mapping[str, Any], Iterable[int]]],
) -> dict[int, dict[str, Any]]:
    """Queue the e-mails and Telegram messages of these notices (see `plan`); returns, per
    firing that asked for any, whom each medium was queued for and who has no address."""
    rows, results = await plan(uow, actor, items)
    await insert_rows(uow, rows)
    return results


@dataclass(frozen=True)
class ClaimedStaffMessage:
    id: int
    medium: str
    channel_kind: str
    channel_name: str
    address: str
    subject: str
    text: str
    attempts: int


async def due_ids(hub: Hub, limit: int = 50) -> list[int]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(StaffMessage.id)
            .where(StaffMessage.status == "queued", StaffMessage.next_attempt_at <= hub.clock())
            .order_by(StaffMessage.next_attempt_at, StaffMessage.id)
            .limit(limit)
        )
        return list(rows.scalars())


async def claim(hub: Hub, message_id: int) -> ClaimedStaffMessage | None:
    """Take the message for one attempt (another node may have taken it: None)."""
    now = hub.clock()
    async with hub.db.sessions() as session, session.begin():
        taken = (
            await session.execute(
                update(StaffMessage)
                .where(
                    StaffMessage.id == message_id,
                    StaffMessage.status == "queued",
                    StaffMessage.next_attempt_at <= now,
                )
                .values(attempts=StaffMessage.attempts + 1, next_attempt_at=now + SEND_LEASE)
                .returning(StaffMessage)
            )
        ).scalar_one_or_none()
        if taken is None:
            return None
        channel = await session.get_one(Channel, taken.channel_id)
        return ClaimedStaffMessage(
            id=taken.id,
            medium=taken.medium,
            channel_kind=channel.kind,
            channel_name=channel.name,
            address=taken.address,
            subject=taken.subject,
            text=taken.text,
            attempts=taken.attempts,
        )


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 6 h."""
    return timedelta(seconds=min(BASE_DELAY_S * 2 ** max(attempts - 1, 0), 6 * 3600))


async def record(
    hub: Hub,
    claimed: ClaimedStaffMessage,
    status: str,
    error: str | None = None,
    retry_after_s: float | None = None,
) -> None:
    """What the attempt came to: sent, failed for good, or retried (until MAX_ATTEMPTS)."""
    async with unit_of_work(hub) as uow:
        message = await uow.session.get(StaffMessage, claimed.id)
        if message is None or message.status != "queued":
            return
        now: datetime = uow.now()
        message.last_error = error
        if status == "sent":
            message.status = "sent"
            message.sent_at = now
            message.next_attempt_at = None
        elif status == "failed" or claimed.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
            message.next_attempt_at = None
        else:
            delay = backoff(claimed.attempts)
            if retry_after_s is not None:
                delay = max(delay, timedelta(seconds=retry_after_s))
            message.next_attempt_at = now + delay
