"""The import rules between the layers (design.md), read from the source with ast.

cloud/ never imports textual, ui/ or sim/; sim/ imports nothing of cloud/ or ui/ (so each
checks the other); ui/ never opens a socket or talks HTTP itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "atlas_tui"

FORBIDDEN = {
    "cloud": ("textual", "atlas_tui.ui", "atlas_tui.sim", "atlas_tui.app"),
    "sim": ("textual", "atlas_tui.cloud", "atlas_tui.ui", "atlas_tui.app", "cs"),
    "ui": ("cs", "aiohttp", "socket", "requests", "http", "urllib", "atlas_tui.sim"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
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
