"""Administrator-defined custom fields of contacts, organisations and deals.

Entry points take the actor and need the admin's right to set up the CRM:
`create_field` (the key is derived from the label when not given: transliterated to latin,
lower snake case, made unique per entity with _2, _3, ...), `update_field` (label, required,
options, position; the kind and key never change, since records keep their values under the
key), `delete_field` (the definition goes; values already on records stay, unseen), and
`reorder_fields`. Positions of an entity's fields are kept as 1..n in the shown order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from hub.core import Hub
from hub.models import CrmEntity, CustomField, FieldKind
from hub.policy import Actor, Conflict, InvalidInput, ensure_can_configure_crm

from . import lookup
from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
_KEY = re.compile(KEY_PATTERN)
# Room left for a _NN suffix within the column's 60 characters.
_KEY_STEM = 50
_LIST_KINDS = frozenset({FieldKind.list, FieldKind.multilist})

# Russian letters in latin, as in foreign passports (2013) with й → y, х → kh.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip


class FieldKeyTaken(Conflict):
    def __init__(self, entity: str, key: str) -> None:
        super().__init__(
            "custom-field-exists",
            f"The {entity} already has a custom field with the key {key!r}.",
            {"entity": entity, "key": key},
        )


def key_from_label(label: str) -> str:
    """«Должность ЛПР» → dolzhnost_lpr; a label with no letters or digits gives "field"."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in label.casefold())
    key = re.sub(r"[^a-z0-9]+", "_", latin).strip("_")[:_KEY_STEM].strip("_")
    if not key:
        return "field"
    return key if key[0].isalpha() else f"f_{key}"[:_KEY_STEM]


def _bad(field: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "type": error_type, "message": message}


def _clean_label(label: str) -> str:
    text = " ".join(label.split())
    if not text:
        raise InvalidInput([_bad("label", "label-blank", "The label must not be blank.")])
    return text[:200]


def _clean_options(kind: FieldKind, options: Sequence[str]) -> list[str]:
    cleaned = [" ".join(str(option).split()) for option in options]
    errors = []
    if kind in _LIST_KINDS:
        if not cleaned:
            errors.append(
                _bad("options", "options-required", "A list field needs at least one option.")
            )
        for index, option in enumerate(cleaned):
            if not option:
                errors.append(_bad(f"options.{index}", "option-blank", "An option is blank."))
            elif option in cleaned[:index]:
                errors.append(
                    _bad(f"options.{index}", "option-duplicate", f"{option!r} is listed twice.")
                )
    elif cleaned:
        errors.append(_bad("options", "options-not-allowed", "Only list fields have options."))
    if errors:
        raise InvalidInput(errors)
    return cleaned


async def _fields_of(uow: UnitOfWork, entity: str) -> list[CustomField]:
    rows = await uow.session.execute(
        select(CustomField)
        .where(CustomField.entity == entity)
        .order_by(CustomField.position, CustomField.id)
    )
    return list(rows.scalars())


def _renumber(fields: Sequence[CustomField]) -> None:
    for position, field in enumerate(fields, start=1):
        if field.position != position:
            field.position = position


async def create_field(
    hub: Hub,
    actor: Actor,
    entity: CrmEntity,
    label: str,
    kind: FieldKind,
    *,
    key: str | None = None,
    required: bool = False,
    options: Sequence[str] = (),
) -> CustomField:
    ensure_can_configure_crm(actor)
    label = _clean_label(label)
    cleaned_options = _clean_options(kind, options)
    if key is not None and not _KEY.match(key):
        raise InvalidInput(
            [_bad("key", "key-bad-format", "Latin lower-case letters, digits and _, from a letter")]
        )
    async with unit_of_work(hub) as uow:
        existing = await _fields_of(uow, entity.value)
        taken = {field.key for field in existing}
        if key is not None:
            if key in taken:
                raise FieldKeyTaken(entity.value, key)
        else:
            stem = key_from_label(label)
            key, suffix = stem, 1
            while key in taken:
                suffix += 1
                key = f"{stem}_{suffix}"
        field = CustomField(
            entity=entity.value,
            key=key,
            label=label,
            kind=kind.value,
            required=required,
            options=cleaned_options,
            position=len(existing) + 1,
            created_at=uow.now(),
        )
        uow.session.add(field)
        _renumber(existing)
        await uow.session.flush()
    return field


async def update_field(
    hub: Hub,
    actor: Actor,
    field_id: int,
    *,
    label: str | Keep = KEEP,
    required: bool | Keep = KEEP,
    options: Sequence[str] | Keep = KEEP,
    position: int | Keep = KEEP,
) -> CustomField:
    """Changes what is given; `position` (1-based) moves the field among its entity's."""
    ensure_can_configure_crm(actor)
    async with unit_of_work(hub) as uow:
        field = await lookup.row(uow, CustomField, field_id, "custom-field")
        if label is not KEEP:
            field.label = _clean_label(label)
        if required is not KEEP:
            field.required = required
        if options is not KEEP:
            field.options = _clean_options(FieldKind(field.kind), options)
        if position is not KEEP:
            others = [f for f in await _fields_of(uow, field.entity) if f.id != field.id]
            index = min(max(position, 1), len(others) + 1) - 1
            _renumber([*others[:index], field, *others[index:]])
        await uow.session.flush()
    return field


async def delete_field(hub: Hub, actor: Actor, field_id: int) -> CustomField:
    """The definition goes; values already stored on records stay where they are."""
    ensure_can_configure_crm(actor)
    async with unit_of_work(hub) as uow:
        field = await lookup.row(uow, CustomField, field_id, "custom-field")
        await uow.session.delete(field)
        await uow.session.flush()
        _renumber(await _fields_of(uow, field.entity))
        await uow.session.flush()
    return field


async def reorder_fields(
    hub: Hub, actor: Actor, entity: CrmEntity, field_ids: Sequence[int]
) -> list[CustomField]:
    """Put the entity's fields in this order; fields not named follow in their old order."""
    ensure_can_configure_crm(actor)
    async with unit_of_work(hub) as uow:
        fields = await _fields_of(uow, entity.value)
        by_id = {field.id: field for field in fields}
        unknown = [i for i in field_ids if i not in by_id]
        if unknown:
            raise InvalidInput(
                [
                    _bad("ids", "custom-field-unknown", f"Not a field of the {entity.value}: {i}")
                    for i in unknown
                ]
            )
        named = [by_id[i] for i in dict.fromkeys(field_ids)]
        ordered = [*named, *(f for f in fields if f.id not in set(field_ids))]
        _renumber(ordered)
        await uow.session.flush()
    return ordered
