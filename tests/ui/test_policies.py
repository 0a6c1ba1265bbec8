"""The policy editor and the protection view, driven with Pilot against the simulator.

What the server holds after each change is read with a separate CloudClient (the API), never
from the screen that made the change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import SnapshotPolicy
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.ui.screens.dialogs import TypeToConfirm
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.policies import PoliciesScreen
from atlas_tui.ui.screens.policy_form import FixConfirm, PolicyForm
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.widgets.table import FastTable
from tests.conftest import make_sim, profile_for
from tests.ui.helpers import (
    atlas_of,
    cells,
    loaded,
    present,
    press_and_reload,
    screen_as,
    screen_text,
    session_of,
    until,
)


def app_for(sim: SimServer, settings: Settings | None = None, **launch: Any) -> AtlasApp:
    return AtlasApp(Launch(**launch), profile=profile_for(sim),
                    settings=settings or Settings())


async def server_policies(sim: SimServer, volume_name: str) -> list[SnapshotPolicy]:
    """What the server holds, through the API with a client of its own."""
    async with CloudClient(profile_for(sim)) as c:
        volume = next(v for v in await c.volumes() if v.name == volume_name)
        return await c.snapshot_policies(volume.id)


async def open_policies(pilot: Pilot, volume_name: str) -> PoliciesScreen:
    app = atlas_of(pilot)
    await loaded(pilot, InstancesScreen)
    await until(pilot, lambda: "volumes" in session_of(app).inventory.loaded)
    inv = session_of(app).inventory
    volume = next(v for v in inv.volumes.values() if v.name == volume_name)
    app.push_screen(PoliciesScreen(inv.vms.get(volume.virtualmachineid), volume))
    return await loaded(pilot, PoliciesScreen)


async def open_form(pilot: Pilot, key: str) -> PolicyForm:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, PolicyForm), what="the form")
    await pilot.pause()
    return screen_as(pilot.app, PolicyForm)


async def type_into(pilot: Pilot, form: PolicyForm, field: str, text: str) -> None:
    """Focus a field, erase it with backspace and type, as a user would."""
    box = form.query_one(f"#{field}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", *["backspace"] * len(box.value), *text)


async def save_and_reload(pilot: Pilot, screen: PoliciesScreen, key: str = "enter") -> None:
    before = screen.updated
    await pilot.press(key)
    await until(pilot, lambda: pilot.app.screen is screen and screen.updated != before,
                what="the list to reload from the server")
    await pilot.pause()


def field_message(form: PolicyForm, field: str) -> Static:
    return form.query_one(f"#{field}-msg", Static)


# --- create, edit, delete ------------------------------------------------------------------

# interval key, fields to type when adding, schedule sent; fields when editing, schedule sent
CASES = {
    "HOURLY": ("h", {"minute": "45", "keep": "5"}, "45", {"minute": "0"}, "00"),
    "DAILY": ("d", {"time": "02:30", "tz": "Europe/Oslo", "keep": "5"}, "30:02",
              {"time": "23:05"}, "05:23"),
    "WEEKLY": ("w", {"time": "04:15", "weekday": "Monday", "keep": "3"}, "15:04:2",
               {"weekday": "sat"}, "15:04:7"),
    "MONTHLY": ("m", {"time": "01:00", "day": "15", "keep": "2"}, "00:01:15",
                {"day": "28", "time": "00:00"}, "00:00:28"),
}


@pytest.mark.parametrize("interval", list(CASES))
async def test_create_edit_and_delete_each_interval(sim: SimServer, interval: str) -> None:
    key, fields, sent, edits, edited = CASES[interval]
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_policies(pilot, "DATA-44")  # db-01: no policies at all
        assert screen.query_one(FastTable).row_count == 0

        form = await open_form(pilot, "a")
        await pilot.press(key)  # the interval picker has focus
        for field, text in fields.items():
            await type_into(pilot, form, field, text)
        assert f'schedule="{sent}"' in str(form.query_one("#preview", Static).render())
        await save_and_reload(pilot, screen)

        [created] = await server_policies(sim, "DATA-44")
        assert (created.interval, created.schedule) == (interval, sent)
        assert created.maxsnaps == int(fields["keep"])
        assert created.timezone == fields.get("tz", "UTC")
        assert cells(screen.query_one(FastTable), "schedule") == [sent]

        form = await open_form(pilot, "e")
        assert "re-creates" in str(form.query_one("#notice", Static).render())
        for field, text in edits.items():
            await type_into(pilot, form, field, text)
        await save_and_reload(pilot, screen)

        [updated] = await server_policies(sim, "DATA-44")
        assert updated.id == created.id  # the server's upsert: same policy, new schedule
        assert (updated.interval, updated.schedule) == (interval, edited)
        assert updated.maxsnaps == created.maxsnaps

        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm), what="confirm")
        before = screen.updated
        await pilot.press(*interval.lower(), "enter")
        await until(pilot, lambda: screen.updated != before, what="reload after delete")
        assert await server_policies(sim, "DATA-44") == []
        assert screen.query_one(FastTable).row_count == 0


async def test_delete_needs_the_interval_name_typed(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_policies(pilot, "ROOT-43")
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, TypeToConfirm), what="confirm")
        confirm = app.screen
        await pilot.press(*"daily", "enter")  # the policy is WEEKLY
        assert app.screen is confirm
        assert "not 'weekly'" in str(confirm.query_one("#mismatch", Static).render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, PoliciesScreen))
        assert sim.state.calls["deleteSnapshotPolicies"] == 0
        assert [p.interval for p in await server_policies(sim, "ROOT-43")] == ["WEEKLY"]


# --- the guide's policy and its fix ------------------------------------------------------


async def test_guide_policy_is_flagged_and_fixed_in_place(sim: SimServer) -> None:
    [guide] = await server_policies(sim, "ROOT-42")
    assert guide.schedule == "03:00"
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_policies(pilot, "ROOT-42")
        table = screen.query_one(FastTable)
        assert cells(table, "check") == ["check ⚠"]
        assert cells(table, "words") == ["daily at 00:03 UTC, keeps 7"]
        note = str(screen.query_one("#policy-note", Static).render())
        assert "runs at 00:03 UTC; did you mean 03:00?" in note

        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FixConfirm), what="the fix dialog")
        shown = screen_text(app)
        assert 'schedule="03:00"' in shown and 'schedule="00:03"' in shown
        assert "daily at 03:00 UTC" in shown  # what it will do after the fix
        await save_and_reload(pilot, screen, "y")

        [fixed] = await server_policies(sim, "ROOT-42")
        assert fixed.id == guide.id
        assert (fixed.interval, fixed.schedule) == ("DAILY", "00:03")
        assert (fixed.timezone, fixed.maxsnaps) == ("UTC", 7)
        assert cells(table, "check") == ["ok"]
        assert cells(table, "words") == ["daily at 03:00 UTC, keeps 7"]


async def test_fix_is_refused_for_a_schedule_that_reads_as_it_runs(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_policies(pilot, "ROOT-43")  # WEEKLY 30:02:1: Sunday 02:30
        assert screen.unavailable("fix_policy") == (
            "this schedule reads as it runs: nothing to fix")
        await pilot.press("f")
        await pilot.pause()
        assert app.screen is screen
        assert sim.state.calls["createSnapshotPolicy"] == 0


async def test_w_shows_the_raw_policy_and_back(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_policies(pilot, "DATA-42")
        table = screen.query_one(FastTable)
        assert cells(table, "words") == ["hourly at :15 UTC, keeps 6",
                                         "daily at 03:00 Europe/Oslo, keeps 7"]
        await pilot.press("w")
        assert cells(table, "words")[1] == (
            'DAILY schedule="00:03" timezone=Europe/Oslo maxsnaps=7')
        await pilot.press("w")
        assert cells(table, "words")[1] == "daily at 03:00 Europe/Oslo, keeps 7"


# --- the form ------------------------------------------------------------------------------


async def test_adding_an_existing_interval_says_it_replaces_it(sim: SimServer) -> None:
    [guide] = await server_policies(sim, "ROOT-42")
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_policies(pilot, "ROOT-42")
        form = await open_form(pilot, "a")
        await pilot.press("d")
        notice = str(form.query_one("#notice", Static).render())
        assert "REPLACES the existing daily policy: daily at 00:03 UTC, keeps 7" in notice
        await pilot.press("h")
        assert "REPLACES" not in str(form.query_one("#notice", Static).render())
        await pilot.press("d")
        await type_into(pilot, form, "time", "05:00")
        await save_and_reload(pilot, screen)
        [replaced] = await server_policies(sim, "ROOT-42")
        assert (replaced.id, replaced.schedule) == (guide.id, "00:05")


async def test_form_shows_the_string_and_the_next_runs_live(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_policies(pilot, "DATA-44")
        form = await open_form(pilot, "a")
        await pilot.press("d")
        await type_into(pilot, form, "time", "02:30")
        await type_into(pilot, form, "tz", "Asia/Tokyo")
        preview = str(form.query_one("#preview", Static).render())
        assert 'schedule="30:02"' in preview
        assert "daily at 02:30 Asia/Tokyo" in preview
        runs = [line for line in preview.splitlines() if "your time" in line]
        assert len(runs) == 3 and all("02:30 JST" in line for line in runs)
        await type_into(pilot, form, "time", "2:3")  # half typed: no string to send
        assert "schedule=" not in str(form.query_one("#preview", Static).render())


async def test_timezone_completion(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_policies(pilot, "DATA-44")
        form = await open_form(pilot, "a")
        await type_into(pilot, form, "tz", "europe/os")
        await until(pilot, lambda: form.query_one("#tz", Input)._suggestion != "",
                    what="a suggestion")
        await pilot.press("right")
        assert form.query_one("#tz", Input).value == "Europe/Oslo"
        assert "tz" not in form.errors


BAD_INPUT = [
    ("d", "time", "25:00", "HH:MM"),
    ("d", "time", "3pm", "HH:MM"),
    ("h", "minute", "60", "0–59"),
    ("w", "weekday", "2", "name"),
    ("w", "weekday", "t", "Monday"),  # Tuesday or Thursday?
    ("m", "day", "31", "1–28"),
    ("d", "tz", "Europe/Oslp", "unknown zone"),
    ("d", "tz", "utc", "case-sensitive"),
    ("d", "keep", "0", "1–8"),
    ("d", "keep", "9", "1–8"),
    ("d", "keep", "", "1–8"),
]


@pytest.mark.parametrize(("key", "field", "text", "message"), BAD_INPUT,
                         ids=[f"{f}={t!r}" for _, f, t, _ in BAD_INPUT])
async def test_bad_input_is_refused_inline_and_nothing_is_sent(
    sim: SimServer, key: str, field: str, text: str, message: str
) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_policies(pilot, "DATA-44")
        form = await open_form(pilot, "a")
        await pilot.press(key)
        await type_into(pilot, form, field, text)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form  # still open, with what was typed
        assert form.query_one(f"#{field}", Input).value == text
        msg = field_message(form, field)
        assert msg.has_class("error") and message in str(msg.render())
        assert form.query_one(f"#{field}", Input).has_focus
        assert sim.state.calls["createSnapshotPolicy"] == 0
    assert await server_policies(sim, "DATA-44") == []


@pytest.fixture
async def limited_sim() -> AsyncIterator[SimServer]:
    server = make_sim(speed=0, settings={"snapshot.max.daily": "3"})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_server_refusal_stays_in_the_form_and_its_limit_is_kept(
    limited_sim: SimServer,
) -> None:
    app = app_for(limited_sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_policies(pilot, "DATA-44")
        form = await open_form(pilot, "a")
        await pilot.press("d")
        await type_into(pilot, form, "time", "01:30")
        await type_into(pilot, form, "keep", "5")
        await pilot.press("enter")
        calls = limited_sim.state.calls  # the server's own log of requests
        await until(pilot, lambda: "exceeds limit [3]" in str(
            form.query_one("#server-error", Static).render()), what="the server's refusal")
        assert app.screen is form and calls["createSnapshotPolicy"] == 1
        assert form.query_one("#time", Input).value == "01:30"  # nothing lost
        assert "at most 3" in str(field_message(form, "keep").render())

        await pilot.press("enter")  # the limit is known now: refused before sending
        await pilot.pause()
        assert calls["createSnapshotPolicy"] == 1
        assert "1–3" in str(field_message(form, "keep").render())

        await type_into(pilot, form, "keep", "3")
        await save_and_reload(pilot, screen)
    [created] = await server_policies(limited_sim, "DATA-44")
    assert (created.schedule, created.maxsnaps) == ("30:01", 3)


async def test_read_only_hides_and_refuses_every_change(sim: SimServer) -> None:
    app = app_for(sim, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_policies(pilot, "ROOT-42")
        bindings = screen.active_bindings
        for key in ("a", "e", "D", "f"):
            assert key in bindings and not bindings[key].binding.show  # not in the footer
        assert bindings["w"].binding.show
        for key in ("a", "e", "D", "f"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
            assert [n.message for n in app._notifications] == ["read-only session"]
        assert sim.state.calls["createSnapshotPolicy"] == 0
        assert sim.state.calls["deleteSnapshotPolicies"] == 0
    [guide] = await server_policies(sim, "ROOT-42")
    assert guide.schedule == "03:00"


# --- the protection view -------------------------------------------------------------------


async def open_protection(pilot: Pilot) -> ProtectionScreen:
    await loaded(pilot, InstancesScreen)
    pilot.app.push_screen(ProtectionScreen())
    return await loaded(pilot, ProtectionScreen)


def status_by_volume(screen: ProtectionScreen) -> dict[str, str]:
    table = screen.query_one(FastTable)
    return dict(zip(cells(table, "volume"), cells(table, "status"), strict=True))


async def test_protection_lists_unprotected_orphans_and_cost(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim)) as c:
        snapshots = await c.snapshots()
    total = sum(s.physicalsize or 0 for s in snapshots)
    orphans = [s for s in snapshots if s.volumename == "old-logs"]
    app = app_for(sim, Settings(cost_per_gib_month=0.05))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_protection(pilot)
        status = status_by_volume(screen)
        assert status["ROOT-44"] == status["DATA-44"] == "✗ unprotected"  # db-01
        assert status["old-logs"] == "⚠ orphaned"
        assert status["ROOT-42"] == status["ROOT-43"] == "ok"
        table = screen.query_one(FastTable)
        vms = dict(zip(cells(table, "volume"), cells(table, "vm"), strict=True))
        assert vms["ROOT-44"] == "db-01" and vms["old-logs"] == "(deleted)"
        ordered = cells(table, "status")
        assert ordered.index("ok") > max(i for i, s in enumerate(ordered) if s != "ok")

        summary = str(screen.query_one("#protection-summary", Static).render())
        assert "8 unprotected" in summary and "0 stale" in summary
        assert f"{len(orphans)} orphaned snapshots" in summary
        assert f"{total / 1024**3 * 0.05:,.2f} USD/month" in summary

        table.move_cursor(ordered.index("⚠ orphaned"))
        await pilot.pause()
        note = str(screen.query_one("#protection-note", Static).render())
        assert "volume deleted" in note and "old-logs" in note


async def test_protection_without_a_rate_shows_sizes_only(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_protection(pilot)
        assert "cost" not in [c.key for c in screen.query_one(FastTable).columns]
        summary = str(screen.query_one("#protection-summary", Static).render())
        assert "snapshots use" in summary and "/month" not in summary
        assert "USD" not in screen_text(app)


async def test_protection_reads_the_account_with_account_wide_lists(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        await until(pilot, lambda: "snapshots" in session_of(app).inventory.loaded)
        calls = sim.state.calls
        before = calls.copy()
        screen = await open_protection(pilot)
        # The home screen's inventory (or its load under way) is the one it shows: the
        # server sees no second walk of the account.
        lists = ("listVirtualMachines", "listVolumes", "listSnapshots", "listSnapshotPolicies")
        assert {c: calls[c] - before[c] for c in lists} == dict.fromkeys(lists, 0)
        assert screen.inventory is session_of(app).inventory
        # A refresh reads the account again, once, with account-wide lists.
        await press_and_reload(pilot, screen, "r")
        assert {c: calls[c] - before[c] for c in lists} == dict.fromkeys(lists, 1)
        assert screen.inventory is session_of(app).inventory


async def test_protection_flags_a_stale_policy_of_a_stopped_vm(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim)) as c:
        hello = next(vm for vm in await c.virtual_machines() if vm.name == "hello-atlas")
        await c.stop_vm(hello.id)
        sim.clock.advance(600)
        assert present(await c.virtual_machine(hello.id)).state == "Stopped"
    # Three days on: the first run after the stop still fires, the later ones are skipped.
    sim.clock.advance(3 * 86400)
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_protection(pilot)
        status = status_by_volume(screen)
        assert status["ROOT-42"] == status["DATA-42"] == "✗ stale"
        assert status["ROOT-43"] == "ok"  # web-01 kept running
        ordered = cells(screen.query_one(FastTable), "status")
        assert ordered[:2] == ["✗ stale", "✗ stale"]
        note = str(screen.query_one("#protection-note", Static).render())
        assert "expected every" in note and "skips runs of inactive volumes" in note
        assert "2 stale" in str(screen.query_one("#protection-summary", Static).render())


async def test_protection_opens_a_volumes_policies(sim: SimServer) -> None:
    app = app_for(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_protection(pilot)
        table = screen.query_one(FastTable)
        table.move_cursor(cells(table, "volume").index("ROOT-42"))
        await pilot.press("enter")
        policies = await loaded(pilot, PoliciesScreen)
        assert cells(policies.query_one(FastTable), "schedule") == ["03:00"]
        # Back with nothing changed there: no walk of every snapshot again (a change made
        # there is read at once: test_lazy_rows), and the list reads the session's inventory.
        walks = sim.state.calls["listSnapshots"]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause(0.3)
        assert sim.state.calls["listSnapshots"] == walks
        assert screen.inventory is session_of(app).inventory
