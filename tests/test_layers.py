"""Import directions between the layers (ARCHITECTURE "Layout" and rule 1), read from the AST.

Every import counts, wherever it is written: at module level, inside a function, under
`if TYPE_CHECKING:`, relative (`from ..host import x`) resolved against the importing module,
and `importlib.import_module("...")` / `__import__("...")` given a literal name.

The rules:
- No module of hub (core, host and edges alike), routing or robots imports a connector kind
  (connectors.<kind>, a package under connectors/). The connectors' contract (the top-level
  modules connectors.base, .capabilities, .registry, .runner) is no kind: the hub checks
  capabilities (`isinstance(connector, CallControl)`), never a connector's package.
- The core (every module of `hub` outside its host and edges: the top-level modules, models,
  actions, queries, policy, migrations) imports neither the edges (hub.api, hub.cli, hub.demo),
  nor the host (hub.host), nor agent_ui or robots.
- routing and robots are called by the host and the edges, so they import none of hub.api,
  hub.cli, hub.demo, hub.host or agent_ui.
- The host imports neither hub.cli, hub.demo nor agent_ui. hub/host/app.py is exempt: it is the
  composition root that assembles the node's app from the API and the workspace. The host may
  use hub.api (webhooks answer errors in the API's format).
- Connectors know wire formats only (rule 1): no hub, routing, robots, agent_ui, no database
  (sqlalchemy) and no web-app layer (aiohttp.web*); aiohttp as an HTTP client is allowed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED_PACKAGES = ("hub", "routing", "robots", "connectors")
HOST_COMPOSITION_ROOT = "hub.host.app"


@dataclass(frozen=True)
class Rule:
    name: str
    # Module-name prefixes the rule applies to, and those it leaves out.
    applies_to: tuple[str, ...]
    forbidden: tuple[str, ...]  # regular expressions over a whole dotted prefix
    exempt: tuple[str, ...] = ()

    def covers(self, module: str) -> bool:
        return _under(module, self.applies_to) and not _under(module, self.exempt)

    def breaks(self, imported: str) -> bool:
        return any(re.match(rf"(?:{pattern})(?:\.|$)", imported) for pattern in self.forbidden)


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def rules(kinds: frozenset[str]) -> list[Rule]:
    kind = rf"connectors\.(?:{'|'.join(sorted(kinds))})" if kinds else r"(?!)"
    edges = (r"hub\.api", r"hub\.cli", r"hub\.demo")
    return [
        Rule(
            "the hub, routing and robots check capabilities, never a connector kind",
            applies_to=("hub", "routing", "robots"),
            forbidden=(kind,),
        ),
        Rule(
            "the core imports no host, edge, agent_ui or robots",
            applies_to=("hub",),
            exempt=("hub.api", "hub.cli", "hub.demo", "hub.host"),
            forbidden=(*edges, r"hub\.host", r"agent_ui", r"robots"),
        ),
        Rule(
            "routing and robots import no host, edge or agent_ui",
            applies_to=("routing", "robots"),
            forbidden=(*edges, r"hub\.host", r"agent_ui"),
        ),
        Rule(
            "the host imports no cli, demo or agent_ui (app.py, the composition root, may)",
            applies_to=("hub.host",),
            exempt=(HOST_COMPOSITION_ROOT,),
            forbidden=(r"hub\.cli", r"hub\.demo", r"agent_ui"),
        ),
        Rule(
            "connectors know wire formats only: no hub, routing, robots, agent_ui, database "
            "or web-app layer",
            applies_to=("connectors",),
            forbidden=(
                r"hub",
                r"routing",
                r"robots",
                r"agent_ui",
                r"sqlalchemy",
                # aiohttp's server side (web, web_request, ...); its HTTP client is allowed.
                r"aiohttp\.web\w*",
            ),
        ),
    ]


def module_of(path: str) -> tuple[str, str]:
    """(module name, the package its relative imports start from) of a repository path."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def imported_names(tree: ast.AST, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything the module imports; `from m import n` yields m and
    m.n, since n may be a submodule (`from hub import api`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _absolute(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def check(path: str, source: str, kinds: frozenset[str]) -> list[str]:
    """The violations of one file, as 'path:line: imports name (rule)'."""
    module, package = module_of(path)
    applicable = [rule for rule in rules(kinds) if rule.covers(module)]
    found: list[str] = []
    seen: set[tuple[int, str]] = set()
    for line, name in imported_names(ast.parse(source, path), package):
        for rule in applicable:
            if rule.breaks(name) and (line, rule.name) not in seen:
                seen.add((line, rule.name))
                found.append(f"{path}:{line}: imports {name} ({rule.name})")
    return found


def connector_kinds(root: Path = ROOT) -> frozenset[str]:
    """Each package under connectors/ is one kind; its top-level modules are the contract."""
    return frozenset(p.parent.name for p in (root / "connectors").glob("*/__init__.py"))


def test_no_module_imports_against_the_layers() -> None:
    kinds = connector_kinds()
    assert {"asterisk", "telegram", "vk", "email", "webform", "widget"} <= kinds
    violations = [
        violation
        for package in CHECKED_PACKAGES
        for file in sorted((ROOT / package).rglob("*.py"))
        for violation in check(
            file.relative_to(ROOT).as_posix(), file.read_text(encoding="utf-8"), kinds
        )
    ]
    assert violations == [], "\n".join(violations)


# -- the checker itself, on hand-written snippets ----------------------------------------------

KINDS = frozenset({"asterisk", "telegram"})


def lines_of(path: str, source: str) -> list[int]:
    return [int(v.split(":")[1]) for v in check(path, source, KINDS)]


def test_a_connector_kind_in_the_core_is_caught_however_it_is_imported() -> None:
    source = (
        "from __future__ import annotations\n"  # 1
        "from connectors.asterisk import AmiError\n"  # 2
        "import connectors.telegram.api\n"  # 3
        "from connectors import asterisk\n"  # 4
        "def later() -> None:\n"  # 5
        "    from connectors.telegram import TelegramConnector\n"  # 6
        "import importlib\n"  # 7
        "importlib.import_module('connectors.asterisk')\n"  # 8
    )
    assert lines_of("hub/host_free_core.py", source) == [2, 3, 4, 6, 8]
    assert check("hub/actions/calls.py", "from connectors.asterisk import X\n", KINDS) == [
        "hub/actions/calls.py:1: imports connectors.asterisk "
        "(the hub, routing and robots check capabilities, never a connector kind)"
    ]


def test_the_connectors_contract_is_allowed_in_the_core() -> None:
    source = (
        "from connectors.base import CallEvent\n"
        "from connectors.capabilities import CallControl\n"
        "from connectors.registry import connector_class\n"
        "from connectors import base\n"
        "from hub.models import User\n"
        "from . import files\n"
    )
    assert check("hub/actions/calls.py", source, KINDS) == []
    # A kind's name as a prefix of another word is no kind.
    assert check("hub/core.py", "import connectors.asteriskish\n", KINDS) == []


def test_relative_imports_are_resolved_before_the_rules() -> None:
    assert lines_of("hub/actions/calls.py", "from ..host import leased\n") == [1]
    assert lines_of("hub/actions/__init__.py", "from ..api import errors\n") == [1]
    assert lines_of("hub/models/__init__.py", "from .people import User\n") == []
    assert lines_of("hub/api/calls.py", "from ..host.telephony import extension_of\n") == []


def test_the_core_may_not_reach_the_edges_host_or_ui() -> None:
    for name in ("hub.api", "hub.cli.commands", "hub.demo", "hub.host.leased", "agent_ui"):
        assert lines_of("hub/policy.py", f"import {name}\n") == [1], name
    assert lines_of("hub/migrations/env.py", "from robots import rules\n") == [1]
    assert lines_of("hub/policy.py", "from hub import api\n") == [1]
    assert lines_of("hub/policy.py", "from hub import bus, events\n") == []
    # Under TYPE_CHECKING it is still an import.
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hub.api import x\n"
    assert lines_of("hub/events.py", typed) == [3]


def test_routing_and_robots() -> None:
    assert lines_of("routing/ingest.py", "from agent_ui import fanout\n") == [1]
    assert lines_of("robots/engine.py", "from connectors.telegram import api\n") == [1]
    assert lines_of("routing/calls.py", "from hub.host import telephony\n") == [1]
    assert lines_of("routing/calls.py", "from hub.actions import calls\n") == []
    assert lines_of("routing/calls.py", "from connectors.base import CallEvent\n") == []


def test_the_host_and_its_composition_root() -> None:
    assert lines_of("hub/host/webhooks.py", "from agent_ui import setup\n") == [1]
    assert lines_of("hub/host/workers.py", "from hub.cli import main\n") == [1]
    assert lines_of("hub/host/webhooks.py", "from hub.api.errors import render\n") == []
    assert lines_of("hub/host/app.py", "from agent_ui import setup\nfrom hub.api import s\n") == []


def test_no_part_of_the_hub_imports_a_connector_kind() -> None:
    kind = "from connectors.asterisk import AsteriskConnector\n"
    for path in ("hub/host/telephony.py", "hub/host/app.py", "hub/api/calls.py", "hub/cli/x.py"):
        assert lines_of(path, kind) == [1], path
    runner = "from connectors.runner import ConnectorRunner\n"
    assert lines_of("hub/host/app.py", runner) == []


def test_connectors_know_wire_formats_only() -> None:
    for source in (
        "from hub.models import Message\n",
        "import hub.db\n",
        "from hub.actions import messages\n",
        "from aiohttp import web\n",
        "from aiohttp.web import Response\n",
        "import aiohttp.web_request\n",
        "from sqlalchemy import select\n",
        "from routing import ingest\n",
    ):
        assert lines_of("connectors/telegram/api.py", source) == [1], source
    client = "import aiohttp\nfrom aiohttp import ClientSession, ClientTimeout\n"
    assert lines_of("connectors/vk/client.py", client) == []
    assert lines_of("connectors/asterisk/connector.py", "from connectors.base import X\n") == []


def test_modules_outside_the_checked_layers_are_left_alone() -> None:
    assert check("agent_ui/widget_socket.py", "from connectors.telegram import x\n", KINDS) == []
    assert check("tests/x.py", "from connectors.asterisk import x\n", KINDS) == []
