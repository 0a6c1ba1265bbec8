"""No import cycle between the App and its screens (design.md: screens depend on ui/host.py,
not on the App). Read from the source with ast, TYPE_CHECKING imports included: an import
made only for a type still ties the modules together for a reader."""

from __future__ import annotations

from tests.test_layers import PACKAGE, imported_modules, module_name


def import_graph(roots: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, for modules under `roots`."""
    paths = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        if not name.startswith(roots):
            continue
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for module in imported_modules(path, package):
            while module and module not in paths:  # `from pkg.mod import name`
                module = module.rpartition(".")[0]
            if module and module != name and module.startswith(roots):
                deps.add(module)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_cycle_between_the_app_and_the_ui() -> None:
    graph = import_graph(("atlas_tui.ui", "atlas_tui.app"))
    assert "atlas_tui.ui.screens.base" in graph and "atlas_tui.app" in graph
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
