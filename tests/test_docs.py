"""The project documents itself: its map is inside the repository and says what is there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    texts = (".py", ".md", ".toml", ".cfg", ".txt", "Makefile", ".ini")
    return [ROOT / n for n in names if n.endswith(texts) and (ROOT / n).is_file()]


def test_nothing_in_the_repository_points_outside_it() -> None:
    outside = re.compile(r"\.\./shared|shared/docs")
    hits = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked_text_files()
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert hits == []


def test_the_readme_links_the_architecture_page() -> None:
    assert ARCHITECTURE.is_file()
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_room_the_architecture_page_names_exists() -> None:
    """The tree drawn in docs/architecture.md names only files and folders that exist."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    tree = text.split("```", 2)[1]
    named = set(re.findall(r"(?<![\w./~])([a-z_]+(?:\.py|/))", tree))
    package = ROOT / "atlas_tui"
    existing = {p.name + ("/" if p.is_dir() else "") for p in package.rglob("*")}
    existing.add("atlas_tui/")
    assert named, "the page draws no tree"
    assert sorted(named - existing) == []
