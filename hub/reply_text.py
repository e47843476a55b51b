"""Canned answers as text with variables: checked when saved, rendered in a Jinja2 sandbox.

A template is text with `{{ client.name }}`-style variables, `{% if %}` and a few filters,
nothing more. Loops, assignments, macros, calls and arithmetic are refused when the template
is saved, so rendering takes time linear in the template's length and never blocks the event
loop, whoever wrote it; the sandbox keeps it away from Python's internals.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import ChainableUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The filters a template may use: none of them makes text longer than its input by more than
# a constant, so a short template cannot produce a huge answer.
ALLOWED_FILTERS = frozenset(
    {"default", "d", "upper", "lower", "capitalize", "title", "trim", "first", "last", "length"}
)
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "number"})
# The expression and statement kinds a template may contain (everything else is refused).
ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
)
# The variables a template may name, with what each holds (shown in the editor's help).
VARIABLES: dict[str, tuple[str, ...]] = {
    "client": ("name", "phone", "email"),
    "operator": ("name",),
    "request": ("number",),
    "deal": ("title",),
    "company": ("name", "phone"),
}

_env = ImmutableSandboxedEnvironment(
    autoescape=False,  # the answer is plain text; the workspace shows it as text
    undefined=ChainableUndefined,  # {{ deal.title }} with no deal is empty, not an error
    keep_trailing_newline=True,
)
_env.globals.clear()  # no range(), lipsum(), cycler(): nothing a template could call
_env.filters = {name: f for name, f in _env.filters.items() if name in ALLOWED_FILTERS}
_env.tests = {name: t for name, t in _env.tests.items() if name in ALLOWED_TESTS}


class TemplateTextError(ValueError):
    """The text is not a template Okno renders; `reason` is a stable id for the message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _refusal(node: nodes.Node) -> TemplateTextError | None:
    if not isinstance(node, ALLOWED_NODES):
        return TemplateTextError("not-allowed", f"{type(node).__name__} is not allowed")
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        return TemplateTextError("not-allowed", f"filter {node.name} is not allowed")
    if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
        return TemplateTextError("not-allowed", f"test {node.name} is not allowed")
    if isinstance(node, nodes.Name) and node.name not in VARIABLES:
        return TemplateTextError("unknown-variable", f"unknown variable {node.name}")
    if isinstance(node, nodes.Getattr):
        # Only a variable's own fields: no methods or attributes of the values themselves.
        if not isinstance(node.node, nodes.Name):
            return TemplateTextError("not-allowed", f"attribute {node.attr} is not allowed")
        known = VARIABLES.get(node.node.name, ())
        if node.attr not in known:
            return TemplateTextError(
                "unknown-variable", f"unknown variable {node.node.name}.{node.attr}"
            )
    return None


def check(source: str) -> None:
    """Raises TemplateTextError when the text does not parse or uses what is not allowed."""
    try:
        tree = _env.parse(source)
    except TemplateError as exc:
        raise TemplateTextError("syntax", str(exc)) from None
    for node in (tree, *tree.find_all(nodes.Node)):
        refusal = _refusal(node)
        if refusal is not None:
            raise refusal


def render(source: str, values: Mapping[str, Mapping[str, str]]) -> str:
    """The template with its variables filled (the text was checked when it was saved; it is
    checked again, as a template written before a rule was tightened must still be safe)."""
    check(source)
    try:
        return _env.from_string(source).render(values)
    except TemplateError as exc:
        raise TemplateTextError("render", str(exc)) from None
