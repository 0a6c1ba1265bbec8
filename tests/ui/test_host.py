"""Screens reach the App only through ui/host.py's AppServices: the App provides every
member of it, and no screen uses anything of the App that the interface does not list."""

from __future__ import annotations

import re
from pathlib import Path

from atlas_tui.app import AtlasApp
from atlas_tui.settings import Settings
from atlas_tui.ui.host import AppServices

UI = Path(__file__).resolve().parents[2] / "atlas_tui" / "ui"


def members() -> set[str]:
    methods = {name for name, value in vars(AppServices).items()
               if callable(value) and not name.startswith("_")}
    return set(AppServices.__annotations__) | methods


def test_the_app_provides_every_member_of_the_interface() -> None:
    app = AtlasApp(settings=Settings())
    assert members() >= {"session", "tracker", "actions", "report", "run_actions"}
    assert sorted(m for m in members() if not hasattr(app, m)) == []


def test_screens_use_only_what_the_interface_lists() -> None:
    used: dict[str, set[str]] = {}
    reach = re.compile(r"(?:\.atlas|services\([\w.]+\))\.([A-Za-z_]\w*)")
    for path in UI.rglob("*.py"):
        for name in reach.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(path.name)
    assert used, "no screen uses the App? the pattern above is stale"
    assert {name: files for name, files in used.items() if name not in members()} == {}
