"""Russian company requisites: ИНН, КПП, ОГРН/ОГРНИП, checked as the tax service issues them.

Pure functions, no database. Each check gives the problems of one field in the `InvalidInput`
detail shape ({field, location, type, message}), with a `type` the pages translate:
`<field>-bad-length`, `<field>-not-digits`, `<field>-bad-checksum`, `kpp-bad-format`.

- ИНН of a legal entity: 10 digits, the last = Σ(dᵢ·wᵢ, weights 2 4 10 3 5 9 4 6 8) mod 11 mod 10.
- ИНН of a person (and an ИП): 12 digits, two check digits: the 11th over the first ten with
  7 2 4 10 3 5 9 4 6 8, the 12th over the first eleven with 3 7 2 4 10 3 5 9 4 6 8.
- КПП: 9 characters: 4 digits (the tax office), 2 digits or capital latin letters (the reason),
  3 digits (the number).
- ОГРН: 13 digits, the last = (the first 12 as a number) mod 11 mod 10;
  ОГРНИП: 15 digits, the last = (the first 14 as a number) mod 13 mod 10.
"""

from __future__ import annotations

import re

INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

_KPP = re.compile(r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$")
_SPACES = re.compile(r"[\s\u00a0]+")

Problem = dict[str, str]


def clean_requisite(value: str | None) -> str | None:
    """The value as stored: spaces removed, latin letters upper-cased; blank is None."""
    if value is None:
        return None
    text = _SPACES.sub("", value).upper()
    return text or None


def _problem(field: str, error_type: str, message: str) -> Problem:
    return {"field": field, "location": "body", "type": error_type, "message": message}


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_valid(inn: str) -> bool:
    return not inn_problems(inn)


def inn_problems(inn: str, field: str = "inn") -> list[Problem]:
    if not inn.isascii() or not inn.isdigit():
        return [_problem(field, "inn-not-digits", "ИНН is made of digits only")]
    if len(inn) == 10:
        good = _check_digit(inn[:9], INN10_WEIGHTS) == int(inn[9])
    elif len(inn) == 12:
        good = _check_digit(inn[:10], INN12_WEIGHTS_11) == int(inn[10]) and _check_digit(
            inn[:11], INN12_WEIGHTS_12
        ) == int(inn[11])
    else:
        return [_problem(field, "inn-bad-length", "ИНН has 10 digits (12 for a person)")]
    if not good:
        return [_problem(field, "inn-bad-checksum", "ИНН check digit does not match")]
    return []


def kpp_problems(kpp: str, field: str = "kpp") -> list[Problem]:
    if len(kpp) != 9:
        return [_problem(field, "kpp-bad-length", "КПП has 9 characters")]
    if not _KPP.match(kpp):
        return [
            _problem(
                field,
                "kpp-bad-format",
                "КПП is 4 digits, 2 digits or capital latin letters, then 3 digits",
            )
        ]
    return []


def ogrn_problems(ogrn: str, field: str = "ogrn") -> list[Problem]:
    if not ogrn.isascii() or not ogrn.isdigit():
        return [_problem(field, "ogrn-not-digits", "ОГРН is made of digits only")]
    if len(ogrn) == 13:
        good = int(ogrn[:12]) % 11 % 10 == int(ogrn[12])
    elif len(ogrn) == 15:
        good = int(ogrn[:14]) % 13 % 10 == int(ogrn[14])
    else:
        return [_problem(field, "ogrn-bad-length", "ОГРН has 13 digits (ОГРНИП 15)")]
    if not good:
        return [_problem(field, "ogrn-bad-checksum", "ОГРН check digit does not match")]
    return []


def requisite_problems(
    inn: str | None = None, kpp: str | None = None, ogrn: str | None = None
) -> list[Problem]:
    """Every problem of the given (already cleaned) requisites; None is not checked."""
    found: list[Problem] = []
    if inn is not None:
        found += inn_problems(inn)
    if kpp is not None:
        found += kpp_problems(kpp)
    if ogrn is not None:
        found += ogrn_problems(ogrn)
    return found
