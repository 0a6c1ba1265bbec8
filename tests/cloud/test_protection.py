"""cloud/protection.py: the per-volume verdicts, staleness, orphans, storage and cost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from atlas_tui.cloud import protection
from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.models import SnapshotPolicy, VirtualMachine, Volume
from atlas_tui.cloud.inventory import Inventory, SnapshotStats
from atlas_tui.cloud.protection import (
    GIB,
    PERIODS,
    SLACK,
    Status,
    assess,
    assess_sliced,
    by_instance,
    limit_from_error,
    monthly_cost,
    policy_health,
    summarize,
)
from atlas_tui.sim import SimServer

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def snap(ident: str, volume: str, kind: str = "DAILY", *, ago: timedelta = timedelta(hours=1),
         state: str = "BackedUp", size: int = GIB, name: str | None = None) -> dict[str, Any]:
    return {"id": ident, "volumeid": volume, "volumename": name or f"name-{volume}",
            "intervaltype": kind, "state": state, "created": stamp(NOW - ago),
            "physicalsize": size}


def vol(ident: str, name: str, vm: str = "", vm_state: str = "") -> Volume:
    return Volume.parse({"id": ident, "name": name, "type": "DATADISK", "state": "Ready",
                         "virtualmachineid": vm, "vmname": f"vm-{vm}" if vm else "",
                         "vmstate": vm_state})


def machine(ident: str, name: str, state: str = "Running") -> VirtualMachine:
    return VirtualMachine.parse({"id": ident, "name": name, "state": state})


def policy(volume: str, interval: str, ident: str | None = None) -> SnapshotPolicy:
    code = ["HOURLY", "DAILY", "WEEKLY", "MONTHLY"].index(interval)
    return SnapshotPolicy.parse({"id": ident or f"p-{volume}-{interval}", "volumeid": volume,
                                 "schedule": "00:03", "intervaltype": code, "maxsnaps": 7,
                                 "timezone": "UTC"})


# --- what the inventory's one snapshot walk keeps for this view ---------------------------


def fold(items: list[dict[str, Any]]) -> dict[str, SnapshotStats]:
    """As Inventory's walk of listSnapshots does (an item seen twice counts once)."""
    stats: dict[str, SnapshotStats] = {}
    seen: set[str] = set()
    for raw in items:
        if raw["id"] not in seen:
            seen.add(raw["id"])
            stats.setdefault(raw["volumeid"], SnapshotStats()).add_raw(raw)
    return stats


def test_stats_keep_the_newest_backed_up_recurring_snapshot_per_interval() -> None:
    stats = fold([
        snap("a", "v1", "DAILY", ago=timedelta(days=2)),
        snap("b", "v1", "DAILY", ago=timedelta(hours=3)),
        snap("c", "v1", "DAILY", ago=timedelta(hours=1), state="Error"),  # protects nothing
        snap("d", "v1", "DAILY", ago=timedelta(minutes=5), state="BackingUp"),
        snap("e", "v1", "MANUAL", ago=timedelta(minutes=1)),  # not a policy's run
        snap("f", "v1", "HOURLY", ago=timedelta(minutes=30)),
    ])["v1"]
    assert stats.newest_good == {"DAILY": NOW - timedelta(hours=3),
                                 "HOURLY": NOW - timedelta(minutes=30)}
    assert stats.count == 6 and stats.newest == NOW - timedelta(minutes=1)
    assert stats.physical_bytes == 6 * GIB


def test_stats_remember_the_volume_name_for_orphans() -> None:
    assert fold([snap("a", "gone", name="old-logs")])["gone"].volume_name == "old-logs"


def test_stats_read_snapshottype_when_intervaltype_is_missing() -> None:
    raw = snap("a", "v1", "WEEKLY")
    raw["snapshottype"] = raw.pop("intervaltype")
    assert "WEEKLY" in fold([raw])["v1"].newest_good


def test_merged_stats_keep_the_newest_good_of_each() -> None:
    total = SnapshotStats()
    for stats in fold([snap("a", "v1", "DAILY", ago=timedelta(days=2)),
                       snap("b", "v2", "DAILY", ago=timedelta(hours=2)),
                       snap("c", "v2", "WEEKLY", ago=timedelta(days=3))]).values():
        total.merge(stats)
    assert total.newest_good == {"DAILY": NOW - timedelta(hours=2),
                                 "WEEKLY": NOW - timedelta(days=3)}


def test_each_interval_keeps_its_own_newest_good_whatever_the_order() -> None:
    # An older run arriving after a newer one of its interval (pages come in any order)
    # changes nothing; a newer run of another interval does not overwrite this one.
    stats = fold([
        snap("a", "v1", "DAILY", ago=timedelta(hours=3)),
        snap("b", "v1", "DAILY", ago=timedelta(days=4)),
        snap("c", "v1", "MONTHLY", ago=timedelta(days=20)),
        snap("d", "v1", "HOURLY", ago=timedelta(minutes=5)),
        snap("e", "v1", "MONTHLY", ago=timedelta(days=40)),
    ])["v1"]
    assert stats.newest_good == {"HOURLY": NOW - timedelta(minutes=5),
                                 "DAILY": NOW - timedelta(hours=3),
                                 "MONTHLY": NOW - timedelta(days=20)}
    assert "WEEKLY" not in stats.newest_good
    assert policy_health(policy("v1", "WEEKLY"), stats.newest_good, NOW).never_ran


def test_newest_good_cannot_be_changed_through_the_mapping() -> None:
    stats = fold([snap("a", "v1", "DAILY", ago=timedelta(days=9))])["v1"]
    with pytest.raises(TypeError):
        stats.newest_good["DAILY"] = NOW  # type: ignore[index]
    assert stats.newest_good == {"DAILY": NOW - timedelta(days=9)}


def test_merging_stats_without_a_good_run_keeps_the_ones_kept() -> None:
    total = SnapshotStats()
    total.merge(fold([snap("a", "v1", "WEEKLY", ago=timedelta(days=1))])["v1"])
    total.merge(fold([snap("b", "v2", "WEEKLY", ago=timedelta(hours=1), state="Error")])["v2"])
    total.merge(SnapshotStats())
    assert total.newest_good == {"WEEKLY": NOW - timedelta(days=1)}
    assert (total.count, total.failed) == (2, 1)


async def test_a_reload_reuses_equal_stats_but_not_those_with_another_newest_good() -> None:
    """`Inventory._share_stats` keeps the previous stats object of a volume whose stats read
    the same; stats that differ only in one interval's newest good run are not the same."""
    runs = [snap("a", "v1", "DAILY", ago=timedelta(hours=1)),
            snap("b", "v1", "WEEKLY", ago=timedelta(days=3))]
    later = [runs[0], snap("b", "v1", "WEEKLY", ago=timedelta(days=2))]
    previous = fold(runs)
    same, moved = fold(runs)["v1"], fold(later)["v1"]
    assert (moved.count, moved.newest, moved.physical_bytes) == (
        same.count, same.newest, same.physical_bytes)  # only the weekly run differs
    inventory = Inventory()
    inventory.stats_by_volume = {"v1": same}
    await inventory._share_stats(previous)
    assert inventory.stats_by_volume["v1"] is previous["v1"]
    inventory.stats_by_volume = {"v1": moved}
    await inventory._share_stats(previous)
    assert inventory.stats_by_volume["v1"] is moved
    assert inventory.stats_by_volume["v1"].newest_good["WEEKLY"] == NOW - timedelta(days=2)


async def test_a_loads_stats_share_equal_dates_and_keep_their_values() -> None:
    # Two volumes whose policies ran at the same second, one also with a run in progress.
    stats = fold([snap("a", "v1", "DAILY", ago=timedelta(hours=2)),
                  snap("b", "v2", "DAILY", ago=timedelta(hours=2)),
                  snap("c", "v2", "WEEKLY", ago=timedelta(days=2)),
                  snap("d", "v1", "WEEKLY", ago=timedelta(days=2), state="BackingUp")])
    assert stats["v1"].newest is not stats["v2"].newest  # each page decodes its own
    inventory = Inventory()
    inventory.stats_by_volume = stats
    await inventory._share_stats({})
    v1, v2 = inventory.stats_by_volume["v1"], inventory.stats_by_volume["v2"]
    assert v1.newest is v2.newest is v1.newest_good["DAILY"] is v2.newest_good["DAILY"]
    assert v1.oldest_in_progress is v2.newest_good["WEEKLY"]
    assert v1.newest == NOW - timedelta(hours=2)
    assert v1.oldest_in_progress == NOW - timedelta(days=2)
    assert v1.newest_good == {"DAILY": NOW - timedelta(hours=2)}
    assert v2.newest_good == {"DAILY": NOW - timedelta(hours=2),
                              "WEEKLY": NOW - timedelta(days=2)}


# --- staleness -----------------------------------------------------------------------------


@pytest.mark.parametrize("interval", list(PERIODS))
def test_stale_only_past_the_interval_plus_slack(interval: str) -> None:
    limit = PERIODS[interval] + SLACK[interval]
    p = policy("v1", interval)
    at_limit = {interval: NOW - limit}
    past = {interval: NOW - limit - timedelta(seconds=1)}
    assert not policy_health(p, at_limit, NOW).stale
    assert policy_health(p, past, NOW).stale


def test_a_policy_without_a_run_is_not_stale_but_never_ran() -> None:
    health = policy_health(policy("v1", "DAILY"), {}, NOW)
    assert health.never_ran and not health.stale


def test_staleness_is_per_interval_type() -> None:
    # A fresh hourly snapshot does not make up for a daily policy that stopped.
    newest = {"HOURLY": NOW - timedelta(minutes=10), "DAILY": NOW - timedelta(days=3)}
    assert not policy_health(policy("v1", "HOURLY"), newest, NOW).stale
    assert policy_health(policy("v1", "DAILY"), newest, NOW).stale


# --- verdicts ------------------------------------------------------------------------------


def world() -> tuple[dict[str, Volume], dict[str, VirtualMachine],
                     dict[str, list[SnapshotPolicy]], dict[str, SnapshotStats]]:
    vms = {"m1": machine("m1", "web"), "m2": machine("m2", "db", "Stopped")}
    volumes = {
        "ok": vol("ok", "ROOT-ok", "m1"),
        "bare": vol("bare", "DATA-bare", "m1"),
        "late": vol("late", "ROOT-late", "m2"),
        "new": vol("new", "DATA-new", "m2"),
        "loose": vol("loose", "scratch"),
    }
    policies = {
        "ok": [policy("ok", "DAILY"), policy("ok", "HOURLY")],
        "late": [policy("late", "DAILY")],
        "new": [policy("new", "WEEKLY")],
    }
    stats = fold([
        snap("1", "ok", "DAILY", ago=timedelta(hours=5), size=2 * GIB),
        snap("2", "ok", "HOURLY", ago=timedelta(minutes=20), size=GIB),
        snap("3", "late", "DAILY", ago=timedelta(days=4), size=3 * GIB),
        snap("4", "gone", "DAILY", ago=timedelta(days=12), size=5 * GIB, name="old-logs"),
        snap("5", "gone", "MANUAL", ago=timedelta(days=40), size=GIB, name="old-logs"),
    ])
    return volumes, vms, policies, stats


def test_assess_gives_each_volume_its_verdict_and_orphans_their_own_row() -> None:
    rows = {r.volume_name: r for r in assess(*world(), NOW)}
    assert rows["ROOT-ok"].status is Status.OK
    assert rows["DATA-bare"].status is Status.UNPROTECTED
    assert rows["ROOT-late"].status is Status.STALE
    assert rows["DATA-new"].status is Status.NO_RUNS
    assert rows["scratch"].status is Status.UNPROTECTED
    orphan = rows["old-logs"]
    assert orphan.status is Status.ORPHANED and orphan.key == "gone"
    assert (orphan.snapshots, orphan.bytes, orphan.vm_name) == (2, 6 * GIB, "")
    assert [h.policy.interval for h in rows["ROOT-ok"].policies] == ["HOURLY", "DAILY"]
    assert rows["ROOT-late"].vm_name == "db" and rows["ROOT-late"].inactive
    assert not rows["ROOT-ok"].inactive and rows["scratch"].inactive


def test_assess_puts_problems_first() -> None:
    statuses = [r.status for r in assess(*world(), NOW)]
    assert statuses == sorted(statuses, key=lambda s: s.rank)
    assert statuses[0] is Status.STALE and statuses[-1] is Status.OK
    assert all(s.problem for s in statuses[:-1])


async def test_assess_in_slices_gives_the_same_rows_and_lets_the_loop_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protection, "ASSESS_CHUNK", 2)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    beside = asyncio.ensure_future(ticker())
    try:
        sliced = await assess_sliced(*world(), NOW)
    finally:
        beside.cancel()
    whole = assess(*world(), NOW)
    assert sliced == whole and len(whole) == 6
    assert ticks >= 3  # five volumes in chunks of two, each chunk a turn of its own
    # By verdict, then instance (none last), then volume name, both case-insensitive.
    assert whole == sorted(whole, key=lambda r: (r.status.rank, r.vm_name.lower() or "\uffff",
                                                 r.volume_name.lower()))


def test_summary_counts_and_cost() -> None:
    rows = assess(*world(), NOW)
    s = summarize(rows, 0.05)
    assert (s.volumes, s.unprotected, s.stale, s.no_runs) == (5, 2, 1, 1)
    assert (s.orphan_volumes, s.orphan_snapshots, s.orphan_bytes) == (1, 2, 6 * GIB)
    assert s.total_bytes == 12 * GIB
    assert s.monthly_cost == pytest.approx(12 * 0.05)
    assert s.problems == 5


def test_summary_without_a_rate_has_no_cost() -> None:
    assert summarize(assess(*world(), NOW)).monthly_cost is None


def test_monthly_cost_is_per_gib_month() -> None:
    assert monthly_cost(GIB, 0.05) == pytest.approx(0.05)
    assert monthly_cost(GIB // 2, 1.0) == pytest.approx(0.5)
    assert monthly_cost(0, 9.0) == 0


def test_storage_per_instance_sums_its_volumes() -> None:
    totals = by_instance(assess(*world(), NOW))
    assert set(totals) == {"m1", "m2"}
    assert (totals["m1"].vm_name, totals["m1"].volumes, totals["m1"].bytes) == ("web", 2, 3 * GIB)
    assert (totals["m2"].volumes, totals["m2"].bytes) == (2, 3 * GIB)


def test_limit_is_read_from_the_servers_refusal() -> None:
    text = ('maxSnaps [9] for volume Volume {"id": 7, "name": "ROOT-42"} exceeds limit [8] '
            "for interval type [DAILY].")
    assert limit_from_error(text) == 8
    assert limit_from_error("maxSnaps [0] for volume X should be greater than 0.") is None


# --- against the simulator -----------------------------------------------------------------


async def test_the_inventorys_one_snapshot_walk_is_all_protection_needs(
    client: CloudClient, sim: SimServer,
) -> None:
    inventory = Inventory()
    await inventory.load(client, lambda _part: None)
    assert sim.state.calls["listSnapshots"] == 1
    root42 = next(v for v in inventory.volumes.values() if v.name == "ROOT-42")
    # Independently: the newest BackedUp DAILY snapshot of ROOT-42, asked per volume.
    daily = [s for s in await client.snapshots(volumeid=root42.id)
             if s.intervaltype == "DAILY" and s.backed_up]
    newest = max(s.created for s in daily if s.created is not None)
    assert inventory.stats_by_volume[root42.id].newest_good["DAILY"] == newest
    assert inventory.stats_by_volume[root42.id].count == len(
        await client.snapshots(volumeid=root42.id))
    rows = assess(inventory.volumes, inventory.vms, inventory.policies_by_volume,
                  inventory.stats_by_volume, client.server_now())
    orphan = next(r for r in rows if r.status is Status.ORPHANED)
    assert orphan.volume_name == "old-logs" and orphan.snapshots == 3


async def test_instance_rows_show_each_vms_policies_and_share_equal_protections(
    client: CloudClient, sim: SimServer,
) -> None:
    inventory = Inventory()
    await inventory.load(client, lambda _part: None)
    rows = inventory.instance_rows()
    names = ["HOURLY", "DAILY", "WEEKLY", "MONTHLY"]
    # Independently, from the server's state: each VM's volumes, and which have policies.
    with sim.state.lock:
        expected = {}
        for vm_id in sim.state.vms:
            volumes = [v for v in sim.state.volumes.values()
                       if v.vm is not None and v.vm.id == vm_id]
            policies = [p for p in sim.state.policies.values() if p.volume in volumes]
            expected[vm_id] = (
                tuple(n for i, n in enumerate(names) if any(p.interval == i for p in policies)),
                len({p.volume.id for p in policies}), len(volumes))
    seen = {r.vm.id: (r.protection.intervals, r.protection.covered, r.protection.total)
            for r in rows}
    assert seen == expected
    assert len(set(expected.values())) < len(expected), "the demo has VMs alike"
    by_value: dict[object, object] = {}
    for row in rows:  # equal protections are one object
        assert by_value.setdefault(row.protection, row.protection) is row.protection
