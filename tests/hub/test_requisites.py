"""ИНН, КПП, ОГРН and ОГРНИП checks against real numbers, with the arithmetic written out."""

from __future__ import annotations

import pytest

from hub.requisites import (
    clean_requisite,
    inn_problems,
    kpp_problems,
    ogrn_problems,
    requisite_problems,
)


def types(problems: list[dict[str, str]]) -> list[str]:
    return [p["type"] for p in problems]


def test_sberbank_inn_is_valid_by_the_weights() -> None:
    # 7707083893: digits 7 7 0 7 0 8 3 8 9 × weights 2 4 10 3 5 9 4 6 8
    products = [14, 28, 0, 21, 0, 72, 12, 48, 72]
    assert sum(products) == 267
    assert 267 - 11 * 24 == 3  # 267 mod 11 = 3, mod 10 = 3: the last digit
    assert inn_problems("7707083893") == []


def test_twelve_digit_inn_has_two_check_digits() -> None:
    # 500100732259: the 11th over 5 0 0 1 0 0 7 3 2 2 × 7 2 4 10 3 5 9 4 6 8
    assert 35 + 0 + 0 + 10 + 0 + 0 + 63 + 12 + 12 + 16 == 148
    assert 148 - 11 * 13 == 5  # 5 is the 11th digit
    # the 12th over 5 0 0 1 0 0 7 3 2 2 5 × 3 7 2 4 10 3 5 9 4 6 8
    assert 15 + 0 + 0 + 4 + 0 + 0 + 35 + 27 + 8 + 12 + 40 == 141
    assert 141 - 11 * 12 == 9  # 9 is the 12th digit
    assert inn_problems("500100732259") == []


@pytest.mark.parametrize(
    ("inn", "expected"),
    [
        ("7707083894", "inn-bad-checksum"),  # last digit one off
        ("7707083892", "inn-bad-checksum"),
        ("500100732258", "inn-bad-checksum"),  # 12th one off
        ("500100732269", "inn-bad-checksum"),  # 11th one off
        ("770708389", "inn-bad-length"),
        ("77070838933", "inn-bad-length"),
        ("77070838a3", "inn-not-digits"),
        ("７７０７０８３８９３", "inn-not-digits"),  # full-width digits are not ASCII digits
    ],
)
def test_bad_inns_are_named(inn: str, expected: str) -> None:
    problems = inn_problems(inn)
    assert types(problems) == [expected]
    assert problems[0]["field"] == "inn" and problems[0]["location"] == "body"


def test_kpp_format() -> None:
    assert kpp_problems("773601001") == []  # Сбербанк
    assert kpp_problems("7736AB001") == []  # the reason part may be capital latin letters
    assert types(kpp_problems("77360100")) == ["kpp-bad-length"]
    assert types(kpp_problems("7736ab001")) == ["kpp-bad-format"]
    assert types(kpp_problems("77A601001")) == ["kpp-bad-format"]
    assert types(kpp_problems("7736010A1")) == ["kpp-bad-format"]


def test_ogrn_and_ogrnip_checksums() -> None:
    # ОГРН 1027700132195: 102770013219 = 11 × 9342728474 + 5, and 5 mod 10 = 5
    assert 11 * 9342728474 + 5 == 102770013219
    assert ogrn_problems("1027700132195") == []
    assert types(ogrn_problems("1027700132196")) == ["ogrn-bad-checksum"]
    # ОГРНИП 304500116000157: 30450011600015 = 13 × 2342308584616 + 7
    assert 13 * 2342308584616 + 7 == 30450011600015
    assert ogrn_problems("304500116000157") == []
    assert types(ogrn_problems("304500116000158")) == ["ogrn-bad-checksum"]
    assert types(ogrn_problems("10277001321")) == ["ogrn-bad-length"]
    assert types(ogrn_problems("10277001321O5")) == ["ogrn-not-digits"]


def test_every_field_reported_at_once_and_cleaning() -> None:
    problems = requisite_problems(inn="7707083894", kpp="1", ogrn="1027700132196")
    assert [(p["field"], p["type"]) for p in problems] == [
        ("inn", "inn-bad-checksum"),
        ("kpp", "kpp-bad-length"),
        ("ogrn", "ogrn-bad-checksum"),
    ]
    assert requisite_problems() == []
    assert clean_requisite(" 7707 083\u00a0893 ") == "7707083893"
    assert clean_requisite("7736ab001") == "7736AB001"
    assert clean_requisite("   ") is None
    assert clean_requisite(None) is None
