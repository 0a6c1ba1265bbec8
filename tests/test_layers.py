"""The import rules between the layers (design.md), read from the source with ast.

cloud/ never imports textual, ui/ or sim/; sim/ imports nothing of cloud/ or ui/ (so each
checks the other); ui/ never opens a socket or talks HTTP itself; sim/domain/ (what the server
does) knows nothing of its HTTP handlers. And no import cycles anywhere.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "atlas_tui"

FORBIDDEN = {
    "cloud": ("textual", "atlas_tui.ui", "atlas_tui.sim", "atlas_tui.app"),
    "sim": ("textual", "atlas_tui.cloud", "atlas_tui.ui", "atlas_tui.app", "cs"),
    "ui": ("cs", "aiohttp", "socket", "requests", "http", "urllib", "atlas_tui.sim"),
    # What the simulated server does knows nothing of requests: no handlers, parameters, HTTP.
    "sim/domain": (
        "aiohttp",
        "atlas_tui.sim.commands",
        "atlas_tui.sim.params",
        "atlas_tui.sim.protocol",
        "atlas_tui.sim.core",
        "atlas_tui.sim.server",
    ),
}


def module_name(path: Path) -> str:
    return module_name_in(PACKAGE, path)


def module_name_in(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, package: str = "") -> set[str]:
    """Absolute names of what a file imports; relative imports resolved against `package`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            found.add(".".join([*base, node.module] if node.module else base))
    return found


def violations(layer: str) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for module in imported_modules(path, package):
            for prefix in FORBIDDEN[layer]:
                if module == prefix or module.startswith(prefix + "."):
                    bad.append(f"{path.relative_to(PACKAGE)} imports {module}")
    return bad


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    assert list((PACKAGE / layer).rglob("*.py")), f"no modules found in {layer}/"
    assert violations(layer) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    # The rule above must be able to fail: a module importing textual is caught.
    sample = tmp_path / "bad.py"
    sample.write_text("import textual.app\nfrom ...ui import x\n", encoding="utf-8")
    found = imported_modules(sample, "atlas_tui.sim.commands")
    assert {"textual.app", "atlas_tui.ui"} <= found


# No import cycles ---------------------------------------------------------------------------
# Every import counts, also those inside functions and under TYPE_CHECKING: a cycle that only
# a type annotation closes is still two modules that cannot be read (or moved) one without the
# other. A module's package __init__ is not counted as imported with it.

# Layers that still have cycles, each with the reason; strict, so the test turns red (XPASS) the
# moment the cycle is gone, and the mark must then go.
CYCLES_LEFT: dict[str, str] = {}


def layer_of(module: str) -> str:
    """cloud, sim or ui; "app" for the modules beside them (app.py, cli.py, settings.py...)."""
    parts = module.split(".")
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "app"


def import_targets(path: Path, package: str) -> set[str]:
    """What a file imports, naming ``from x import y`` as ``x.y`` (y may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, node.module] if node.module else parts)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the modules of the same package tree it imports (longest known prefix)."""
    paths = {module_name_in(root, p): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges: set[str] = set()
        for target in import_targets(path, package):
            while target and target not in paths:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


@functools.cache
def package_cycles() -> list[list[str]]:
    return cycles(import_graph(PACKAGE))


LAYERS = sorted({layer_of(module_name(path)) for path in PACKAGE.rglob("*.py")})


@pytest.mark.parametrize(
    "layer",
    [
        pytest.param(layer, marks=pytest.mark.xfail(strict=True, reason=CYCLES_LEFT[layer]))
        if layer in CYCLES_LEFT
        else layer
        for layer in LAYERS
    ],
)
def test_no_import_cycles(layer: str) -> None:
    found = [c for c in package_cycles() if any(layer_of(m) == layer for m in c)]
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_check_sees_a_cycle(tmp_path: Path) -> None:
    # The check above must be able to fail: a three-module cycle through a relative
    # `from . import`, one hidden in a function, is found; a package __init__ is not counted.
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import a\n", encoding="utf-8")
    (pkg / "a.py").write_text("from .sub import b\n", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("from ..c import thing\n", encoding="utf-8")
    (pkg / "c.py").write_text("def f():\n    from . import a\n", encoding="utf-8")
    (pkg / "d.py").write_text("import pkg.a\n", encoding="utf-8")
    assert cycles(import_graph(pkg)) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
