"""A data row, read through the column mapping, as the checked values of one record.

Each cell is checked here as far as it can be without the database (phones, e-mails,
amounts, dates, currencies) or with the directories the import loaded once (users, stages);
every problem names the column it came from, so the report says row, column and reason.
What only the use case can check (custom values, requisites, rights) comes back from it as
per-field errors, and `column_of` finds their column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from routing.identity import normalise_email, normalise_phone

from .fields import CUSTOM_PREFIX, MULTI, normalise

_LIST_SPLIT = re.compile(r"[,;\n]+")
_MONEY_NOISE = re.compile(r"(?i)\s|\u00a0|руб\.?|р\.|₽|rub")
_CURRENCIES = {"руб": "RUB", "рубль": "RUB", "рублей": "RUB", "р": "RUB", "₽": "RUB"}
MAX_AMOUNT = Decimal("1e13")


@dataclass(frozen=True)
class StageRef:
    pipeline_id: int
    stage_id: int
    lost: bool


@dataclass(frozen=True)
class Directory:
    """What rows are checked against, loaded once per import."""

    region: str
    # casefolded login, name or e-mail -> user id (active users only)
    users: Mapping[str, int] = field(default_factory=dict)
    # normalised pipeline name -> id; (pipeline id or None, normalised stage name) -> stage
    pipelines: Mapping[str, int] = field(default_factory=dict)
    stages: Mapping[tuple[int | None, str], StageRef] = field(default_factory=dict)


@dataclass
class Problem:
    column: int | None
    error_type: str
    reason: str


@dataclass
class Record:
    """The row's values by field key; `cells` keeps (column, text) of the phones and e-mails."""

    values: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)

    def bad(self, key: str, error_type: str, reason: str) -> None:
        self.problems.append(Problem(self.columns.get(key), error_type, reason))


def read_cells(mapping: Sequence[str | None], cells: Sequence[str]) -> Record:
    """The mapped cells by field key: multi fields as lists of (column, text)."""
    record = Record()
    for index, key in enumerate(mapping):
        if key is None or index >= len(cells):
            continue
        text = cells[index].strip()
        record.columns.setdefault(key, index)
        if key in MULTI:
            parts = [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]
            record.values.setdefault(key, []).extend((index, p) for p in parts)
        elif key.startswith(CUSTOM_PREFIX):
            if text:
                record.custom[key.removeprefix(CUSTOM_PREFIX)] = text
        elif text:
            record.values[key] = text
    return record


def phones(record: Record, region: str) -> list[str]:
    found: list[str] = []
    for column, text in record.values.get("phone", []):
        phone = normalise_phone(text, region)
        if phone is None:
            record.problems.append(
                Problem(column, "invalid-phone", f"«{text}» — не номер телефона")
            )
        elif phone not in found:
            found.append(phone)
    return found


def emails(record: Record) -> list[str]:
    found: list[str] = []
    for column, text in record.values.get("email", []):
        email = normalise_email(text)
        if email is None:
            record.problems.append(
                Problem(column, "invalid-email", f"«{text}» — не адрес электронной почты")
            )
        elif email not in found:
            found.append(email)
    return found


def person_name(record: Record) -> str:
    """The full name, or «Фамилия Имя Отчество» from the parts."""
    full = str(record.values.get("name", "")).strip()
    if full:
        return " ".join(full.split())
    parts = [record.values.get(k, "") for k in ("last_name", "first_name", "middle_name")]
    return " ".join(" ".join(str(p) for p in parts if p).split())


def responsible(record: Record, directory: Directory) -> int | None:
    text = record.values.get("responsible")
    if not text:
        return None
    user_id = directory.users.get(" ".join(str(text).split()).casefold())
    if user_id is None:
        record.bad("responsible", "no-such-user", f"«{text}» — нет такого активного пользователя")
    return user_id


def parse_amount(text: str) -> Decimal | None:
    """ "125 000,50", "125000.50 руб." and the like; None when it is not a sum."""
    cleaned = _MONEY_NOISE.sub("", text)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        return None
    return amount.quantize(Decimal("0.01"))


def parse_date(text: str) -> date | None:
    """31.12.2026, 31.12.26, 2026-12-31 (and a time after either, left out)."""
    day = text.strip().split(" ", 1)[0].split("T", 1)[0]
    try:
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", day):
            d, m, y = day.split(".")
            return date(int(y), int(m), int(d))
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2}", day):
            d, m, y = day.split(".")
            return date(2000 + int(y), int(m), int(d))
        return date.fromisoformat(day)
    except ValueError:
        return None


def currency(text: str) -> str | None:
    word = text.strip().rstrip(".").casefold()
    if word in _CURRENCIES:
        return _CURRENCIES[word]
    code = word.upper()
    return code if re.fullmatch(r"[A-Z]{3}", code) else None


def stage(record: Record, directory: Directory) -> StageRef | None:
    """The stage named in the row (within the named pipeline, if one is)."""
    pipeline_id: int | None = None
    pipeline_text = record.values.get("pipeline")
    if pipeline_text:
        pipeline_id = directory.pipelines.get(normalise(pipeline_text))
        if pipeline_id is None:
            record.bad("pipeline", "no-such-pipeline", f"«{pipeline_text}» — нет такой воронки")
            return None
    text = record.values.get("stage")
    if not text:
        return None
    found = directory.stages.get((pipeline_id, normalise(text)))
    if found is None:
        record.bad("stage", "no-such-stage", f"«{text}» — нет такого этапа")
    return found


# The use cases' field names (InvalidInput details) and the import's field keys.
_USE_CASE_FIELDS = {
    "phones": "phone",
    "emails": "email",
    "responsible_id": "responsible",
    "organisations": "organisation",
    "organisation_id": "organisation",
    "contact_id": "contact",
    "stage_id": "stage",
    "pipeline_id": "stage",
}


def column_of(record: Record, use_case_field: str) -> int | None:
    """The column a use case's per-field error is about."""
    head, _, rest = use_case_field.partition(".")
    if head == "custom_fields":
        return record.columns.get(CUSTOM_PREFIX + rest)
    key = _USE_CASE_FIELDS.get(head, head)
    if key == "name" and "name" not in record.columns:
        for part in ("last_name", "first_name", "middle_name", "title"):
            if part in record.columns:
                return record.columns[part]
    return record.columns.get(key)
