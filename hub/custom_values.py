"""Values of administrator-defined custom fields: checked against their definitions.

A record keeps its custom values as JSON under the field's key. What is stored is the clean
form (numbers as numbers, money as a string with two decimals, dates as ISO `YYYY-MM-DD`,
lists as a list of the chosen options), so filters and exports read one shape.
Problems are reported per field, in the `InvalidInput` detail shape the API uses, with a
`type` the pages translate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from hub.models import FieldKind
from hub.policy import InvalidInput


@dataclass(frozen=True)
class FieldRule:
    """What a value must be: the parts of a `CustomField` definition validation needs."""

    key: str
    label: str
    kind: FieldKind
    required: bool = False
    options: tuple[str, ...] = ()


class _Bad(ValueError):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Bad("custom-not-a-number", "must be a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            parsed = float(text)
        except ValueError:
            raise _Bad("custom-not-a-number", "must be a number") from None
        return int(parsed) if parsed.is_integer() and "." not in text else parsed
    raise _Bad("custom-not-a-number", "must be a number")


def _money(value: Any) -> str:
    if isinstance(value, bool):
        raise _Bad("custom-not-money", "must be an amount of money")
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad("custom-not-money", "must be an amount of money") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _Bad("custom-not-money", "must be an amount with at most two decimals")
    return f"{amount:.2f}"


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("custom-not-a-date", "must be a date (YYYY-MM-DD)")
    text = value.strip()
    try:
        if len(text) == 10 and text[2] == "." and text[5] == ".":  # 31.12.2026, as Russians write
            return date(int(text[6:]), int(text[3:5]), int(text[:2])).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise _Bad("custom-not-a-date", "must be a date (YYYY-MM-DD)") from None


def _choice(value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise _Bad("custom-not-an-option", f"must be one of: {', '.join(options)}")
    return value


def _choices(value: Any, options: tuple[str, ...]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _Bad("custom-not-an-option", f"must be some of: {', '.join(options)}")
    chosen = [_choice(item, options) for item in value]
    return [option for option in options if option in chosen]  # the definition's order, once


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in _FLAG_WORDS:
        return _FLAG_WORDS[value.strip().casefold()]
    raise _Bad("custom-not-a-flag", "must be yes or no")


_FLAG_WORDS = {
    "true": True, "1": True, "yes": True, "да": True, "+": True,
    "false": False, "0": False, "no": False, "нет": False, "-": False,
}  # fmt: skip


def _link(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("custom-not-a-link", "must be a link (http or https)")
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in text:
        raise _Bad("custom-not-a-link", "must be a link (http or https)")
    return text


def _text(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _Bad("custom-not-text", "must be text")
    text = str(value).strip()
    if len(text) > 2000:
        raise _Bad("custom-too-long", "must be at most 2000 characters")
    return text


def _clean(rule: FieldRule, value: Any) -> Any:
    match rule.kind:
        case FieldKind.number:
            return _number(value)
        case FieldKind.money:
            return _money(value)
        case FieldKind.date:
            return _date(value)
        case FieldKind.list:
            return _choice(value, rule.options)
        case FieldKind.multilist:
            return _choices(value, rule.options)
        case FieldKind.flag:
            return _flag(value)
        case FieldKind.link:
            return _link(value)
        case FieldKind.text:
            return _text(value)


def clean_custom_values(
    rules: Sequence[FieldRule],
    given: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The record's custom values after applying `given` on top of `current` (None for a new
    record): each given value cleaned, a blank one removing the value, a required field left
    blank refused, an unknown key refused. Values of fields deleted since stay as they were.
    Raises InvalidInput listing every bad field at once.
    """
    by_key = {rule.key: rule for rule in rules}
    result = dict(current or {})
    errors: list[dict[str, str]] = []

    def refuse(key: str, error_type: str, message: str) -> None:
        field = f"custom_fields.{key}"
        errors.append({"field": field, "location": "body", "type": error_type, "message": message})

    for key, value in given.items():
        rule = by_key.get(key)
        if rule is None:
            refuse(key, "custom-unknown-field", "there is no such custom field")
            continue
        if _blank(value):
            result.pop(key, None)
            continue
        try:
            result[key] = _clean(rule, value)
        except _Bad as bad:
            refuse(key, bad.error_type, f"{rule.label}: {bad}")
    for rule in rules:
        touched = current is None or rule.key in given
        if rule.required and touched and _blank(result.get(rule.key)):
            if not any(e["field"] == f"custom_fields.{rule.key}" for e in errors):
                refuse(rule.key, "custom-required", f"{rule.label}: is required")
    if errors:
        raise InvalidInput(errors)
    return result
