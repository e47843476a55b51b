"""The demo company's sales: its organisations, custom fields, pipeline, deals and planned
activities (the people and conversations are in data.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hub.models import CrmEntity, FieldKind


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    responsible: str
    inn: str
    kpp: str | None = None
    ogrn: str | None = None
    legal_address: str = ""
    actual_address: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    site: str = ""
    custom_fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoField:
    """A custom field an administrator defined; its key is derived from the label."""

    entity: CrmEntity
    key: str
    label: str
    kind: FieldKind
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoDeal:
    title: str
    stage: str
    amount: Decimal
    responsible: str
    contact: str | None
    organisation: str | None
    days_in_stage: float
    custom_fields: dict[str, object] = field(default_factory=dict)
    # The stages it went through before, with how many days ago it entered each.
    path: tuple[tuple[str, float], ...] = ()
    loss_reason: str = ""
    # The submission of the demo request (CONVERSATIONS) the deal came out of.
    conversation: str | None = None
    source: str = "manual"
    # A won deal's payment: due so many days after the contract (the stage «Договор»), and
    # paid so many days after it (None: not paid yet, which «Не оплачено после договора» flags).
    payment_due_after_days: int | None = None
    paid_after_days: float | None = None


@dataclass(frozen=True)
class DemoActivity:
    kind: str
    subject: str
    status: str
    deal: str
    user: str
    # Negative: in the past; positive: due in the future.
    due_in_days: int


PIPELINE_NAME = "Продажи"
# name, outcome, probability (%). A signed contract wins the deal; «Проиграна» loses it.
PIPELINE_STAGES: tuple[tuple[str, str, int], ...] = (
    ("Интерес", "open", 10),
    ("Возможная сделка", "open", 25),
    ("Коммерческое предложение", "open", 50),
    ("Проект договора", "open", 75),
    ("Договор", "won", 100),
    ("Проиграна", "lost", 0),
)


ORGANISATIONS = (
    DemoOrganisation(
        "ООО «СтройМонтаж»",
        "operator",
        inn="7705123452",
        kpp="770501001",
        ogrn="1027705123456",
        legal_address="115054, г. Москва, ул. Валовая, д. 8, стр. 1",
        actual_address="141006, Московская обл., г. Мытищи, Олимпийский пр-т, д. 12",
        phones=("+7 495 123-45-67",),
        emails=("info@stroymontazh.example",),
        site="stroymontazh.example",
        custom_fields={"otrasl": "Строительство", "sotrudnikov": 140},
    ),
    DemoOrganisation(
        "АО «Завод Полимер»",
        "petrova",
        inn="5029012343",
        kpp="502901001",
        ogrn="1055029012345",
        legal_address="606000, Нижегородская обл., г. Дзержинск, ул. Заводская, д. 3",
        actual_address="606000, Нижегородская обл., г. Дзержинск, ул. Заводская, д. 3",
        phones=("+7 8313 25-40-00",),
        emails=("office@zavod-polimer.example",),
        site="zavod-polimer.example",
        custom_fields={"otrasl": "Производство", "sotrudnikov": 860},
    ),
    DemoOrganisation(
        "ИП Гусев Виктор Николаевич",
        "operator",
        # A person's 12-digit INN and an ОГРНИП; an ИП has no КПП.
        inn="502912345634",
        ogrn="316502900123454",
        legal_address="141070, Московская обл., г. Королёв, ул. Ленина, д. 21, кв. 4",
        actual_address="141070, Московская обл., г. Королёв, пр-т Космонавтов, д. 9",
        phones=("8 (926) 744-19-05",),
        emails=("gusev.vn@mail.example",),
        custom_fields={"otrasl": "Торговля", "sotrudnikov": 6},
    ),
    DemoOrganisation(
        "ООО «Северный ветер»",
        "petrova",
        inn="7814098767",
        kpp="781401001",
        ogrn="1077814098768",
        legal_address="199034, г. Санкт-Петербург, 17-я линия В.О., д. 4, лит. А",
        actual_address="199034, г. Санкт-Петербург, 17-я линия В.О., д. 4, лит. А, оф. 12",
        phones=("+7 812 640-87-30",),
        emails=("office@severveter.example",),
        site="severveter.example",
        custom_fields={"otrasl": "Услуги", "sotrudnikov": 35},
    ),
)

# Custom fields per entity, in the order the cards show them.
CUSTOM_FIELDS = (
    DemoField(
        CrmEntity.contact,
        "dolzhnost_lpr",
        "Должность ЛПР",
        FieldKind.list,
        ("Собственник", "Закупщик", "Технический специалист", "Другое"),
    ),
    DemoField(CrmEntity.contact, "gorod", "Город", FieldKind.text),
    DemoField(CrmEntity.contact, "obekt", "Объект", FieldKind.text),
    DemoField(
        CrmEntity.organisation,
        "otrasl",
        "Отрасль",
        FieldKind.list,
        ("Строительство", "Производство", "Торговля", "Услуги"),
    ),
    DemoField(CrmEntity.organisation, "sotrudnikov", "Сотрудников", FieldKind.number),
    DemoField(CrmEntity.deal, "istochnik_byudzheta", "Источник бюджета", FieldKind.text),
    DemoField(
        CrmEntity.deal,
        "tip_obekta",
        "Тип объекта",
        FieldKind.list,
        ("Склад", "Цех", "Офис", "Магазин", "Частный дом"),
    ),
)


DEALS = (
    DemoDeal(
        "Остекление склада 1 200 м²",
        "Коммерческое предложение",
        Decimal("1850000.00"),
        "operator",
        "petrov",
        "ООО «СтройМонтаж»",
        4,
        {"istochnik_byudzheta": "Инвестпрограмма 2026", "tip_obekta": "Склад"},
        path=(("Интерес", 19), ("Возможная сделка", 11)),
        conversation="demo-request-1",
        source="webform",
    ),
    DemoDeal(
        "Сервисное обслуживание окон 2026",
        "Договор",
        Decimal("96000.00"),
        "operator",
        "belova",
        "ООО «СтройМонтаж»",
        12,
        {"istochnik_byudzheta": "Операционный бюджет", "tip_obekta": "Офис"},
        path=(
            ("Интерес", 47),
            ("Возможная сделка", 40),
            ("Коммерческое предложение", 29),
            ("Проект договора", 18),
        ),
        payment_due_after_days=5,
    ),
    DemoDeal(
        "Окна для цеха № 3",
        "Проект договора",
        Decimal("3240000.00"),
        "petrova",
        "orlov",
        "АО «Завод Полимер»",
        2,
        {"istochnik_byudzheta": "Капремонт цеха", "tip_obekta": "Цех"},
        path=(("Интерес", 36), ("Возможная сделка", 27), ("Коммерческое предложение", 13)),
        conversation="demo-request-3",
        source="webform",
    ),
    DemoDeal(
        "Алюминиевый витраж магазина",
        "Интерес",
        Decimal("620000.00"),
        "operator",
        "gusev",
        "ИП Гусев Виктор Николаевич",
        1,
        {"istochnik_byudzheta": "Собственные средства", "tip_obekta": "Магазин"},
    ),
    DemoDeal(
        "Остекление офиса на Васильевском",
        "Возможная сделка",
        Decimal("412500.00"),
        "petrova",
        "lebedeva",
        "ООО «Северный ветер»",
        9,
        {"tip_obekta": "Офис"},
        path=(("Интерес", 16),),
    ),
    DemoDeal(
        "Балконный блок, частный дом",
        "Возможная сделка",
        Decimal("148500.00"),
        "operator",
        "kuznetsova",
        None,
        0.4,
        {"istochnik_byudzheta": "Собственные средства", "tip_obekta": "Частный дом"},
        path=(("Интерес", 1),),
        conversation="demo-request-2",
        source="webform",
    ),
    DemoDeal(
        "Остекление лоджий, ЖК «Берёзки»",
        "Коммерческое предложение",
        Decimal("2480000.00"),
        "petrova",
        "lebedeva",
        "ООО «Северный ветер»",
        6,
        path=(("Интерес", 24), ("Возможная сделка", 15)),
    ),
    DemoDeal(
        "Окна ПВХ в таунхаус",
        "Интерес",
        Decimal("315000.00"),
        "petrova",
        None,
        None,
        5,
    ),
    DemoDeal(
        "Москитные сетки, 14 окон",
        "Интерес",
        Decimal("42000.00"),
        "sidorov",
        "kuznetsova",
        None,
        2,
    ),
    DemoDeal(
        "Регулировка фурнитуры в офисе",
        "Договор",
        Decimal("38500.00"),
        "sidorov",
        "belova",
        "ООО «СтройМонтаж»",
        20,
        path=(("Интерес", 31), ("Коммерческое предложение", 26)),
        payment_due_after_days=10,
        paid_after_days=8,
    ),
    DemoDeal(
        "Замена окон в административном корпусе",
        "Проиграна",
        Decimal("1275000.00"),
        "operator",
        "orlov",
        "АО «Завод Полимер»",
        8,
        path=(("Интерес", 44), ("Возможная сделка", 33), ("Коммерческое предложение", 21)),
        loss_reason="Выбрали подрядчика дешевле на 12%",
    ),
    DemoDeal(
        "Панорамное остекление веранды",
        "Проиграна",
        Decimal("530000.00"),
        "petrova",
        None,
        None,
        15,
        path=(("Интерес", 28), ("Возможная сделка", 22)),
        loss_reason="Клиент отложил проект на следующий год",
    ),
)

ACTIVITIES = (
    DemoActivity(
        "call", "Уточнить площадь остекления", "done", "Остекление склада 1 200 м²", "operator", -3
    ),
    DemoActivity(
        "task", "Отправить КП на склад", "planned", "Остекление склада 1 200 м²", "operator", 1
    ),
    DemoActivity("meeting", "Замер в цехе № 3", "done", "Окна для цеха № 3", "petrova", -5),
    DemoActivity(
        "task",
        "Согласовать проект договора с юристом",
        "planned",
        "Окна для цеха № 3",
        "petrova",
        2,
    ),
    DemoActivity(
        "call", "Перезвонить по витражу", "planned", "Алюминиевый витраж магазина", "operator", 0
    ),
)
