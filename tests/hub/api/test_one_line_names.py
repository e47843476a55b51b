"""Names and titles are one line: typed ones with a line break or a control character are
refused per field (422) and nothing is written; names from channels are cleaned instead."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.models import Contact, Role, User

from .conftest import Api

BROKEN = [
    "Иван\r\nBcc: all@example.ru",  # header injection into every e-mail reply
    "Иван\tПетров",
    "Иван\x07",
    "Иван\u2028Петров",  # the Unicode line separator
    "Иван\x85",  # a C1 control (NEL)
]


@pytest.mark.parametrize("name", BROKEN)
async def test_typed_names_with_control_characters_are_refused(api: Api, name: str) -> None:
    await api.add_user("root", Role.admin)
    user = await api.post(
        "/api/v1/users",
        "root",
        {"login": "masha", "name": name, "role": "operator", "password": "correct horse 1"},
    )
    assert user.status == 422
    assert [(d["field"], d["type"]) for d in user.body["error"]["details"]] == [
        ("name", "value_error")
    ]
    contact = await api.post("/api/v1/contacts", "olga", {"name": name})
    assert contact.status == 422
    assert [d["field"] for d in contact.body["error"]["details"]] == ["name"]
    organisation = await api.post("/api/v1/organisations", "olga", {"name": name})
    assert organisation.status == 422
    deal = await api.post("/api/v1/deals", "olga", {"title": name})
    assert deal.status == 422
    assert [d["field"] for d in deal.body["error"]["details"]] == ["title"]
    async with api.hub.db.sessions() as session:
        assert (await session.execute(select(User).where(User.login == "masha"))).first() is None
        assert (await session.execute(select(Contact))).first() is None


async def test_labels_titles_and_positions_are_one_line_too(api: Api) -> None:
    """What else an administrator or an operator names: a channel's title, a robot, a custom
    field and its choices, a contact's position in an organisation."""
    await api.add_user("root", Role.admin)
    org = await api.post("/api/v1/organisations", "olga", {"name": "ООО «Окна»"})
    assert org.status == 201, org.body
    channel = await api.post(
        "/api/v1/channels", "root", {"kind": "webform", "name": "shop", "title": "Сайт"}
    )
    assert channel.status == 201, channel.body
    robot = {
        "trigger": {"type": "event", "event": "conversation.created"},
        "actions": [{"type": "flag", "code": "x", "reason": "x"}],
    }
    for name in BROKEN:
        refused = [
            await api.post(
                "/api/v1/channels", "root", {"kind": "webform", "name": "form", "title": name}
            ),
            await api.call(
                "PATCH", f"/api/v1/channels/{channel.body['id']}", "root", json={"title": name}
            ),
            await api.post("/api/v1/robots", "root", {"name": name, **robot}),
            await api.post(
                "/api/v1/custom-fields",
                "root",
                {"entity": "contact", "label": name, "kind": "text"},
            ),
            await api.post(
                "/api/v1/custom-fields",
                "root",
                {"entity": "contact", "label": "Канал", "kind": "list", "options": [name]},
            ),
            await api.post(
                "/api/v1/contacts",
                "olga",
                {"name": "Иван", "organisations": [{"id": org.body["id"], "position": name}]},
            ),
        ]
        assert [r.status for r in refused] == [422] * 6, (name, [r.body for r in refused])
        assert [[d["field"] for d in r.body["error"]["details"]] for r in refused] == [
            ["title"],
            ["title"],
            ["name"],
            ["label"],
            ["options.0"],
            ["organisations.0.position"],
        ]
    async with api.hub.db.sessions() as session:
        assert (await session.execute(select(Contact))).first() is None


async def test_names_from_channels_are_cleaned_to_one_line(api: Api) -> None:
    conversation = await api.inbound(name="  Анна\r\nСоколова\u2028 \x00", phone="+79160000077")
    card = (await api.get(f"/api/v1/conversations/{conversation}", "sveta")).body["contact"]
    assert card["name"] == "Анна Соколова"
    # A plain name stays as it was, inner spacing included as one space.
    other = await api.inbound(name="Пётр  Иванович", phone="+79160000078")
    card = (await api.get(f"/api/v1/conversations/{other}", "sveta")).body["contact"]
    assert card["name"] == "Пётр Иванович"
