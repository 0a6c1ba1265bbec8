"""Policies fire on the simulated clock; retention prunes recurring snapshots only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer

from .conftest import FIXED_START, Api


def by_type(snaps: list[dict], kind: str) -> list[dict]:
    return [s for s in snaps if s["intervaltype"] == kind]


async def test_hourly_policy_fires_and_retention_prunes(api: Api) -> None:
    vol = await api.volume("DATA-42")  # HOURLY "15" keep 6, DAILY keep 7, one MANUAL in Error
    before = await api.snapshots(volumeid=vol["id"])
    manual_before = by_type(before, "MANUAL")
    assert len(by_type(before, "HOURLY")) == 6
    for _ in range(10):  # ten hours, in steps so each run's job finishes before the next
        api.sim.clock.advance(3600)
    after = await api.snapshots(volumeid=vol["id"])
    hourly = by_type(after, "HOURLY")
    assert len(hourly) == 6  # pruned to maxsnaps
    newest = datetime.strptime(hourly[0]["created"], "%Y-%m-%dT%H:%M:%S%z")
    assert newest > api.sim.clock.now() - timedelta(hours=1, minutes=5)
    assert newest.minute == 15 and all(s["state"] == "BackedUp" for s in hourly)
    assert hourly[0]["name"].startswith("hello-atlas_DATA-42_")
    assert by_type(after, "MANUAL") == manual_before  # never pruned
    assert 6 <= len(by_type(after, "DAILY")) <= 7


async def test_guide_policy_runs_at_00_03_utc() -> None:
    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    sim = SimServer(seed="demo", speed=0, start=start)
    await sim.start()
    try:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            api = Api(sim, session)
            root = await api.volume("ROOT-42")
            sim.clock.advance(13 * 3600)  # to 01:00 next day
            daily = by_type(await api.snapshots(volumeid=root["id"]), "DAILY")
            assert daily[0]["created"].startswith("2026-03-11T00:03:")
            assert len(daily) == 7
    finally:
        await sim.stop()


async def test_inactive_volume_is_snapshotted_once_then_skipped(api: Api) -> None:
    vol = await api.volume("DATA-44")  # db-01 is Stopped
    await api.ok(
        "createSnapshotPolicy",
        volumeid=vol["id"],
        intervaltype="HOURLY",
        schedule="5",
        timezone="UTC",
        maxsnaps=5,
    )
    for _ in range(4):
        api.sim.clock.advance(3600)
    hourly = by_type(await api.snapshots(volumeid=vol["id"]), "HOURLY")
    # db-01 stopped two days ago with no snapshot of DATA-44 since: one run, then skipped
    assert len(hourly) == 1 and hourly[0]["state"] == "BackedUp"
    scratch = await api.volume("scratch-data")  # detached 15 days ago, last snapshot 16 days ago
    await api.ok(
        "createSnapshotPolicy",
        volumeid=scratch["id"],
        intervaltype="HOURLY",
        schedule="5",
        timezone="UTC",
        maxsnaps=5,
    )
    for _ in range(4):
        api.sim.clock.advance(3600)
    assert len(by_type(await api.snapshots(volumeid=scratch["id"]), "HOURLY")) == 1


async def test_deleted_policy_stops_firing() -> None:
    sim = SimServer(seed="demo", speed=0, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY,
                    start=FIXED_START)
    await sim.start()
    try:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            api = Api(sim, session)
            vol = await api.volume("DATA-42")
            policies = (await api.ok("listSnapshotPolicies", volumeid=vol["id"]))["snapshotpolicy"]
            hourly_policy = next(p for p in policies if p["intervaltype"] == 0)
            await api.ok("deleteSnapshotPolicies", id=hourly_policy["id"])
            before = by_type(await api.snapshots(volumeid=vol["id"]), "HOURLY")
            sim.clock.advance(3 * 3600)
            assert by_type(await api.snapshots(volumeid=vol["id"]), "HOURLY") == before
    finally:
        await sim.stop()
