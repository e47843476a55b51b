"""The states a time rule can watch and the events an event rule can fire on.

A state is a SQL condition on one kind of object plus its anchor: the moment the object
entered the state. The anchor is the episode: while the object stays in the state the anchor
does not move, so the rule fires once; when the condition turns false (a reply, a move, a
call back) and later true again, the anchor is new and so is the episode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from hub.models import (
    Activity,
    ActivityStatus,
    Call,
    CallDirection,
    CallOutcome,
    Conversation,
    ConversationStatus,
    Deal,
    Direction,
    Lead,
    LeadStatus,
    Message,
    Stage,
    StageOutcome,
)
from hub.models.base import UtcDateTime
from hub.queries.board import DEFAULT_TARGET_S
from hub.queries.sla import running

if TYPE_CHECKING:
    from .scan import ScanContext


@dataclass(frozen=True)
class State:
    kind: str
    label: str
    # The object is in the state (besides the time condition).
    where: Callable[[], ColumnElement[bool]]
    # When it entered it: the episode's anchor.
    anchor: Callable[[], Any]
    # The column telling which team's working hours count (None: the company's hours).
    team: Callable[[], Any] | None = None
    # When the anchor is the later of some columns: "anchor <= X" is "each <= X", which
    # PostgreSQL answers from their indexes instead of computing the anchor for every row.
    parts: Callable[[], tuple[Any, ...]] | None = None
    # When the rule's delay (in seconds) has run out, for states whose delay is not "so
    # long in the state" (a date's N days after, a target's N minutes before). Calendar
    # time only: such a rule may not ask for working time.
    due: Callable[[int, ScanContext], ColumnElement[bool]] | None = None


def _deal_quiet_since() -> ColumnElement[Any]:
    # No stage change and no activity: the later of the two. `last_activity_at` moves with
    # edits through actions, and with the deal's activities a person plans or completes
    # (hub.actions.activities.worked_on_deal).
    return case(
        (Deal.stage_entered_at > Deal.last_activity_at, Deal.stage_entered_at),
        else_=Deal.last_activity_at,
    )


def _not_called_back() -> ColumnElement[bool]:
    """No later call with that number went through: neither our call back nor an answered
    call of theirs."""
    later = aliased(Call)
    return ~exists(
        select(later.id).where(
            later.client_number == Call.client_number,
            later.started_at > Call.started_at,
            or_(later.direction == CallDirection.outbound, later.outcome == CallOutcome.answered),
        )
    )


def _lead_not_contacted() -> ColumnElement[bool]:
    """Still new, and nobody wrote to the client in the lead's conversations."""
    return and_(
        Lead.status == LeadStatus.new,
        ~exists(
            select(Message.id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.lead_id == Lead.id, Message.direction == Direction.outbound)
        ),
    )


def _deals_activities() -> ColumnElement[bool]:
    """Activities on the deal or with its client. A deal without a client matches no
    activity by client: `contact_id = NULL` is never true, so no extra guard is needed."""
    return or_(Activity.deal_id == Deal.id, Activity.contact_id == Deal.contact_id)


def _no_next_contact() -> ColumnElement[bool]:
    """An open deal with nothing planned: no planned activity on it nor with its client."""
    planned = select(Activity.id).where(
        Activity.status == ActivityStatus.planned, _deals_activities()
    )
    return and_(Deal.closed_at.is_(None), ~exists(planned))


def _nothing_planned_since() -> ColumnElement[Any]:
    """The episode starts when the last of those activities was done or cancelled (or at
    the deal's own last activity, if later): a new plan ends it, finishing that plan
    starts the next one."""
    finished = (
        select(func.max(Activity.done_at))
        .where(_deals_activities())
        .correlate(Deal)
        .scalar_subquery()
    )
    return case((finished > Deal.last_activity_at, finished), else_=Deal.last_activity_at)


# Whose calendar day a payment date is: the company's (robots.scan.COMPANY_HOURS).
PAYMENT_TZ = ZoneInfo("Europe/Moscow")


def _unpaid() -> ColumnElement[bool]:
    """A payment date is set, the deal is not marked paid, and it was not lost (a lost deal
    is not going to be paid). Which stage counts as «Договор» is the rule's condition."""
    lost = select(Stage.id).where(Stage.id == Deal.stage_id, Stage.outcome == StageOutcome.lost)
    return and_(Deal.payment_due_on.is_not(None), Deal.paid_at.is_(None), ~exists(lost))


def _payment_overdue(seconds: int, ctx: ScanContext) -> ColumnElement[bool]:
    """The due day began (in the company's zone) at least `seconds` ago: the day compared
    with one constant date, so the scan walks the due date's index."""
    local = (ctx.now - timedelta(seconds=seconds)).astimezone(PAYMENT_TZ)
    last: date = local.date()
    return Deal.payment_due_on <= literal(last, Date())


def _sla_near(seconds: int, ctx: ScanContext) -> ColumnElement[bool]:
    """The client's wait is `seconds` short of its target: the response target (first or
    next) of the SLA policy holding the conversation, in that policy's time (hub.queries.sla);
    where none sets one, his team's wait target (the supervisors' board's, `Team.wait_limit_s`)
    in calendar time. One cutoff per policy and team, as constants."""

    def waited_since(target_s: int) -> ColumnElement[bool]:
        moment = ctx.now - timedelta(seconds=max(0, target_s - seconds))
        return Conversation.waiting_since <= literal(moment, UtcDateTime())

    by_policy = []
    for policy in ctx.sla.policies:
        for measure in ("first_response", "next_response"):
            target = policy.targets.get(measure)
            if target is not None:
                by_policy.append(
                    (
                        and_(ctx.sla.holds(policy), running(measure)),
                        ctx.sla.ran_out(
                            policy, Conversation.waiting_since, max(0, target - seconds), ctx.now
                        ),
                    )
                )
    per_team = [
        and_(Conversation.team_id == team_id, waited_since(target))
        for team_id, target in sorted(ctx.wait_limits.items())
    ]
    by_team = or_(and_(Conversation.team_id.is_(None), waited_since(DEFAULT_TARGET_S)), *per_team)
    if not by_policy:
        return by_team
    held = or_(*(holds for holds, _ in by_policy))
    return or_(*(and_(holds, due) for holds, due in by_policy), and_(~held, by_team))


STATES: dict[str, State] = {
    "deal.stalled": State(
        "deal",
        "Сделка без движения и активности",
        lambda: Deal.closed_at.is_(None),
        _deal_quiet_since,
        parts=lambda: (Deal.stage_entered_at, Deal.last_activity_at),
    ),
    "deal.in_stage": State(
        "deal", "Сделка на стадии", lambda: Deal.closed_at.is_(None), lambda: Deal.stage_entered_at
    ),
    "deal.no_next_contact": State(
        "deal",
        "Сделка без запланированного контакта",
        _no_next_contact,
        _nothing_planned_since,
    ),
    "activity.overdue": State(
        "activity",
        "Просроченная задача",
        lambda: and_(Activity.status == ActivityStatus.planned, Activity.due_at.is_not(None)),
        lambda: Activity.due_at,
    ),
    "conversation.no_first_response": State(
        "conversation",
        "Обращение без первого ответа",
        lambda: and_(
            Conversation.status == ConversationStatus.open,
            Conversation.first_response_at.is_(None),
        ),
        lambda: Conversation.created_at,
        lambda: Conversation.team_id,
    ),
    "conversation.waiting": State(
        "conversation",
        "Клиент ждёт ответа",
        lambda: and_(
            Conversation.status == ConversationStatus.open, Conversation.waiting_since.is_not(None)
        ),
        lambda: Conversation.waiting_since,
        lambda: Conversation.team_id,
    ),
    "call.missed_no_callback": State(
        "call",
        "Пропущенный звонок без перезвона",
        lambda: and_(
            Call.direction == CallDirection.inbound,
            Call.outcome.in_([CallOutcome.missed, CallOutcome.abandoned]),
            Call.client_number.is_not(None),
            _not_called_back(),
        ),
        lambda: Call.started_at,
    ),
    "lead.not_contacted": State(
        "lead", "Лид без контакта", _lead_not_contacted, lambda: Lead.created_at
    ),
    # N after the payment date; the episode begins when the deal became owed (a new date,
    # the paid mark taken off), so each of those re-arms the rule.
    "deal.unpaid": State(
        "deal",
        "Сделка не оплачена в срок",
        _unpaid,
        # Deals given a payment date other than through the use cases: since their creation.
        lambda: func.coalesce(Deal.payment_owed_since, Deal.created_at),
        due=_payment_overdue,
    ),
    # N before the client's wait reaches his team's target: each wait (the first reply's
    # and every later one) is an episode, so a reply re-arms the rule.
    "conversation.sla_near": State(
        "conversation",
        "Ответ на грани SLA",
        lambda: and_(
            Conversation.status == ConversationStatus.open, Conversation.waiting_since.is_not(None)
        ),
        lambda: Conversation.waiting_since,
        due=_sla_near,
    ),
}

# Event rules: the event's name and the kind of object it is about (robots.events maps the
# bus's typed events to these).
EVENTS: dict[str, str] = {
    "message.received": "conversation",
    "conversation.created": "conversation",
    "conversation.assigned": "conversation",
    "conversation.closed": "conversation",
    "call.missed": "call",
    "call.answered": "call",
    "deal.created": "deal",
    "deal.moved": "deal",
    "conversation.sla_breached": "conversation",
}
