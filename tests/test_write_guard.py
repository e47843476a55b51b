"""Only `hub/actions` writes (ARCHITECTURE rule 3): the tree is checked, and so is the guard.

The guard itself lives in `tests/write_guard.py`; the snippets below pin what it reports.
"""

from __future__ import annotations

from textwrap import dedent

import pytest

from tests.write_guard import (
    ROOT,
    Violation,
    describe,
    guarded_modules,
    mapped_attribute_names,
    scan_source,
    scan_tree,
)

# A fixed set, so the snippets do not depend on the models of the day.
MAPPED = frozenset({"team_id", "queued_at", "presence_at", "name", "status"})


def found(source: str, path: str = "routing/example.py") -> list[tuple[int, str]]:
    return [(v.line, v.kind) for v in scan_source(dedent(source), path, MAPPED)]


def test_nothing_outside_hub_actions_writes() -> None:
    violations = scan_tree()
    assert violations == [], "writes outside hub/actions:\n" + describe(violations)


def test_the_guard_reads_every_package_but_the_writers() -> None:
    modules = {p.relative_to(ROOT).as_posix() for p in guarded_modules()}
    assert "routing/presence.py" in modules
    assert "hub/auth.py" in modules
    assert "hub/api/conversations.py" in modules
    assert "agent_ui/ws.py" in modules
    assert "connectors/base.py" in modules
    assert "robots/__init__.py" in modules
    assert not any(m.startswith(("hub/actions/", "hub/migrations/")) for m in modules)
    assert not any(m.startswith("tests/") for m in modules)


def test_mapped_names_come_from_the_models() -> None:
    names = mapped_attribute_names()
    assert {"queued_at", "team_id", "presence_at", "on_call", "last_used_at"} <= names
    assert "__mapper__" not in names
    assert "metadata" not in names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("session.add(row)\n", [(1, "session-write")]),
        ("uow.session.add_all(rows)\n", [(1, "session-write")]),
        ("self._session.delete(row)\n", [(1, "session-write")]),
        ("db_session.merge(row)\n", [(1, "session-write")]),
        (
            """\
            async def f(hub):
                async with hub.db.sessions() as s:
                    s.add(row)
            """,
            [(3, "session-write")],
        ),
        (
            """\
            def f(s: AsyncSession) -> None:
                s.delete(row)
            """,
            [(2, "session-write")],
        ),
        # Sets, routers and HTTP clients have .add/.delete too: not database sessions.
        ("seen.add(key)\nrouter.delete('/x')\nself._client.delete(key)\n", []),
        (
            """\
            async def f(http_session: ClientSession) -> None:
                await http_session.delete(url)
            """,
            [],
        ),
        ("session.execute(select(User))\nsession.get(User, 1)\n", []),
    ],
)
def test_session_writes(source: str, expected: list[tuple[int, str]]) -> None:
    assert found(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sqlalchemy import update\nupdate(User)\n", [(2, "sql-write")]),
        ("from sqlalchemy import insert as ins\nx = ins(User)\n", [(2, "sql-write")]),
        ("from sqlalchemy import delete\nawait s.execute(delete(User))\n", [(2, "sql-write")]),
        ("import sqlalchemy as sa\nsa.update(User)\n", [(2, "sql-write")]),
        ("import sqlalchemy\nsqlalchemy.delete(User)\n", [(2, "sql-write")]),
        (
            "from sqlalchemy.dialects.postgresql import insert\ninsert(T).returning(T.id)",
            [(2, "sql-write")],
        ),
        ("from sqlalchemy.dialects import sqlite\nsqlite.insert(User)\n", [(2, "sql-write")]),
        ("User.__table__.update()\n", [(1, "sql-write")]),
        ("from sqlalchemy import text\ntext('update users set x = 1')\n", [(2, "sql-write")]),
        ("conn.exec_driver_sql('DELETE FROM users')\n", [(1, "sql-write")]),
        # Reads, and dict/set methods that share the verbs' names.
        ("from sqlalchemy import select, text\nselect(User)\ntext('SELECT 1')\n", []),
        ("values.update(more)\nheaders.update(x)\n", []),
        ("from somewhere import update\nupdate(x)\n", []),
    ],
)
def test_sql_writes(source: str, expected: list[tuple[int, str]]) -> None:
    assert found(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import hub\nconversation.team_id = team.id\n", [(2, "mapped-attribute")]),
        ("from hub.models import User\nuser.presence_at += delta\n", [(2, "mapped-attribute")]),
        ("import routing\nc.queued_at: object = None\n", [(2, "mapped-attribute")]),
        ("import hub\na.name, b.status = 'x', 'y'\n", [(2, "mapped-attribute")] * 2),
        ("import hub\nsetattr(team, 'name', 'x')\n", [(2, "mapped-attribute")]),
        ("import hub\nsetattr(team, key, value)\n", [(2, "mapped-attribute")]),
        # Own state, unmapped names, plain locals and reads are fine.
        ("import hub\nself.name = name\ncls.status = 1\n", []),
        ("import hub\nconn.closing = True\nx = c.team_id\nteam_id = 3\n", []),
        ("import hub\nsetattr(obj, 'closing', True)\nsetattr(self, key, 1)\n", []),
        # A module that does not import the core cannot hold an ORM object (connectors).
        ("call.status = 'ended'\nsetattr(call, 'name', 'x')\n", []),
    ],
)
def test_mapped_attribute_writes(source: str, expected: list[tuple[int, str]]) -> None:
    assert found(source) == expected


def test_a_violation_names_its_place() -> None:
    source = "from sqlalchemy import update\n\n\nasync def f(s):\n    await s.execute(update(U))\n"
    [violation] = scan_source(source, "routing/presence.py", MAPPED)
    assert violation == Violation(
        "routing/presence.py", 5, "sql-write", "update(...) from sqlalchemy.update"
    )
    assert str(violation).startswith("routing/presence.py:5: sql-write")
