"""SVG snapshots of every screen at 80x24, from the same scenes `make screenshots` draws.

The demo's clock is frozen at a fixed instant, so ages and ids are the same every run.
Update after looking at the report: `.venv/bin/python -m pytest tests/ui/test_svg_snapshots.py
--snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from atlas_tui.screenshots import SCENES, SIZE, demo_app, demo_sim


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    sim = demo_sim()
    url = sim.start_in_thread()
    try:
        yield url
    finally:
        sim.stop_thread()


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_screen(scene: str, endpoint: str, snap_compare) -> None:
    assert snap_compare(demo_app(endpoint), run_before=SCENES[scene], terminal_size=SIZE)
