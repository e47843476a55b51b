"""Custom field definitions over HTTP: admins define them, everyone reads them."""

from __future__ import annotations

from typing import Any

import pytest

from hub.actions.custom_fields import key_from_label, reorder_fields
from hub.auth import Principal
from hub.models import CrmEntity, Role
from hub.policy import Forbidden, InvalidInput, SystemActor

from .conftest import Api

FIELDS = "/api/v1/custom-fields"


async def make(api: Api, **body: Any) -> dict[str, Any]:
    reply = await api.post(FIELDS, "boss", body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_keys_come_from_labels_in_latin() -> None:
    assert key_from_label("Должность ЛПР") == "dolzhnost_lpr"
    assert key_from_label("Отрасль") == "otrasl"
    assert key_from_label("Источник бюджета") == "istochnik_byudzheta"
    assert key_from_label("  Щука, ёж и Съезд! ") == "shchuka_ezh_i_sezd"
    assert key_from_label("2024 год") == "f_2024_god"
    assert key_from_label("—") == "field"


async def test_admin_defines_fields_with_unique_keys_in_order(api: Api) -> None:
    await api.add_user("boss", Role.admin)
    first = await make(
        api, entity="organisation", label="Отрасль", kind="list", options=["Стройка", "Retail"]
    )
    assert first == {
        "id": first["id"],
        "entity": "organisation",
        "key": "otrasl",
        "label": "Отрасль",
        "kind": "list",
        "required": False,
        "options": ["Стройка", "Retail"],
        "position": 1,
    }
    second = await make(api, entity="organisation", label="отрасль", kind="text")
    third = await make(api, entity="organisation", label="Отрасль!", kind="text")
    # The same label on another entity keeps the plain key.
    on_deal = await make(api, entity="deal", label="Отрасль", kind="text", required=True)
    assert (second["key"], third["key"], on_deal["key"]) == ("otrasl_2", "otrasl_3", "otrasl")
    assert (second["position"], third["position"], on_deal["position"]) == (2, 3, 1)

    explicit = await api.post(
        FIELDS, "boss", {"entity": "organisation", "label": "X", "kind": "text", "key": "otrasl"}
    )
    assert explicit.status == 409 and explicit.body["error"]["id"] == "custom-field-exists"

    # Everyone signed in reads them; the entity filter narrows.
    listed = await api.get(FIELDS, "olga", entity="organisation")
    assert listed.status == 200
    assert [f["key"] for f in listed.body["items"]] == ["otrasl", "otrasl_2", "otrasl_3"]
    everything = await api.get(FIELDS, "olga")
    assert [(f["entity"], f["key"]) for f in everything.body["items"]] == [
        ("deal", "otrasl"),
        ("organisation", "otrasl"),
        ("organisation", "otrasl_2"),
        ("organisation", "otrasl_3"),
    ]
    assert (await api.get(FIELDS, None)).status == 401


async def test_patch_moves_relabels_and_delete_renumbers(api: Api) -> None:
    await api.add_user("boss", Role.admin)
    a = await make(api, entity="contact", label="Город", kind="text")
    b = await make(api, entity="contact", label="Должность ЛПР", kind="list", options=["Директор"])
    c = await make(api, entity="contact", label="День рождения", kind="date")

    moved = await api.call("PATCH", f"{FIELDS}/{c['id']}", "boss", json={"position": 1})
    assert moved.status == 200 and moved.body["position"] == 1
    order = await api.get(FIELDS, "olga", entity="contact")
    assert [(f["key"], f["position"]) for f in order.body["items"]] == [
        ("den_rozhdeniya", 1),
        ("gorod", 2),
        ("dolzhnost_lpr", 3),
    ]

    changed = await api.call(
        "PATCH",
        f"{FIELDS}/{b['id']}",
        "boss",
        json={"label": "ЛПР", "required": True, "options": ["Директор", "Закупщик"]},
    )
    assert changed.status == 200
    # The key never changes with the label: records keep their values under it.
    assert (changed.body["key"], changed.body["label"], changed.body["required"]) == (
        "dolzhnost_lpr",
        "ЛПР",
        True,
    )
    assert changed.body["options"] == ["Директор", "Закупщик"]
    kind_change = await api.call("PATCH", f"{FIELDS}/{b['id']}", "boss", json={"kind": "text"})
    assert kind_change.status == 422

    gone = await api.call("DELETE", f"{FIELDS}/{c['id']}", "boss")
    assert gone.status == 200 and gone.body["key"] == "den_rozhdeniya"
    order = await api.get(FIELDS, "olga", entity="contact")
    assert [(f["key"], f["position"]) for f in order.body["items"]] == [
        ("gorod", 1),
        ("dolzhnost_lpr", 2),
    ]
    missing = await api.call("DELETE", f"{FIELDS}/{c['id']}", "boss")
    assert missing.status == 404 and missing.body["error"]["id"] == "no-such-custom-field"
    assert a["position"] == 1


async def test_list_fields_need_unique_options(api: Api) -> None:
    await api.add_user("boss", Role.admin)

    async def refused(body: dict[str, Any]) -> list[tuple[str, str]]:
        reply = await api.post(FIELDS, "boss", body)
        assert reply.status == 422, reply.body
        return [(d["field"], d["type"]) for d in reply.body["error"]["details"]]

    base = {"entity": "deal", "label": "Источник бюджета"}
    assert await refused({**base, "kind": "list"}) == [("options", "options-required")]
    assert await refused({**base, "kind": "multilist", "options": []}) == [
        ("options", "options-required")
    ]
    assert await refused({**base, "kind": "list", "options": ["Свой", "Кредит", "Свой"]}) == [
        ("options.2", "option-duplicate")
    ]
    assert await refused({**base, "kind": "list", "options": ["Свой", "  "]}) == [
        ("options.1", "option-blank")
    ]
    assert await refused({**base, "kind": "text", "options": ["Свой"]}) == [
        ("options", "options-not-allowed")
    ]
    assert (await refused({**base, "kind": "colour"}))[0][0] == "kind"
    assert (await refused({**base, "kind": "text", "key": "Плохой ключ"}))[0][0] == "key"
    field = await make(api, **base, kind="list", options=["Свой"])
    patched = await api.call(
        "PATCH", f"{FIELDS}/{field['id']}", "boss", json={"options": ["А", "А"]}
    )
    assert patched.status == 422
    assert patched.body["error"]["details"][0]["type"] == "option-duplicate"
    # Nothing was written by the refused edits.
    listed = await api.get(FIELDS, "boss", entity="deal")
    assert [(f["key"], f["options"]) for f in listed.body["items"]] == [
        ("istochnik_byudzheta", ["Свой"])
    ]


async def test_only_admins_define_fields(api: Api) -> None:
    await api.add_user("boss", Role.admin)
    field = await make(api, entity="contact", label="Город", kind="text")
    body = {"entity": "contact", "label": "Хобби", "kind": "text"}
    for login in ("olga", "sveta"):
        assert (await api.post(FIELDS, login, body)).status == 403
        patch = await api.call("PATCH", f"{FIELDS}/{field['id']}", login, json={"label": "X"})
        assert patch.status == 403
        assert (await api.call("DELETE", f"{FIELDS}/{field['id']}", login)).status == 403
    listed = await api.get(FIELDS, "olga")
    assert [(f["label"]) for f in listed.body["items"]] == ["Город"]


async def test_reorder_puts_named_fields_first_and_needs_an_admin(api: Api) -> None:
    await api.add_user("boss", Role.admin)
    made = [
        await make(api, entity="organisation", label=label, kind="text")
        for label in ("Один", "Два", "Три")
    ]
    ids = [field["id"] for field in made]
    system = SystemActor("test")
    ordered = await reorder_fields(api.hub, system, CrmEntity.organisation, [ids[2], ids[0]])
    assert [(f.key, f.position) for f in ordered] == [("tri", 1), ("odin", 2), ("dva", 3)]
    listed = await api.get(FIELDS, "olga", entity="organisation")
    assert [f["key"] for f in listed.body["items"]] == ["tri", "odin", "dva"]
    with pytest.raises(InvalidInput) as refused:
        await reorder_fields(api.hub, system, CrmEntity.contact, [ids[0]])
    assert refused.value.details[0]["type"] == "custom-field-unknown"
    olga = Principal(api.users["olga"].id, "olga", "Ольга Иванова", Role.operator, "ru")
    with pytest.raises(Forbidden):
        await reorder_fields(api.hub, olga, CrmEntity.organisation, ids)
