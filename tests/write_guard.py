"""The write guard: finds database writes outside `hub/actions` (ARCHITECTURE rule 3).

It reads source, never imports it, so a module is judged by what it says. Three kinds of write:

- a session write: `.add/.add_all/.delete/.merge` (and the bulk helpers) called on something
  that is a session: a name or attribute ending in `session` (`session`, `uow.session`,
  `db_session`), or a name bound to one (`async with db.sessions() as s`, `s: AsyncSession`).
  An aiohttp `ClientSession` is not a database session and is left alone.
- an SQL write: SQLAlchemy's `insert(`, `update(`, `delete(` however imported (`from
  sqlalchemy import update as u`, `import sqlalchemy as sa`, `sqlalchemy.dialects.*`), the
  same verbs on a `__table__`, and raw SQL (`text(...)`, `exec_driver_sql(...)`) that starts
  with INSERT, UPDATE, DELETE, MERGE or REPLACE.
- an attribute write on a mapped object: `x.attr = ...`, `x.attr += ...` or `setattr(x, ...)`
  where `attr` is a mapped attribute of some model (collected from the SQLAlchemy mappers) and
  `x` is not `self`/`cls`. Only modules that import from `hub` or `routing` are judged this
  way: an ORM object reaches code only through them (connectors never import the models, and
  their own call ledgers have fields named like the model's columns).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The packages whose modules may not write, and the places inside them that may.
GUARDED_PACKAGES = ("hub", "routing", "agent_ui", "connectors", "robots")
WRITERS = ("hub/actions", "hub/migrations")

SESSION_METHODS = frozenset(
    {"add", "add_all", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings"}
    | {"bulk_update_mappings"}
)
SQL_VERBS = frozenset({"insert", "update", "delete"})
RAW_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE")
SESSION_TYPES = frozenset({"AsyncSession", "Session"})
NOT_DB_SESSION_TYPES = frozenset({"ClientSession"})
SELF_NAMES = frozenset({"self", "cls"})


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    kind: str  # "session-write" | "sql-write" | "mapped-attribute"
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.detail}"


def mapped_attribute_names() -> frozenset[str]:
    """Every column, relationship and synonym name of every model in `hub.models`."""
    from hub.models import Base

    return frozenset(
        key for mapper in Base.registry.mappers for key in mapper.all_orm_descriptors.keys()
    ) - {"__mapper__"}


def guarded_modules(root: Path = ROOT) -> list[Path]:
    found = []
    for package in GUARDED_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if not any(relative.startswith(w + "/") for w in WRITERS):
                found.append(path)
    return found


def scan_tree(root: Path = ROOT, mapped: frozenset[str] | None = None) -> list[Violation]:
    names = mapped_attribute_names() if mapped is None else mapped
    violations: list[Violation] = []
    for path in guarded_modules(root):
        relative = path.relative_to(root).as_posix()
        violations += scan_source(path.read_text(encoding="utf-8"), relative, names)
    return sorted(violations)


def scan_source(source: str, path: str, mapped: frozenset[str]) -> list[Violation]:
    tree = ast.parse(source, filename=path)
    return sorted(_Scanner(path, mapped, _ModuleFacts.of(tree)).run(tree))


def _terminal(node: ast.expr) -> str | None:
    """The last name of `a.b.c` (`c`), of `a` itself, or of the function a call calls."""
    if isinstance(node, ast.Call):
        return _terminal(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _terminal(node.value)
    return None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _annotation_names(node: ast.expr | None) -> set[str]:
    """Type names an annotation mentions (`AsyncSession | None` -> {"AsyncSession", "None"})."""
    if node is None:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return set()
    return {
        name
        for sub in ast.walk(node)
        if isinstance(sub, ast.Name | ast.Attribute) and (name := _terminal(sub))
    }


@dataclass(frozen=True)
class _ModuleFacts:
    """What the scanner needs to know about a module before judging its lines."""

    # local name -> dotted origin, for names that come from sqlalchemy
    sqlalchemy_names: dict[str, str]
    session_names: frozenset[str]
    not_session_names: frozenset[str]
    imports_core: bool

    @classmethod
    def of(cls, tree: ast.Module) -> _ModuleFacts:
        sqlalchemy_names: dict[str, str] = {}
        sessions: set[str] = set()
        not_sessions: set[str] = set()
        imports_core = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports_core |= alias.name.split(".")[0] in ("hub", "routing")
                    if alias.name.split(".")[0] == "sqlalchemy":
                        local = alias.asname or alias.name.split(".")[0]
                        origin = alias.name if alias.asname else local
                        sqlalchemy_names[local] = origin
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imports_core |= node.module.split(".")[0] in ("hub", "routing")
                if node.module.split(".")[0] == "sqlalchemy":
                    for alias in node.names:
                        sqlalchemy_names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                made_by = _terminal(node.context_expr) or ""
                if "session" in made_by.lower():
                    sessions.add(node.optional_vars.id)
            elif isinstance(node, ast.arg | ast.AnnAssign):
                if isinstance(node, ast.arg):
                    target: str | None = node.arg
                else:
                    target = _terminal(node.target)
                types = _annotation_names(node.annotation)
                if target and types & SESSION_TYPES:
                    sessions.add(target)
                if target and types & NOT_DB_SESSION_TYPES:
                    not_sessions.add(target)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                made_by = _terminal(node.value) or ""
                for assigned in node.targets:
                    name = _terminal(assigned)
                    if name and made_by in SESSION_TYPES:
                        sessions.add(name)
                    if name and made_by in NOT_DB_SESSION_TYPES:
                        not_sessions.add(name)
        return cls(sqlalchemy_names, frozenset(sessions), frozenset(not_sessions), imports_core)


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, mapped: frozenset[str], facts: _ModuleFacts) -> None:
        self.path = path
        self.mapped = mapped
        self.facts = facts
        self.found: list[Violation] = []

    def run(self, tree: ast.Module) -> list[Violation]:
        self.visit(tree)
        return self.found

    def _report(self, node: ast.AST, kind: str, detail: str) -> None:
        self.found.append(Violation(self.path, getattr(node, "lineno", 0), kind, detail))

    # -- calls -------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SESSION_METHODS:
            if self._is_session(func.value):
                self._report(node, "session-write", f"{ast.unparse(func)}(...)")
        origin = self._sqlalchemy_origin(func)
        if origin is not None and origin.rsplit(".", 1)[-1] in SQL_VERBS:
            self._report(node, "sql-write", f"{ast.unparse(func)}(...) from {origin}")
        if (
            isinstance(func, ast.Attribute)
            and func.attr in SQL_VERBS
            and _terminal(func.value) == "__table__"
        ):
            self._report(node, "sql-write", f"{ast.unparse(func)}(...)")
        if self._is_raw_sql(func) and node.args and _starts_with_write(node.args[0]):
            self._report(node, "sql-write", f"{ast.unparse(func)}(<raw write>)")
        if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
            self._check_setattr(node)
        self.generic_visit(node)

    def _is_session(self, receiver: ast.expr) -> bool:
        name = _terminal(receiver)
        if name is None or isinstance(receiver, ast.Call):
            return False
        if name in self.facts.not_session_names:
            return False
        return name.lower().endswith("session") or name in self.facts.session_names

    def _sqlalchemy_origin(self, func: ast.expr) -> str | None:
        dotted = _dotted(func)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        origin = self.facts.sqlalchemy_names.get(head)
        if origin is None:
            return None
        return f"{origin}.{rest}" if rest else origin

    def _is_raw_sql(self, func: ast.expr) -> bool:
        origin = self._sqlalchemy_origin(func)
        if origin is not None and origin.rsplit(".", 1)[-1] == "text":
            return True
        return isinstance(func, ast.Attribute) and func.attr == "exec_driver_sql"

    def _check_setattr(self, node: ast.Call) -> None:
        if not self.facts.imports_core:
            return
        target, name = node.args[0], node.args[1]
        if isinstance(target, ast.Name) and target.id in SELF_NAMES:
            return
        literal = name.value if isinstance(name, ast.Constant) else None
        if isinstance(literal, str) and literal not in self.mapped:
            return
        # A computed name may be any column: treated as a write to one.
        self._report(node, "mapped-attribute", f"setattr({ast.unparse(target)}, ...)")

    # -- assignments -------------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._check_target(node.target)
        self.generic_visit(node)

    def _check_target(self, target: ast.expr) -> None:
        for leaf in _leaves(target):
            if not (self.facts.imports_core and isinstance(leaf, ast.Attribute)):
                continue
            owner = leaf.value
            if isinstance(owner, ast.Name) and owner.id in SELF_NAMES:
                continue
            if leaf.attr in self.mapped:
                self._report(leaf, "mapped-attribute", f"{ast.unparse(leaf)} = ...")


def _leaves(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _leaves(element)
    elif isinstance(target, ast.Starred):
        yield from _leaves(target.value)
    else:
        yield target


def _starts_with_write(node: ast.expr) -> bool:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    words = node.value.split()
    return bool(words) and words[0].upper() in RAW_WRITE_VERBS


def describe(violations: Iterable[Violation]) -> str:
    return "\n".join(str(v) for v in violations)
