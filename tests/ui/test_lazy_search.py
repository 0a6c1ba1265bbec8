"""The rows' search texts are built when a filter first needs them, not with the rows: a key
typed before they are ready still filters right once they are, a reload keeps the texts of the
rows that did not change while a filter is set, and drops them all when none is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.base import FilterBar
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets import table as table_module
from atlas_tui.ui.widgets import table_model
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row, TableModel
from tests.conftest import profile_for
from tests.ui.helpers import cells, loaded, press_and_reload, session_of, until

NAMES = ["web-1", "db-1", "web-2", "cache", "db-2", "web-3"]


def model_of(names: Sequence[str]) -> TableModel:
    return TableModel([Column("name", "NAME")], [Row(n, (n,), (n,)) for n in names])


def keys(model: TableModel) -> list[str]:
    return [model.row_at(p).key for p in range(model.visible_count)]


def test_rows_come_without_search_texts_until_a_filter() -> None:
    model = model_of(NAMES)
    assert not model.search_ready
    model.filter("WEB")  # a small table: built at once, in the call
    assert model.search_ready and keys(model) == ["web-1", "web-2", "web-3"]
    model.set_rows(model.rows)  # a filter is set: a reload without texts builds them
    assert model.search_ready and keys(model) == ["web-1", "web-2", "web-3"]
    model.filter("")
    model.set_rows(model.rows)  # no filter: the texts go with the rows replaced
    assert not model.search_ready


def test_a_filter_waits_for_the_texts_of_a_large_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_model, "EAGER_SEARCH_ROWS", 2)
    model = model_of(NAMES)
    model.sort_by("name")
    model.filter("web")
    # Pending: the rows shown before the key, never an exception nor a wrong answer.
    assert model.filter_pending and model.visible_count == len(NAMES)
    model.filter("web-")  # one more key while still pending
    model.sort_by("name", reverse=True)
    assert model.filter_pending and keys(model) == sorted(NAMES, reverse=True)
    assert model.set_search([TableModel.search_text(r) for r in model.rows])
    assert not model.filter_pending and keys(model) == ["web-3", "web-2", "web-1"]
    # Narrowing from here uses the texts as usual.
    model.filter("web-2")
    assert keys(model) == ["web-2"]
    # A reload without texts while filtered: the rows shown that are still there stay shown
    # until the texts come; a row gone is gone.
    model.set_rows([Row(n, (n,), (n,)) for n in [*NAMES, "web-9"] if n != "web-2"])
    assert model.filter_pending and keys(model) == []
    model.filter("web")
    assert model.set_search([TableModel.search_text(r) for r in model.rows])
    assert keys(model) == ["web-9", "web-3", "web-1"]


def gate_search_build(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The table's search texts are built only once the returned event is set: a key typed
    before then is typed before they are ready."""
    monkeypatch.setattr(table_model, "EAGER_SEARCH_ROWS", 0)  # the sim's tables are small
    ready = asyncio.Event()
    real = table_module.sliced

    async def gated(make: Callable[[Any], Any], items: Sequence[Any], **kw: Any) -> list[Any]:
        if make is TableModel.search_text:  # not the index or widths of a fill (`prepare`)
            await ready.wait()
        return await real(make, items, **kw)

    monkeypatch.setattr(table_module, "sliced", gated)
    return ready


async def test_a_key_typed_before_the_texts_are_ready_filters_once_they_are(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ready = gate_search_build(monkeypatch)
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: session_of(app).inventory.complete)
        table = screen.query_one(FastTable)
        bar = screen.query_one(FilterBar)
        assert not table.model.search_ready  # loaded, never filtered: no texts held
        await pilot.press("slash", *"web")
        await pilot.pause(0.1)
        assert table.filter_query == "web" and table.model.filter_pending
        assert table.visible_count == table.row_count  # nothing hidden on a guess
        ready.set()
        await until(pilot, lambda: not table.model.filter_pending)
        await pilot.pause(0.1)
        wanted = sorted(vm.name for vm in sim.state.vms.values() if "web" in vm.name.lower())
        assert wanted and sorted(cells(table, "name")) == wanted
        assert str(bar.border_subtitle) == f"{len(wanted)}/{table.row_count}"


async def test_a_reload_while_filtered_keeps_the_texts_of_unchanged_rows(
        sim: SimServer) -> None:
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: session_of(app).inventory.complete)
        table = screen.query_one("#instances", FastTable)
        await pilot.press("slash", *"web", "enter")
        await pilot.pause(0.1)
        model = table.model
        texts = {row.key: model.held_search_text(row) for row in model.rows}
        renamed = next(vm for vm in sim.state.vms.values() if "web" not in vm.name)
        renamed.displayname = renamed.name = "now-a-web-box"  # on the server
        await press_and_reload(pilot, screen, "r")
        assert model.search_ready and table.filter_query == "web"
        unchanged = [r for r in model.rows if r.key != renamed.id]
        assert unchanged and all(model.held_search_text(r) is texts[r.key] for r in unchanged)
        renamed_row = model.get_row(renamed.id)
        assert renamed_row is not None
        assert model.held_search_text(renamed_row) != texts[renamed.id]
        wanted = {vm.id for vm in sim.state.vms.values() if "web" in vm.name}
        assert renamed.id in wanted
        assert {model.row_at(p).key for p in range(table.visible_count)} == wanted

        await pilot.press("escape")  # clears the filter
        await press_and_reload(pilot, screen, "r")
        assert table.filter_query == "" and not model.search_ready  # dropped with the rows

        # The bar open, nothing typed yet: the texts are built, and a reload (the auto
        # refresh) keeps them for the key to come.
        await pilot.press("slash")
        await until(pilot, lambda: model.search_ready)
        version = model.rows_version
        screen.refresh_data()  # what the 30 s timer does
        await until(pilot, lambda: model.rows_version > version)
        await pilot.pause(0.1)
        assert model.search_ready and table.filter_query == ""
        await pilot.press(*"web")
        assert {model.row_at(p).key for p in range(table.visible_count)} == wanted


async def protection_list(pilot: Any) -> tuple[ProtectionScreen, FastTable]:
    """The protection list, pushed over the loaded instances list."""
    await loaded(pilot, InstancesScreen)
    pilot.app.push_screen(ProtectionScreen())
    screen = await loaded(pilot, ProtectionScreen)
    return screen, screen.query_one(FastTable)


async def test_protection_rows_are_filtered_from_texts_built_late(
        sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ready = gate_search_build(monkeypatch)
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await protection_list(pilot)
        assert table.row_count and not table.model.search_ready
        volume = next(iter(sim.state.volumes.values()))
        await pilot.press("slash", *volume.name)
        await pilot.pause(0.1)
        assert table.model.filter_pending
        ready.set()
        await until(pilot, lambda: not table.model.filter_pending)
        needle = volume.name.lower()
        shown = {table.model.row_at(p).key for p in range(table.visible_count)}
        assert volume.id in shown
        for key in shown:
            row = table.model.get_row(key)
            assert row is not None and needle in TableModel.search_text(row)
        # A refresh while filtered keeps the filter answered (the texts come with the rows).
        await pilot.press("enter")  # the bar keeps the filter, the table has the keys
        await press_and_reload(pilot, screen, "r")
        assert table.model.search_ready and volume.id in {
            table.model.row_at(p).key for p in range(table.visible_count)}


async def test_protection_sorts_by_status_in_both_directions(sim: SimServer) -> None:
    # STATUS sorts by the verdict's rank (no position kept per row): within a verdict the
    # rows keep their assess order (by instance, then volume) both ways.
    app = AtlasApp(Launch(), profile=profile_for(sim), settings=Settings())
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await protection_list(pilot)
        assessed = [r.key for r in screen.rows]
        rank = {r.key: r.status.rank for r in screen.rows}
        assert len(set(rank.values())) > 1  # the sim's account has several verdicts
        for reverse in (False, True):
            table.sort_by("status", reverse=reverse)
            shown = [table.model.row_at(p).key for p in range(table.visible_count)]
            # sorted() is stable with reverse=True too: equal ranks keep the assess order.
            assert shown == sorted(assessed, key=lambda k: rank[k], reverse=reverse)
