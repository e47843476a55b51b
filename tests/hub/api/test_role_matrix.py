"""Who may call what, generated from the API document: every operation names the least role
it needs (`x-okno-role`), and each role below it is refused before anything is read or
written — anonymous callers with 401, signed-in ones with 403. A new endpoint without a rule,
or with a rule its view does not enforce, fails here."""

from __future__ import annotations

import re

from hub.models import Role

from .conftest import Api
from .test_errors_and_openapi import get_document

RANKS = {"operator": 1, "supervisor": 2, "admin": 3}
# Who stands for each role below the one an operation needs (api's users: olga, sveta).
CALLERS = {"operator": "olga", "supervisor": "sveta"}


def concrete(path: str) -> str:
    """A documented path with its parameters filled (a small number fits every pattern)."""
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_operation_refuses_every_role_below_its_own(api: Api) -> None:
    await api.add_user("root", Role.admin)
    document = await get_document(api)
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            needed = operation.get("x-okno-role")
            assert needed in RANKS, f"{method.upper()} {path} names no role"
            url = concrete(path)
            body = {} if method in ("post", "put", "patch") else None
            anonymous = await api.call(method.upper(), url, None, json=body)
            assert anonymous.status == 401, (method, path, anonymous.status)
            for role, login in CALLERS.items():
                if RANKS[role] >= RANKS[needed]:
                    continue
                refused = await api.call(method.upper(), url, login, json=body)
                assert refused.status == 403, (method, path, role, refused.status)
                checked += 1
    # The administrators' and supervisors' operations exist and were all tried.
    assert checked >= 40


async def test_every_reading_operation_lets_in_every_role_at_or_above_its_own(api: Api) -> None:
    """The other half of the rule: a role the document lets in is not refused by the view (a
    rule stricter in the code than in the document fails here). Reads only, so no call changes
    what the next one finds; the path's ids name nothing, so 404 is an answer too."""
    await api.add_user("root", Role.admin)
    callers = {"operator": "olga", "supervisor": "sveta", "admin": "root"}
    document = await get_document(api)
    checked = 0
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        needed = operation["x-okno-role"]
        for role, login in callers.items():
            if RANKS[role] < RANKS[needed]:
                continue
            headers = {"Authorization": f"Bearer {api.tokens[login]}"}
            # Raw: some answers are files (CSV, ZIP), not JSON.
            async with api.client.get(concrete(path), headers=headers) as answer:
                status, text = answer.status, (await answer.read())[:300]
            assert status not in (401, 403), ("GET", path, role, status, text)
            assert status < 500, ("GET", path, role, status, text)
            checked += 1
    assert checked >= 60
