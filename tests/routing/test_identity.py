"""Identity normalisation table: Russian phone habits and e-mail spelling all meet."""

from __future__ import annotations

import pytest

from connectors.base import IdentityClaim
from hub.models import IdentityKind
from routing.identity import normalise_claims, normalise_email, normalise_phone

ANNA = "+79161234567"


@pytest.mark.parametrize(
    "raw",
    [
        "8 916 123-45-67",
        "8 (916) 123-45-67",
        "+7 (916) 123-45-67",
        "+7 916 1234567",
        "+79161234567",
        "79161234567",
        "89161234567",
        "9161234567",
        "916 123 45 67",
        "(916)123-45-67",
        "+7-916-123-45-67",
        " 8-916-123-45-67 ",
        "8.916.123.45.67",
    ],
)
def test_russian_phone_forms_meet(raw: str) -> None:
    assert normalise_phone(raw) == ANNA


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (495) 123-45-67", "+74951234567"),
        ("8 800 555-35-35", "+78005553535"),
        ("+375 29 123-45-67", "+375291234567"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_city_toll_free_and_foreign_numbers(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "123", "abc", "8 916 123", "+7 000 000-00-00"])
def test_invalid_phones_are_never_matched(raw: str) -> None:
    assert normalise_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("380501234567", "+380501234567"),  # as Telegram writes a shared number: no plus
        ("375291234567", "+375291234567"),
        ("8613812345678", "+8613812345678"),
        ("4951234567", "+74951234567"),  # a domestic reading, when valid, comes first
        ("x" * 300, None),
    ],
)
def test_digits_without_a_plus_are_read_internationally_when_not_domestic(
    raw: str, expected: str | None
) -> None:
    assert normalise_phone(raw) == expected


def test_region_is_configurable() -> None:
    # A Belarusian company types local numbers without the country code.
    assert normalise_phone("29 123-45-67", region="BY") == "+375291234567"
    assert normalise_phone("29 123-45-67", region="RU") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Anna.Sokolova@Mail.Example", "anna.sokolova@mail.example"),
        ("  anna.sokolova@mail.example\t", "anna.sokolova@mail.example"),
        ("not-an-email", None),
        ("a@b", None),
        ("", None),
    ],
)
def test_email_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_email(raw) == expected


def test_claims_are_normalised_and_deduplicated() -> None:
    claims = [
        IdentityClaim("phone", "8 916 123-45-67"),
        IdentityClaim("phone", "+7 916 1234567"),
        IdentityClaim("email", "ANNA.SOKOLOVA@mail.example"),
        IdentityClaim("phone", "garbage"),
        IdentityClaim("telegram", " 5823419076 "),
    ]
    result = normalise_claims(claims)
    assert [(i.kind, i.value) for i in result] == [
        (IdentityKind.phone, ANNA),
        (IdentityKind.email, "anna.sokolova@mail.example"),
        (IdentityKind.telegram, "5823419076"),
    ]
    assert result[0].raw == "8 916 123-45-67"
