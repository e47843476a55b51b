"""Custom field values are cleaned into one stored shape and refused per field."""

from __future__ import annotations

from typing import Any

import pytest

from hub.custom_values import FieldRule, clean_custom_values
from hub.models import FieldKind
from hub.policy import InvalidInput

RULES = [
    FieldRule("segment", "Сегмент", FieldKind.list, options=("B2B", "B2C", "Госзаказ")),
    FieldRule("products", "Продукты", FieldKind.multilist, options=("1С", "CRM", "ЭДО")),
    FieldRule("budget", "Бюджет", FieldKind.money),
    FieldRule("staff", "Сотрудников", FieldKind.number),
    FieldRule("birthday", "День рождения", FieldKind.date),
    FieldRule("vip", "VIP", FieldKind.flag),
    FieldRule("site", "Сайт", FieldKind.link),
    FieldRule("note", "Заметка", FieldKind.text),
    FieldRule("inn_checked", "ИНН проверен", FieldKind.flag, required=True),
]


def errors_of(
    given: dict[str, Any], current: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        clean_custom_values(RULES, given, current)
    return [(e["field"], e["type"]) for e in caught.value.details]


def test_values_are_stored_in_one_shape() -> None:
    given = {
        "segment": "B2B",
        "products": ["ЭДО", "1С", "ЭДО"],
        "budget": "1 250 000,5",
        "staff": "42",
        "birthday": "31.12.1980",
        "vip": "да",
        "site": "example.ru",
        "note": "  звонить после обеда ",
        "inn_checked": True,
    }
    assert clean_custom_values(RULES, given) == {
        "segment": "B2B",
        "products": ["1С", "ЭДО"],
        "budget": "1250000.50",
        "staff": 42,
        "birthday": "1980-12-31",
        "vip": True,
        "site": "https://example.ru",
        "note": "звонить после обеда",
        "inn_checked": True,
    }


def test_every_bad_field_is_reported_at_once() -> None:
    assert errors_of(
        {
            "segment": "Розница",
            "budget": "много",
            "staff": True,
            "birthday": "2026-02-30",
            "vip": "может быть",
            "site": "не ссылка",
            "colour": "синий",
        }
    ) == [
        ("custom_fields.segment", "custom-not-an-option"),
        ("custom_fields.budget", "custom-not-money"),
        ("custom_fields.staff", "custom-not-a-number"),
        ("custom_fields.birthday", "custom-not-a-date"),
        ("custom_fields.vip", "custom-not-a-flag"),
        ("custom_fields.site", "custom-not-a-link"),
        ("custom_fields.colour", "custom-unknown-field"),
        ("custom_fields.inn_checked", "custom-required"),
    ]


def test_money_keeps_kopecks_and_no_more() -> None:
    assert clean_custom_values(RULES, {"budget": 10, "inn_checked": False})["budget"] == "10.00"
    assert errors_of({"budget": "10.001", "inn_checked": False}) == [
        ("custom_fields.budget", "custom-not-money")
    ]


def test_an_edit_keeps_untouched_values_and_blank_removes_one() -> None:
    current = {"segment": "B2C", "note": "старое", "inn_checked": False, "gone_field": "x"}
    assert clean_custom_values(RULES, {"note": "", "staff": 3.5}, current) == {
        "segment": "B2C",
        "inn_checked": False,
        "gone_field": "x",
        "staff": 3.5,
    }


def test_a_required_field_is_refused_only_where_it_is_touched() -> None:
    # An old record without the required value can still be edited elsewhere...
    assert clean_custom_values(RULES, {"note": "x"}, {}) == {"note": "x"}
    # ...but the value cannot be blanked, and a new record must carry it.
    assert errors_of({"inn_checked": ""}, {"inn_checked": True}) == [
        ("custom_fields.inn_checked", "custom-required")
    ]
    assert errors_of({"note": "x"}) == [("custom_fields.inn_checked", "custom-required")]
