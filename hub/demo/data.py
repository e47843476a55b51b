"""What `okno demo` puts in an empty database: a small window-installation company.

Plain data only; `hub.demo.seed` writes it through the actions. Logins and passwords here are the
ones the README and `okno demo` print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.models import Role


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
