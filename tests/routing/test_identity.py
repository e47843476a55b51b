"""Identity normalisation table: Russian phone habits and e-mail spelling all meet."""

from __future__ import annotations

import pytest

from connectors.base import IdentityClaim
from hub.models import IdentityKind
from routing.identity import (
    MAX_PHONE_CHARS,
    normalise_claim,
    normalise_claims,
    normalise_email,
    normalise_phone,
)

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


# Pinned where mutation testing (bench/mutation.sh) found the rules above left room.


def test_a_phone_of_exactly_the_limit_is_read_and_one_character_more_is_not() -> None:
    # The spaces inside count: phonenumbers would read the longer one too.
    assert MAX_PHONE_CHARS == 100
    at_limit = "+7" + " " * 88 + "9161234567"
    assert len(at_limit) == 100
    assert normalise_phone(at_limit) == ANNA
    assert normalise_phone("+7" + " " * 89 + "9161234567") is None


def test_a_shared_number_with_separators_is_read_by_its_digits() -> None:
    # Not a Russian number as written, so its digits are read as an international number.
    assert normalise_phone("380 50 123-45-67") == "+380501234567"


def test_a_plus_eight_is_no_russian_trunk_prefix() -> None:
    # The 8 → +7 habit is for numbers written without a plus only.
    assert normalise_phone("+8 916 123-45-67") is None


def test_the_russian_8_and_7_habit_is_the_russian_regions_only() -> None:
    assert normalise_phone("8 916 123-45-67", region="BY") is None
    assert normalise_phone("8 916 123-45-67", region="RU") == ANNA


def test_a_claim_is_read_in_the_region_it_is_given_and_russia_by_default() -> None:
    local = IdentityClaim("phone", "29 123-45-67")
    assert normalise_claim(local) is None
    belarus = normalise_claim(local, region="BY")
    assert belarus is not None and belarus.value == "+375291234567"
    russian = normalise_claim(IdentityClaim("phone", "8 916 123-45-67"))
    assert russian is not None and russian.value == ANNA
    found = normalise_claims([local, IdentityClaim("phone", "8 916 123-45-67")], region="BY")
    assert [i.value for i in found] == ["+375291234567"]
