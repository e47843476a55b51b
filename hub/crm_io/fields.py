"""Okno's fields per entity, and guessing which of them a file's column holds from its
header, in Russian or English, as amoCRM, Bitrix24, 1С and Excel users name them.

A column maps to a field key of the entity (`name`, `phone`, ...), to a custom field
(`cf.<key>`), to a custom field to create from its header (`new-custom-field`), or to
nothing (None: left out). Several columns may map to `phone` or `email` (a contact's mobile
and work phones); every other field takes one column.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hub.models import CrmEntity

CUSTOM_PREFIX = "cf."
NEW_CUSTOM_FIELD = "new-custom-field"
MULTI = frozenset({"phone", "email"})


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    # Normalised headers (see `normalise`) that mean this field.
    headers: frozenset[str]


def _t(key: str, label: str, *headers: str) -> Target:
    return Target(key, label, frozenset(normalise(h) for h in headers))


def normalise(header: str) -> str:
    """Lower case, ё as е, "e-mail" as "email", punctuation and spaces collapsed."""
    text = header.casefold().replace("ё", "е").replace("e-mail", "email").replace("е-mail", "email")
    text = re.sub(r"[\s_\-*:.,;()\"«»/]+", " ", text)
    return text.strip()


_PHONE = (
    "Телефон",
    "Мобильный телефон",
    "Рабочий телефон",
    "Домашний телефон",
    "Другой телефон",
    "Рабочий прямой телефон",
    "Телефон для рассылок",
    "Тел",
    "Моб телефон",
    "Сотовый",
    "Phone",
    "Mobile",
    "Mobile phone",
    "Work phone",
    "Home phone",
    "Phone number",
    "Telephone",
)
_EMAIL = (
    "E-mail",
    "Email",
    "Эл почта",
    "Электронная почта",
    "Рабочий e-mail",
    "Рабочий email",
    "Личный e-mail",
    "Личный email",
    "Частный e-mail",
    "Другой e-mail",
    "E-mail для рассылок",
    "Почта",
    "Work email",
    "Personal email",
    "Mail",
)
_RESPONSIBLE = ("Ответственный", "Ответственный менеджер", "Менеджер", "Responsible", "Owner")
_SOURCE = ("Источник", "Источник контакта", "Источник сделки", "Source", "Lead source")
_ORGANISATION = ("Компания", "Организация", "Контрагент", "Название компании", "Company")

TARGETS: dict[CrmEntity, tuple[Target, ...]] = {
    CrmEntity.contact: (
        _t("name", "ФИО", "ФИО", "Полное имя", "Полное имя контакта", "Контакт", "Имя контакта",
           "Наименование", "Name", "Full name", "Contact", "Contact name"),
        _t("last_name", "Фамилия", "Фамилия", "Last name", "Surname"),
        _t("first_name", "Имя", "Имя", "First name"),
        _t("middle_name", "Отчество", "Отчество", "Второе имя", "Middle name"),
        _t("phone", "Телефон", *_PHONE),
        _t("email", "E-mail", *_EMAIL),
        _t("organisation", "Организация", *_ORGANISATION, "Organisation", "Organization",
           "Account"),
        _t("inn", "ИНН организации", "ИНН", "ИНН компании", "INN"),
        _t("position", "Должность", "Должность", "Position", "Job title", "Title"),
        _t("responsible", "Ответственный", *_RESPONSIBLE),
        _t("source", "Источник", *_SOURCE),
    ),
    CrmEntity.organisation: (
        _t("name", "Название", "Название", "Название компании", "Наименование", "Компания",
           "Организация", "Краткое наименование", "Name", "Company", "Company name",
           "Organisation", "Organization"),
        _t("inn", "ИНН", "ИНН", "INN", "Tax id"),
        _t("kpp", "КПП", "КПП", "KPP"),
        _t("ogrn", "ОГРН", "ОГРН", "ОГРНИП", "OGRN"),
        _t("legal_address", "Юридический адрес", "Юридический адрес", "Юр адрес",
           "Legal address"),
        _t("actual_address", "Фактический адрес", "Фактический адрес", "Адрес",
           "Почтовый адрес", "Address", "Actual address"),
        _t("phone", "Телефон", *_PHONE),
        _t("email", "E-mail", *_EMAIL),
        _t("site", "Сайт", "Сайт", "Web", "Веб-сайт", "Корпоративный сайт", "Website", "Site",
           "URL"),
        _t("responsible", "Ответственный", *_RESPONSIBLE),
    ),
    CrmEntity.deal: (
        _t("title", "Название сделки", "Сделка", "Название сделки", "Название", "Наименование",
           "Deal", "Deal name", "Title", "Name"),
        _t("amount", "Сумма", "Бюджет", "Сумма", "Сумма сделки", "Amount", "Budget", "Value"),
        _t("currency", "Валюта", "Валюта", "Currency"),
        _t("pipeline", "Воронка", "Воронка", "Направление", "Pipeline"),
        _t("stage", "Этап", "Этап сделки", "Этап", "Стадия", "Стадия сделки", "Статус",
           "Stage", "Status"),
        _t("contact", "Контакт", "Контакт", "Основной контакт", "Клиент", "Contact",
           "Contact name"),
        _t("phone", "Телефон контакта", *_PHONE),
        _t("email", "E-mail контакта", *_EMAIL),
        _t("organisation", "Организация", *_ORGANISATION, "Organisation", "Organization"),
        _t("responsible", "Ответственный", *_RESPONSIBLE),
        _t("expected_close_on", "Дата закрытия", "Дата закрытия", "Планируемая дата закрытия",
           "Предполагаемая дата закрытия", "Close date", "Expected close date"),
        _t("source", "Источник", *_SOURCE),
        _t("loss_reason", "Причина отказа", "Причина отказа", "Причина проигрыша",
           "Loss reason"),
    ),
}  # fmt: skip

# What old CRMs export about their own bookkeeping: not a field of the record here.
SKIPPED = frozenset(
    normalise(h)
    for h in (
        "ID",
        "№",
        "Дата создания",
        "Кем создан",
        "Дата изменения",
        "Кем изменен",
        "Изменено",
        "Создано",
        "Created",
        "Created at",
        "Modified",
        "Updated at",
    )
)


def field_keys(entity: CrmEntity) -> dict[str, str]:
    """The entity's field keys and their labels."""
    return {target.key: target.label for target in TARGETS[entity]}


def guess(entity: CrmEntity, header: str, custom_labels: Mapping[str, str]) -> str | None:
    """The field a column with this header most likely holds. `custom_labels`: the entity's
    custom fields, normalised label -> key."""
    norm = normalise(header)
    if not norm or norm in SKIPPED:
        return None
    for target in TARGETS[entity]:
        if norm in target.headers:
            return target.key
    if norm in custom_labels:
        return CUSTOM_PREFIX + custom_labels[norm]
    return NEW_CUSTOM_FIELD


def guess_all(
    entity: CrmEntity, headers: Sequence[str], custom_labels: Mapping[str, str]
) -> list[str | None]:
    """One guess per column; a single-column field taken by an earlier column is not
    guessed again (the second «Название» stays unmapped rather than fight the first)."""
    taken: set[str] = set()
    found: list[str | None] = []
    for header in headers:
        key = guess(entity, header, custom_labels)
        if key is not None and key != NEW_CUSTOM_FIELD and key not in MULTI:
            if key in taken:
                key = None
            else:
                taken.add(key)
        found.append(key)
    return found


def headers_key(headers: Sequence[str]) -> str:
    """What identifies "a file like this one": its normalised headers, in order."""
    joined = "\x1f".join(normalise(h) for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()
