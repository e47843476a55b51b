"""Writing calls: the call record, the operator's on-call flag, the call's line in the
client's history, callback tasks for missed calls, and the events the workspace shows.

Routing (`routing.calls`) decides what a PBX event means; these steps record it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from hub.events import (
    STAFF_ROLES,
    Audience,
    CallChanged,
    CallRinging,
    MessageCreated,
    conversation_audience,
)
from hub.models import (
    Activity,
    Call,
    CallDirection,
    CallOutcome,
    Contact,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    User,
)
from hub.serialize import call_json, message_json

from . import activity_writes, conversations, crm
from .uow import UnitOfWork

CALLBACK_SUBJECT = "Перезвонить"
CALLBACK_DUE = timedelta(minutes=15)

_DIRECTION_TEXT = {
    CallDirection.inbound: "Входящий звонок",
    CallDirection.outbound: "Исходящий звонок",
    CallDirection.internal: "Внутренний звонок",
}
_OUTCOME_TEXT = {
    CallOutcome.answered: "отвечен",
    CallOutcome.missed: "пропущен",
    CallOutcome.abandoned: "клиент не дождался ответа",
    CallOutcome.busy: "занято",
    CallOutcome.failed: "не состоялся",
}


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


async def find(uow: UnitOfWork, channel_id: int, linkedid: str) -> Call | None:
    stmt = select(Call).where(Call.channel_id == channel_id, Call.linkedid == linkedid)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def start(
    uow: UnitOfWork, channel_id: int, linkedid: str, direction: CallDirection, at: datetime
) -> Call:
    call = Call(
        channel_id=channel_id,
        linkedid=linkedid,
        direction=direction,
        started_at=at,
        agents_rung=[],
        resynced=False,
    )
    uow.session.add(call)
    await uow.session.flush()
    return call


def note_live(
    call: Call,
    direction: CallDirection,
    caller: str | None,
    callee: str | None,
    queue: str | None,
) -> None:
    """What a live event says; the PBX learns some of it as the call goes (the callee of a
    click-to-call, the queue), so later values fill in or correct earlier ones."""
    call.direction = direction
    call.caller = caller or call.caller
    call.callee = callee or call.callee
    call.queue = queue or call.queue


def note_ring(call: Call, extension: str) -> None:
    if extension not in (call.agents_rung or []):
        # A new list, so the JSON column is seen as changed.
        call.agents_rung = sorted({*(call.agents_rung or []), extension})


def link_client(
    call: Call, contact_id: int, conversation_id: int | None, client_number: str
) -> None:
    call.contact_id = contact_id
    call.conversation_id = conversation_id
    call.client_number = client_number


async def answer(
    uow: UnitOfWork, call: Call, extension: str | None, user_id: int | None, at: datetime
) -> None:
    call.answered_at = at
    call.answered_by_extension = extension
    call.answered_by_user_id = user_id
    call.outcome = CallOutcome.answered
    if user_id is not None:
        await set_on_call(uow, user_id, True)


def finish(call: Call, record: Mapping[str, Any], answered_by_user_id: int | None) -> None:
    """The finished call as the PBX tracker recorded it: it wins over the live guesses."""
    call.direction = CallDirection(record["direction"])
    call.outcome = CallOutcome(record["outcome"])
    call.caller = record.get("caller") or call.caller
    call.callee = record.get("callee") or call.callee
    call.queue = record.get("queue") or call.queue
    call.answered_by_extension = record.get("answered_by")
    call.answered_by_user_id = answered_by_user_id
    call.transferred_to = record.get("transferred_to")
    call.transfer_kind = record.get("transfer_kind")
    call.agents_rung = sorted({*(call.agents_rung or []), *record.get("agents_rung", [])})
    call.wait_s = _number(record.get("wait_s"))
    call.talk_s = _number(record.get("talk_s"))
    cause = record.get("hangup_cause")
    call.hangup_cause = cause if isinstance(cause, int) else None
    call.recording = record.get("recording")
    call.recording_url = record.get("recording_url")
    call.resynced = bool(record.get("resynced"))
    call.started_at = _when(record.get("started_at")) or call.started_at
    call.answered_at = _when(record.get("answered_at"))
    # A record always carries ended_at; should one not, the call ends where it was last seen.
    call.ended_at = _when(record.get("ended_at")) or call.answered_at or call.started_at
    call.ended_not_after = _when(record.get("ended_not_after"))
    call.transferred_at = _when(record.get("transferred_at")) or call.transferred_at


def note_transfer(call: Call, target: object, kind: object, at: datetime) -> None:
    """The live call was handed on to `target` at `at`: whoever answered it has left it."""
    if isinstance(target, str) and target:
        call.transferred_to = target[:80]
        call.transfer_kind = kind if isinstance(kind, str) else None
        call.transferred_at = at


async def set_on_call(uow: UnitOfWork, user_id: int, on_call: bool) -> None:
    """The operator is on the phone: routing offers them no chats meanwhile. Written in the
    call's own transaction, so the flag and the call record never disagree."""
    await uow.session.execute(update(User).where(User.id == user_id).values(on_call=on_call))


async def on_another_call(uow: UnitOfWork, user_id: int, call_id: int) -> bool:
    """Still answering some other live call (an operator may hold two)."""
    stmt = select(Call.id).where(
        Call.answered_by_user_id == user_id,
        Call.ended_at.is_(None),
        Call.answered_at.is_not(None),
        # Handed on: the operator who answered has left it.
        Call.transferred_to.is_(None),
        Call.id != call_id,
    )
    return (await uow.session.execute(stmt.limit(1))).first() is not None


def history_text(call: Call) -> str:
    parts = [f"{_DIRECTION_TEXT[call.direction]} {call.client_number or call.caller or ''}"]
    if call.outcome is not None:
        parts.append(f": {_OUTCOME_TEXT[call.outcome]}")
    if call.answered_by_extension:
        parts.append(f" (доб. {call.answered_by_extension})")
    if call.transferred_to:
        parts.append(f", переведён на {call.transferred_to}")
    if call.talk_s is not None:
        minutes, seconds = divmod(round(call.talk_s), 60)
        parts.append(f", разговор {minutes}:{seconds:02d}")
    if call.recording_url:
        parts.append(", есть запись")
    return "".join(parts).replace("  ", " ").strip()


async def view(uow: UnitOfWork, call: Call) -> dict[str, Any]:
    contact = await uow.session.get(Contact, call.contact_id) if call.contact_id else None
    user = (
        await uow.session.get(User, call.answered_by_user_id) if call.answered_by_user_id else None
    )
    return call_json(call, contact, user)


async def add_history_line(uow: UnitOfWork, call: Call, conversation: Conversation) -> Message:
    """The call as an item of the client's conversation (meta.call), so it shows in the
    cross-channel history with its outcome, durations and recording link."""
    now = uow.now()
    await uow.session.flush()
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.system,
        text=history_text(call),
        meta={"call": await view(uow, call)},
        external_id=f"call:{call.linkedid}",
        created_at=now,
    )
    uow.session.add(message)
    conversation.last_message_at = now
    await uow.session.flush()
    uow.emit(
        MessageCreated(
            audience=conversation_audience(conversation.assignee_id),
            conversation_id=conversation.id,
            message=message_json(message),
        )
    )
    return message


async def end_conversation(uow: UnitOfWork, conversation: Conversation) -> None:
    """The call is over: its conversation no longer takes the operator's capacity."""
    if conversation.status is ConversationStatus.open:
        await conversations.close(uow, conversation)


async def open_callback(
    uow: UnitOfWork, call: Call, contact: Contact, number: str
) -> Activity | None:
    """A callback task for the client's responsible manager (no one: the team's queue).
    One open callback per client: further missed calls before it is done add no more."""
    existing = await uow.session.execute(
        select(Activity.id).where(*_open_callbacks(contact.id)).limit(1)
    )
    if existing.first() is not None:
        return None
    where = f" (очередь {call.queue})" if call.queue else ""
    task = await crm.log_activity(
        uow,
        "task",
        f"{CALLBACK_SUBJECT} {number}",
        body=f"Пропущенный звонок {call.started_at:%d.%m.%Y %H:%M} UTC{where}",
        status="planned",
        contact_id=contact.id,
        user_id=contact.responsible_user_id,
        due_at=uow.now() + CALLBACK_DUE,
    )
    # An ordinary activity: the manager's «Сегодня» panel and calendar hear of it live.
    await activity_writes.announce(uow, task, "created")
    return task


def _open_callbacks(contact_id: int) -> list[Any]:
    return [
        Activity.contact_id == contact_id,
        Activity.kind == "task",
        Activity.status == "planned",
        Activity.subject.startswith(CALLBACK_SUBJECT + " "),
    ]


async def close_callbacks(uow: UnitOfWork, contact_id: int) -> int:
    """The client was reached: their planned callback tasks are done."""
    result = await uow.session.execute(
        update(Activity)
        .where(*_open_callbacks(contact_id))
        .values(
            status="done",
            result="Клиент дозвонился",
            done_at=uow.now(),
            version=Activity.version + 1,
            updated_at=uow.now(),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def call_audience(user_ids: Iterable[int | None]) -> Audience:
    return Audience(users=frozenset(u for u in user_ids if u is not None), roles=STAFF_ROLES)


async def ring(
    uow: UnitOfWork, call: Call, extension: str, user_id: int, card: Mapping[str, Any] | None
) -> None:
    """Screen-pop for the operator whose phone rings (and the supervisors)."""
    await uow.session.flush()
    uow.emit(
        CallRinging(
            audience=call_audience([user_id]),
            call=await view(uow, call),
            extension=extension,
            card=card,
            user_id=user_id,
        )
    )


async def announce(uow: UnitOfWork, call: Call, change: str, user_ids: Iterable[int]) -> None:
    await uow.session.flush()
    uow.emit(
        CallChanged(audience=call_audience(user_ids), call=await view(uow, call), change=change)
    )
