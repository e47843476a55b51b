"""A rule as its editor sends it: trigger, conditions, actions. Validated with pydantic and
the field registry (robots.fields), never evaluated as code; every problem is reported
per field (`InvalidInput`: field, location, type, message), and nothing is saved.
"""

from __future__ import annotations

import functools
import string
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from hub.policy import InvalidInput

from .fields import FIELDS, known_field
from .states import EVENTS, STATES

Unit = Literal["minutes", "hours", "days"]
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Delay(Strict):
    # Zero would fire the moment an object enters the state: that is an event rule.
    amount: int = Field(gt=0, le=100_000)
    unit: Unit = "minutes"
    # Counted in the team's working time (business hours + production calendar).
    working_time: bool = False

    @property
    def seconds(self) -> int:
        return self.amount * UNIT_SECONDS[self.unit]


class TimeTrigger(Strict):
    type: Literal["time"]
    state: str
    after: Delay
    # Per-stage delays of deal states ({stage id: delay}); other stages use `after`.
    per_stage: dict[int, Delay] = Field(default_factory=dict)

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in STATES:
            raise ValueError(f"unknown state; known: {', '.join(sorted(STATES))}")
        return value


class EventTrigger(Strict):
    type: Literal["event"]
    event: str

    @field_validator("event")
    @classmethod
    def _known_event(cls, value: str) -> str:
        if value not in EVENTS:
            raise ValueError(f"unknown event; known: {', '.join(sorted(EVENTS))}")
        return value


class DailyTrigger(Strict):
    """At a time of day on every working day (the week and the production calendar): each
    object the conditions hold for, once that day (the day's moment is the episode)."""

    type: Literal["daily"]
    object: Literal["deal", "conversation", "call", "lead", "activity"]
    at: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    tz: str = "Europe/Moscow"

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value


class DateTrigger(Strict):
    """N before or after a moment the object holds (a deal's creation, an activity's due
    time): once per value of that field (a new value is a new episode)."""

    type: Literal["date"]
    object: Literal["deal", "conversation", "call", "lead", "activity"]
    field: str
    when: Literal["before", "after"] = "after"
    offset: Delay


# Triggers the scheduler scans (the rest fire on events).
SCANNED = ("time", "daily", "date")
SCANNED_TYPES = (TimeTrigger, DailyTrigger, DateTrigger)
Trigger = Annotated[
    TimeTrigger | DailyTrigger | DateTrigger | EventTrigger, Field(discriminator="type")
]
Operator = Literal[
    "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "is_null", "not_null", "contains"
]


class Leaf(Strict):
    field: str
    op: Operator = "eq"
    value: Any = None


class AllOf(Strict):
    all: list[Condition]


class AnyOf(Strict):
    any: list[Condition]


class NotOf(Strict):
    not_: Condition = Field(alias="not")


Condition = AllOf | AnyOf | NotOf | Leaf


class FlagAction(Strict):
    type: Literal["flag"]
    code: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=500)


class NotifyAction(Strict):
    type: Literal["notify"]
    to: Literal["responsible", "supervisor", "team", "user"]
    team_id: int | None = None
    user_id: int | None = None
    text: str = Field(min_length=1, max_length=1000)
    # Besides the live notice: also by e-mail (the person's address) through this e-mail
    # channel's SMTP, and by Telegram (the person's chat) through this Telegram channel's bot.
    email_channel_id: int | None = Field(default=None, ge=1)
    telegram_channel_id: int | None = Field(default=None, ge=1)


class MessageAction(Strict):
    """A reply template sent to the client through his conversation's channel, as a reply
    by the robot: at most once per conversation per rule, and (`working_hours`) only while
    the conversation's team is at work, else at its next opening."""

    type: Literal["message"]
    template_id: int = Field(ge=1)
    working_hours: bool = True


class ReassignAction(Strict):
    type: Literal["reassign"]
    user_id: int


class MoveStageAction(Strict):
    type: Literal["move_stage"]
    stage_id: int


class NoteAction(Strict):
    type: Literal["note"]
    text: str = Field(min_length=1, max_length=4000)


class SetFieldAction(Strict):
    type: Literal["set_field"]
    field: str
    value: str | int | float | bool | None


class WebhookAction(Strict):
    type: Literal["webhook"]
    url: HttpUrl
    secret: str = Field(min_length=8, max_length=200)

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: HttpUrl) -> HttpUrl:
        if value.scheme not in ("http", "https"):
            raise ValueError("only http and https addresses")
        return value


class CreateTaskAction(Strict):
    """An activity planned through the activities use case (hub.actions.activities), linked
    to the object: the deal, the conversation and its client, the lead's contact."""

    type: Literal["create_task"]
    kind: Literal["call", "meeting", "task", "reminder", "email"] = "task"
    subject: str = Field(default="", max_length=300)
    assignee: Literal["responsible", "supervisor", "user"] = "responsible"
    user_id: int | None = Field(default=None, ge=1)
    due_in: Delay | None = None


Action = Annotated[
    FlagAction
    | NotifyAction
    | ReassignAction
    | MoveStageAction
    | NoteAction
    | SetFieldAction
    | WebhookAction
    | CreateTaskAction
    | MessageAction,
    Field(discriminator="type"),
]

# What each action works on; a rule on another kind of object may not use it.
ACTION_KINDS: dict[str, tuple[str, ...]] = {
    # An activity's flag stands on its deal (none without one).
    "flag": ("deal", "conversation", "call", "lead", "activity"),
    "notify": ("deal", "conversation", "call", "lead", "activity"),
    "reassign": ("deal", "conversation", "lead"),
    "move_stage": ("deal",),
    "note": ("conversation", "call"),
    "set_field": ("deal",),
    "webhook": ("deal", "conversation", "call", "lead", "activity"),
    "create_task": ("deal", "conversation", "call", "lead", "activity"),
    # A call's message goes to its conversation's channel.
    "message": ("conversation", "call"),
}


class RuleSpec(Strict):
    trigger: Trigger
    conditions: Condition | None = None
    actions: list[Action] = Field(min_length=1, max_length=20)

    @property
    def object_kind(self) -> str:
        if isinstance(self.trigger, TimeTrigger):
            return STATES[self.trigger.state].kind
        if isinstance(self.trigger, DailyTrigger | DateTrigger):
            return self.trigger.object
        return EVENTS[self.trigger.event]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def _error(location: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": location, "location": "body", "type": error_type, "message": message}


def _check_conditions(
    kind: str, node: Condition | None, at: str, found: list[dict[str, str]]
) -> None:
    if node is None:
        return
    if isinstance(node, AllOf):
        for i, child in enumerate(node.all):
            _check_conditions(kind, child, f"{at}.all.{i}", found)
    elif isinstance(node, AnyOf):
        for i, child in enumerate(node.any):
            _check_conditions(kind, child, f"{at}.any.{i}", found)
    elif isinstance(node, NotOf):
        _check_conditions(kind, node.not_, f"{at}.not", found)
    elif not known_field(kind, node.field):
        known = ", ".join(sorted(FIELDS.get(kind, {})))
        found.append(
            _error(
                f"{at}.field", "unknown-field", f"no field {node.field!r} on {kind}; known: {known}"
            )
        )
    elif node.op in ("in", "not_in") and not isinstance(node.value, list):
        found.append(_error(f"{at}.value", "not-a-list", f"{node.op} needs a list"))


@functools.lru_cache(maxsize=1024)
def _variables(text: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def template_variables(text: str) -> list[str]:
    """The {names} in a text (parsed once per text: a batch renders one text thousands of
    times)."""
    return list(_variables(text))


def _check_texts(kind: str, actions: list[Any], found: list[dict[str, str]]) -> None:
    """Message templates may name the object's fields ({title}), nothing else."""
    for i, action in enumerate(actions):
        for attr in ("text", "reason"):
            text = getattr(action, attr, None)
            if not isinstance(text, str):
                continue
            try:
                names = template_variables(text)
            except ValueError as exc:
                found.append(_error(f"actions.{i}.{attr}", "bad-template", str(exc)))
                continue
            for name in names:
                if name not in FIELDS[kind]:
                    found.append(
                        _error(f"actions.{i}.{attr}", "unknown-variable", f"no variable {{{name}}}")
                    )


def parse_rule(data: Any) -> RuleSpec:
    """The rule if it is sound, else `InvalidInput` naming each bad field."""
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(
            [
                _error(".".join(str(p) for p in e["loc"]) or "body", e["type"], e["msg"])
                for e in exc.errors(include_url=False)
            ]
        ) from exc
    kind = spec.object_kind
    found: list[dict[str, str]] = []
    _check_conditions(kind, spec.conditions, "conditions", found)
    for i, action in enumerate(spec.actions):
        if action.type == "create_task" and action.assignee == "user" and not action.user_id:
            found.append(_error(f"actions.{i}.user_id", "missing", "name the user to assign"))
        if kind not in ACTION_KINDS[action.type]:
            found.append(
                _error(
                    f"actions.{i}.type",
                    "not-for-object",
                    f"{action.type} does not apply to a {kind}",
                )
            )
        if isinstance(action, SetFieldAction) and not action.field.startswith("cf."):
            found.append(
                _error(f"actions.{i}.field", "not-settable", "only custom fields (cf.<key>)")
            )
    if isinstance(spec.trigger, DateTrigger):
        field = FIELDS[kind].get(spec.trigger.field)
        if field is None or field.kind is not datetime:
            moments = ", ".join(sorted(n for n, f in FIELDS[kind].items() if f.kind is datetime))
            found.append(
                _error(
                    "trigger.date.field",
                    "unknown-field",
                    f"no date field {spec.trigger.field!r} on {kind}; known: {moments}",
                )
            )
        if spec.trigger.offset.working_time:
            found.append(
                _error("trigger.date.offset.working_time", "not-supported", "calendar time only")
            )
    if (
        isinstance(spec.trigger, TimeTrigger)
        and STATES[spec.trigger.state].due is not None
        and spec.trigger.after.working_time
    ):
        # N days after a date, N minutes before a target: calendar time, as the date and
        # the target are.
        found.append(
            _error("trigger.time.after.working_time", "not-supported", "calendar time only")
        )
    if isinstance(spec.trigger, TimeTrigger) and spec.trigger.per_stage and kind != "deal":
        found.append(
            _error("trigger.per_stage", "not-for-object", "per-stage delays are for deals")
        )
    _check_texts(kind, spec.actions, found)
    if found:
        raise InvalidInput(found)
    return spec
