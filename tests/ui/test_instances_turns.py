"""The instances screen sets its table's rows in a turn of their own (cloud/turns.py): at
30,000 rows that is an index of every key, the widths and a repaint, which must not share a
loop pass with the last slice of the summary or a page being decoded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from atlas_tui.app import AtlasApp
from atlas_tui.cloud import turns
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import profile_for
from tests.ui.helpers import loaded


async def test_the_instances_rows_are_set_in_a_turn_of_their_own(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    holder: asyncio.Task[Any] | None = None
    turn = turns.turn

    @contextlib.asynccontextmanager
    async def watched() -> AsyncIterator[None]:
        nonlocal holder
        async with turn():
            holder = asyncio.current_task()
            try:
                yield
            finally:
                holder = None

    in_turn: list[bool] = []  # per set_rows of the instances table: in its task's turn?
    set_rows = FastTable.set_rows

    def spy(self: FastTable, rows: Any, **kwargs: Any) -> None:
        if self.id == "instances":
            in_turn.append(holder is not None and holder is asyncio.current_task())
        set_rows(self, rows, **kwargs)

    monkeypatch.setattr(turns, "turn", watched)
    monkeypatch.setattr(FastTable, "set_rows", spy)
    app = AtlasApp(profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        table = screen.query_one("#instances", FastTable)
        with sim.state.lock:
            assert {table.model.row_at(i).key for i in range(table.visible_count)} \
                == set(sim.state.vms)
    assert in_turn and all(in_turn), in_turn
