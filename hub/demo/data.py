"""What `okno demo` puts in an empty database: a small window-installation company.

Plain data only; `hub.demo.seed` writes it through the actions. Logins and passwords here are the
ones the README and `okno demo` print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hub.models import CrmEntity, FieldKind, Role


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    role: Role
    password: str
    email: str
    team: str | None = None


@dataclass(frozen=True)
class DemoContact:
    key: str
    name: str
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    responsible: str
    organisation: str | None = None
    position: str = ""
    custom_fields: dict[str, str] = field(default_factory=dict)
    # Where the client came from (Contact.source).
    source: str = "manual"
    # The next-contact date, in days from seeding (negative: overdue); None: none planned.
    next_contact_in_days: int | None = None


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


@dataclass(frozen=True)
class DemoActivity:
    kind: str
    subject: str
    status: str
    deal: str
    user: str
    # Negative: in the past; positive: due in the future.
    due_in_days: int


@dataclass(frozen=True)
class DemoConversation:
    """A web-form request from a client, and (if handled) the operator's side of it."""

    submission: str
    hours_ago: int
    sender_name: str
    phone: str
    email: str
    text: str
    page_url: str
    utm_source: str
    operator: str | None = None
    reply: str | None = None
    note: str | None = None
    closed: bool = False


CHANNEL_NAME = "demo"
CHANNEL_TITLE = "Заявка с сайта"
CHANNEL_TEAM = "Продажи"
# The website chat; the demo's own pages embed it (/widget/site/demo).
WIDGET_NAME = "site"
WIDGET_TITLE = "Окна Мытищи — чат"
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

USERS = (
    DemoUser("admin", "Николай Администратов", Role.admin, "demo-admin", "admin@okno.example"),
    DemoUser(
        "supervisor",
        "Мария Ковалёва",
        Role.supervisor,
        "demo-supervisor",
        "m.kovaleva@okno.example",
        "Продажи",
    ),
    DemoUser(
        "operator",
        "Алексей Смирнов",
        Role.operator,
        "demo-operator",
        "a.smirnov@okno.example",
        "Продажи",
    ),
    DemoUser(
        "petrova",
        "Ольга Петрова",
        Role.operator,
        "demo-petrova",
        "o.petrova@okno.example",
        "Продажи",
    ),
    DemoUser(
        "sidorov",
        "Игорь Сидоров",
        Role.operator,
        "demo-sidorov",
        "i.sidorov@okno.example",
        "Сервис",
    ),
)
TEAMS = ("Продажи", "Сервис")

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

CONTACTS = (
    DemoContact(
        "petrov",
        "Иван Петров",
        ("+7 916 555-12-34",),
        ("ivan.petrov@stroymontazh.example",),
        "operator",
        "ООО «СтройМонтаж»",
        "Генеральный директор",
        {"dolzhnost_lpr": "Собственник", "gorod": "Москва"},
        source="exhibition",
        next_contact_in_days=1,
    ),
    DemoContact(
        "belova",
        "Елена Белова",
        ("+7 495 123-45-67", "+7 903 210-44-18"),
        ("zakupki@stroymontazh.example",),
        "operator",
        "ООО «СтройМонтаж»",
        "Менеджер по закупкам",
        {"dolzhnost_lpr": "Закупщик", "gorod": "Москва"},
        source="referral",
        next_contact_in_days=14,
    ),
    DemoContact(
        "orlov",
        "Николай Орлов",
        ("+7 985 301-22-10",),
        ("n.orlov@zavod-polimer.example",),
        "petrova",
        "АО «Завод Полимер»",
        "Главный инженер",
        {"dolzhnost_lpr": "Технический специалист", "gorod": "Дзержинск"},
        source="webform",
        next_contact_in_days=2,
    ),
    DemoContact(
        "gusev",
        "Виктор Гусев",
        # The second number was written down on the phone and cannot be parsed: the card
        # shows it as written, with «Исправить».
        ("8 (926) 744-19-05", "926 744 19 0 доб. 12"),
        ("gusev.vn@mail.example",),
        "operator",
        "ИП Гусев Виктор Николаевич",
        "Владелец",
        {"dolzhnost_lpr": "Собственник", "gorod": "Королёв"},
        source="cold_call",
        next_contact_in_days=-1,
    ),
    DemoContact(
        "lebedeva",
        "Светлана Лебедева",
        ("+7 921 640-87-33",),
        ("s.lebedeva@severveter.example",),
        "petrova",
        "ООО «Северный ветер»",
        "Офис-менеджер",
        {"gorod": "Санкт-Петербург"},
        source="exhibition",
    ),
    DemoContact(
        "kuznetsova",
        "Ольга Кузнецова",
        ("+7 915 018-62-47",),
        ("olga.kuznetsova@list.example",),
        "operator",
        custom_fields={"gorod": "Пушкино", "obekt": "Частный дом"},
        source="webform",
        next_contact_in_days=0,
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

CONVERSATIONS = (
    DemoConversation(
        submission="demo-request-1",
        hours_ago=72,
        sender_name="Иван Петров",
        phone="+7 916 555-12-34",
        email="ivan.petrov@stroymontazh.example",
        text="Добрый день! Пришлите, пожалуйста, КП на остекление склада, около 1 200 м².",
        page_url="https://okna-demo.example/kommercheskoe-osteklenie/",
        utm_source="yandex",
        operator="operator",
        reply="Иван, добрый день! Подготовим КП до конца дня, замерщик свяжется с вами завтра.",
        note="Крупный объект, цены согласовать с Марией Ковалёвой.",
        closed=True,
    ),
    DemoConversation(
        submission="demo-request-2",
        hours_ago=26,
        sender_name="Ольга Кузнецова",
        phone="8 915 018-62-47",
        email="",
        text="Нужен тёплый балконный блок в частный дом. Можно замер в субботу?",
        page_url="https://okna-demo.example/balkony/",
        utm_source="vk",
        operator="operator",
        reply="Ольга, здравствуйте! Суббота подходит, замерщик приедет с 10 до 12.",
        closed=True,
    ),
    DemoConversation(
        submission="demo-request-3",
        hours_ago=5,
        sender_name="Николай Орлов",
        phone="+7 985 301-22-10",
        email="n.orlov@zavod-polimer.example",
        text="Когда будет готов проект договора по цеху № 3?",
        page_url="https://okna-demo.example/kontakty/",
        utm_source="",
        operator="petrova",
        note="Юрист обещал проект к четвергу.",
    ),
    DemoConversation(
        submission="demo-request-4",
        hours_ago=1,
        sender_name="Сергей Волков",
        phone="+7 967 250-13-88",
        email="volkov.s@mail.example",
        text="Здравствуйте! Сколько стоит заменить два окна в хрущёвке? Звоните после 18:00.",
        page_url="https://okna-demo.example/kalkulyator/",
        utm_source="google",
    ),
)
