"""Filtering a registry by custom field values (`?cf.<key>=value`), on both backends.

The value is cleaned by the field's own rules first (so `?cf.budget=125000` finds the stored
"125000.00" and `?cf.vip=да` finds true), then compared with the record's JSON: on
PostgreSQL as JSONB containment (`custom_fields @> '{"key": value}'`, which a GIN index can
serve), on SQLite through `json_extract` / `json_each`. A list of several options (multilist)
matches records that chose this option among others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from hub.custom_values import FieldRule, clean_custom_values
from hub.models import FieldKind
from hub.policy import InvalidInput

PREFIX = "cf."


def custom_params(query: Mapping[str, str]) -> dict[str, str]:
    """The `cf.<key>` parameters of a query string, by key; empty values are no filter."""
    return {
        name[len(PREFIX) :]: value
        for name, value in query.items()
        if name.startswith(PREFIX) and value.strip()
    }


def _refusal(key: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": f"{PREFIX}{key}", "location": "query", "type": error_type, "message": message}


def clean_filters(
    rules: Sequence[FieldRule], given: Mapping[str, str]
) -> list[tuple[FieldRule, Any]]:
    """(rule, clean value) per filter; unknown keys and values of the wrong type are refused
    per parameter, all at once."""
    by_key = {rule.key: rule for rule in rules}
    found: list[tuple[FieldRule, Any]] = []
    errors: list[dict[str, str]] = []
    for key, raw in given.items():
        rule = by_key.get(key)
        if rule is None:
            errors.append(_refusal(key, "custom-unknown-field", "there is no such custom field"))
            continue
        # A multilist filter names one option; it is checked as a plain list choice.
        as_one = FieldRule(rule.key, rule.label, FieldKind.list, False, rule.options)
        try:
            value = clean_custom_values(
                [as_one if rule.kind is FieldKind.multilist else rule], {key: raw}
            )[key]
        except InvalidInput as bad:
            errors += [_refusal(key, d["type"], d["message"]) for d in bad.details]
            continue
        found.append((rule, value))
    if errors:
        raise InvalidInput(errors)
    return found


def custom_condition(dialect: str, column: Any, rule: FieldRule, value: Any) -> ColumnElement[bool]:
    """The record's value under `rule.key` is `value` (holds it, for a multilist)."""
    if dialect == "postgresql":
        wanted = [value] if rule.kind is FieldKind.multilist else value
        return type_coerce(column, JSONB).contains({rule.key: wanted})
    path = f'$."{rule.key}"'
    if rule.kind is FieldKind.multilist:
        chosen = func.json_each(column, path).table_valued("value")
        return exists(select(literal(1)).select_from(chosen).where(chosen.c.value == value))
    if rule.kind is FieldKind.flag:
        # json_extract gives 1 / 0 for true / false.
        return func.json_extract(column, path) == (1 if value else 0)
    same: ColumnElement[bool] = func.json_extract(column, path) == value
    return same
