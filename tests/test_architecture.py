"""The import contract of ARCHITECTURE.md, checked over the real import graph.

Every ``import`` and ``from … import`` in ``ordercli/`` is an arrow, wherever it
stands (module level, inside a function, under ``TYPE_CHECKING``), and so is
every ``lazy_module("ordercli.…")`` of the command line. The tests fail when a
lower layer imports a higher one, when the business contexts import against
their order, when any cycle appears, or when a module below the command line
imports ordercli inside a function (the usual way to hide a cycle).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ordercli"

# Top to bottom: a module may import its own layer and the layers below it.
LAYERS = (
    "ordercli.__main__",  # `python -m ordercli`: the command line's entry point
    "ordercli.cli",
    "ordercli.einvoice",  # e-invoices: the ledger's documents as XML and Factur-X PDFs
    "ordercli.documents",
    "ordercli.io",
    "ordercli.reports",
    "ordercli.views",
    "ordercli.services",
    "ordercli.books",
    "ordercli.db",
    "ordercli.models",
    "ordercli.domain",
)
# The business contexts inside services/, top to bottom, the same way.
CONTEXTS = (
    "ordercli.services.settlement",
    "ordercli.services.sales",
    "ordercli.services.inventory",
    "ordercli.services.parties",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        # Alembic revisions are loaded by Alembic from their folder, not imported.
        if "versions" not in path.parts
    }


MODULES = _modules()


def _target(name: str) -> str | None:
    """The ordercli module an imported name lives in (a module, or a package's name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


class _Arrows(ast.NodeVisitor):
    """Every import of an ordercli module in one file, with where it stands."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.depth = 0
        self.arrows: list[tuple[str, int, bool]] = []  # target, line, inside a function

    def _add(self, name: str, line: int) -> None:
        if name == "ordercli" or name.startswith("ordercli."):
            target = _target(name)
            if target and target != "ordercli" and target != self.module:
                self.arrows.append((target, line, self.depth > 0))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            full = f"{base}.{alias.name}"
            self._add(full if full in MODULES else base, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        # The command line's deferred imports: lazy_module("ordercli.services.…").
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "lazy_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self._add(node.args[0].value, node.lineno)
        self.generic_visit(node)


def _graph() -> dict[str, list[tuple[str, int, bool]]]:
    graph = {}
    for module, path in MODULES.items():
        visitor = _Arrows(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        graph[module] = visitor.arrows
    return graph


GRAPH = _graph()


def _rank(module: str, order: tuple[str, ...]) -> int | None:
    for rank, prefix in enumerate(order):
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def test_every_module_has_a_layer():
    """A new top-level module or package must be placed in the contract first."""
    homeless = [m for m in MODULES if m != "ordercli" and _rank(m, LAYERS) is None]
    homeless = [m for m in homeless if m != "ordercli.services"]
    assert homeless == []


def _breaches(order: tuple[str, ...]) -> list[str]:
    found = []
    for module, arrows in GRAPH.items():
        here = _rank(module, order)
        for target, line, _ in arrows:
            there = _rank(target, order)
            if here is not None and there is not None and there < here:
                found.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {target}")
    return sorted(found)


def test_no_layer_imports_a_layer_above_it():
    assert _breaches(LAYERS) == []


def test_no_business_context_imports_one_above_it():
    """settlement → sales → inventory → parties, never back."""
    assert _breaches(CONTEXTS) == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    edges = defaultdict(set)
    for module, arrows in GRAPH.items():
        for target, _, _ in arrows:
            edges[module].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return components


def test_no_import_cycle_anywhere():
    assert _cycles() == []


def test_below_the_command_line_no_import_hides_in_a_function():
    """Only cli/ defers ordercli imports (so `--help` starts without the database layer);
    below it an import inside a function would only hide a cycle."""
    hidden = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {target}"
        for module, arrows in GRAPH.items()
        if not module.startswith("ordercli.cli")
        for target, line, inside_function in arrows
        if inside_function
    ]
    assert sorted(hidden) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import ordercli.books.journal\n", ["ordercli.books.journal"]),
        ("from ordercli.services.sales import invoicing\n", ["ordercli.services.sales.invoicing"]),
        ("from . import text\n", ["ordercli.domain.text"]),
        ("def f():\n    from ordercli.cli.app import app\n", ["ordercli.cli.app"]),
        ('x = lazy_module("ordercli.views.sales")\n', ["ordercli.views.sales"]),
    ],
)
def test_the_graph_sees_every_kind_of_import(source, expected):
    """The checker itself: each way of importing is an arrow (as if in domain/money.py)."""
    visitor = _Arrows("ordercli.domain.money", is_package=False)
    visitor.visit(ast.parse(source))
    assert [target for target, _, _ in visitor.arrows] == expected
