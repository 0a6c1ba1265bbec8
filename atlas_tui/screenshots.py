"""Scenes of the app on the demo cloud, as SVG: `make screenshots` writes them to
screenshots/, and the SVG snapshot tests compare the same scenes at 80x24.

    python -m atlas_tui.screenshots screenshots     # all scenes
    python -m atlas_tui.screenshots out volumes     # one scene

The demo runs with its clock frozen at a fixed instant, so every run draws the same picture.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.config import Profile
from atlas_tui.cloud.session import DEMO_SOURCE
from atlas_tui.cloud.settings import Settings
from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.volumes import VolumesScreen

SIZE = (80, 24)
FROZEN_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday morning, for stable ages

Scene = Callable[[Pilot], Awaitable[None]]


async def until(pilot: Pilot, condition: Callable[[], object], timeout: float = 15.0,
                what: str = "condition") -> None:
    """Wait for a condition without fixed sleeps."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def loaded(pilot: Pilot, screen_type: type[BrowseScreen] = BrowseScreen,
                 timeout: float = 15.0) -> BrowseScreen:
    """Wait until the current screen is a `screen_type` that has finished loading."""
    app = pilot.app

    def ready() -> bool:
        screen = app.screen
        return isinstance(screen, screen_type) and screen.updated is not None

    await until(pilot, ready, timeout, f"{screen_type.__name__} to load")
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


def demo_sim() -> SimServer:
    return SimServer(seed="demo", api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY, speed=0,
                     start=FROZEN_AT)


def demo_app(endpoint: str, **launch: object) -> AtlasApp:
    profile = Profile(name="demo", url=endpoint, api_key=DEMO_API_KEY,
                      secret_key=DEMO_SECRET_KEY, source=DEMO_SOURCE)
    return AtlasApp(Launch(**launch), profile=profile, settings=Settings())  # type: ignore[arg-type]


async def _home(pilot: Pilot) -> None:
    await loaded(pilot, InstancesScreen)
    app = pilot.app
    await until(pilot, lambda: {"snapshots", "policies"} <= app.session.inventory.loaded)  # type: ignore[attr-defined]
    await pilot.pause(0.4)  # the last repaint after the final page


async def instances(pilot: Pilot) -> None:
    await _home(pilot)


async def filtered(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("slash", *"web")


async def volumes(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("slash", *"hello-atlas", "enter", "enter")
    await loaded(pilot, VolumesScreen)


async def vm_snapshots(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("slash", *"app-01", "enter", "enter")
    await loaded(pilot, VolumesScreen)
    await pilot.press("tab")


async def snapshots(pilot: Pilot) -> None:
    await volumes(pilot)
    await pilot.press("enter")
    await loaded(pilot, SnapshotsScreen)


async def details(pilot: Pilot) -> None:
    await snapshots(pilot)
    await pilot.press("i")
    await pilot.pause(0.1)


async def policies(pilot: Pilot) -> None:
    await snapshots(pilot)
    await pilot.press("p")
    await loaded(pilot)


async def help_keys(pilot: Pilot) -> None:
    await volumes(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.2)


async def jobs(pilot: Pilot) -> None:
    await _home(pilot)
    await pilot.press("colon", *"jobs", "enter")
    await loaded(pilot)


SCENES: dict[str, Scene] = {
    "instances": instances,
    "filter": filtered,
    "volumes": volumes,
    "vm-snapshots": vm_snapshots,
    "snapshots": snapshots,
    "details": details,
    "policies": policies,
    "help": help_keys,
    "jobs": jobs,
}


async def shoot(outdir: Path, names: list[str]) -> list[Path]:
    sim = demo_sim()
    await sim.start()
    written = []
    try:
        for name in names:
            app = demo_app(sim.endpoint)
            async with app.run_test(size=SIZE) as pilot:
                await SCENES[name](pilot)
                path = outdir / f"{name}.svg"
                path.write_text(app.export_screenshot(title=f"atlas-tui: {name}"),
                                encoding="utf-8")
                written.append(path)
    finally:
        await sim.stop()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "screenshots")
    names = args[1:] or list(SCENES)
    unknown = [n for n in names if n not in SCENES]
    if unknown:
        print(f"unknown scene(s): {', '.join(unknown)}; known: {', '.join(SCENES)}")
        return 2
    outdir.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(outdir, names)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
