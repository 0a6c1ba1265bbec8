"""SVG snapshots of every screen at 80x24, from the same scenes `make screenshots` draws.

The demo's clock is frozen at a fixed instant, so ages and ids are the same every run.
Update after looking at the report: `.venv/bin/python -m pytest tests/ui/test_svg_snapshots.py
--snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from atlas_tui.screenshots import SIZE, demo_app, demo_sim, play, scene_names
from atlas_tui.sim import SimServer


@pytest.fixture
def demo() -> Iterator[SimServer]:
    """A fresh demo per scene, so a scene that acts changes no other picture."""
    sim = demo_sim()
    sim.start_in_thread()
    try:
        yield sim
    finally:
        sim.stop_thread()


# Some scenes show wall-clock figures the frozen demo clock cannot fix (a job's or a restore
# step's elapsed seconds); on a loaded machine they can round to the next second. A real
# change of the picture fails all three runs.
@pytest.mark.flaky(reruns=2)
@pytest.mark.parametrize("scene", sorted(scene_names()))
def test_screen(scene: str, demo: SimServer, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await play(scene, pilot, demo)

    assert snap_compare(demo_app(demo.endpoint), run_before=run_before, terminal_size=SIZE)
