"""Each fault kind, the spec grammar, and the /sim/ control endpoints."""

from __future__ import annotations

import time

import aiohttp
import pytest

from atlas_tui.sim.faults import FaultSet, parse_rule

from .conftest import Api


def test_spec_grammar() -> None:
    rules = FaultSet.parse_rules(
        "latency=200ms;error:createSnapshot=0.3@530;failjob:attachVolume#1;"
        "stuck:snapshot=Creating;throttle=25/1s;drop:queryAsyncJobResult#2"
    )
    assert [r.kind for r in rules] == ["latency", "error", "failjob", "stuck", "throttle", "drop"]
    assert rules[0].latency_ms == 200 and rules[1].rate == 0.3 and rules[1].code == 530
    assert rules[2].nth == 1 and rules[3].value == "Creating" and rules[3].times == 1
    assert rules[4].limit == 25 and rules[4].window_s == 1.0 and rules[5].nth == 2
    rule = parse_rule("failjob:createSnapshot#2+*3@BackingUp!No space left; really")
    assert (rule.nth, rule.from_nth, rule.times, rule.option) == (2, True, 3, "BackingUp")
    assert rule.text == "No space left; really"


@pytest.mark.parametrize(
    "spec",
    [
        "explode",
        "latency",
        "latency=fast",
        "error:createSnapshot=2",
        "error@99",
        "stuck:snapshot=BackedUp",
        "failjob:x@middle",
        "throttle=lots",
        "drop#0",
        "error#x",
    ],
)
def test_invalid_specs_raise(spec: str) -> None:
    with pytest.raises(ValueError, match="fault rule"):
        FaultSet.parse_rules(spec)


async def test_latency(api: Api) -> None:
    api.sim.faults.parse("latency:listZones=150ms")
    t0 = time.monotonic()
    await api.ok("listZones")
    assert time.monotonic() - t0 >= 0.14
    t0 = time.monotonic()
    await api.ok("listVolumes", name="ROOT-42")
    assert time.monotonic() - t0 < 0.14


async def test_error_nth_and_default(api: Api) -> None:
    api.sim.faults.parse("error:listZones#2@533!No capacity")
    assert (await api.call("listZones")).status == 200
    second = await api.call("listZones")
    assert second.status == 533 and second.inner["errortext"] == "No capacity"
    assert (await api.call("listZones")).status == 200
    api.sim.faults.parse("error:createSnapshot")
    vol = await api.volume("ROOT-42")
    before = len(await api.snapshots())
    failed = await api.call("createSnapshot", volumeid=vol["id"])
    assert failed.status == 530 and failed.inner == {
        "uuidList": [],
        "errorcode": 530,
        "cserrorcode": 4250,
        "errortext": "Internal error executing command, please contact your system administrator",
    }
    assert len(await api.snapshots()) == before  # nothing was created
    assert (await api.call("createSnapshot", volumeid=vol["id"])).status == 200  # next one works


async def test_error_rate_is_seeded(api: Api) -> None:
    api.sim.faults.parse("error:listZones=0.5")
    statuses = [(await api.call("listZones")).status for _ in range(20)]
    assert 530 in statuses and 200 in statuses


async def test_failjob_and_point(api: Api) -> None:
    api.sim.faults.parse("failjob:createSnapshot@BackingUp!secondary storage unreachable")
    vol = await api.volume("DATA-43")
    reply = await api.ok("createSnapshot", volumeid=vol["id"])
    api.sim.clock.advance(3)
    assert (await api.snapshots(id=reply["id"]))[0]["state"] == "Creating"
    done = await api.finish(reply["jobid"])
    assert done["jobstatus"] == 2 and done["jobresultcode"] == 530
    assert done["jobresult"] == {"errorcode": 530, "errortext": "secondary storage unreachable"}
    assert (await api.snapshots(id=reply["id"]))[0]["state"] == "Error"
    assert (await api.volume("DATA-43"))["state"] == "Ready"
    again = await api.ok("createSnapshot", volumeid=vol["id"])
    assert (await api.finish(again["jobid"]))["jobstatus"] == 1


async def test_failjob_default_text(api: Api) -> None:
    api.sim.faults.parse("failjob:stopVirtualMachine#1")
    vm = await api.vm("web-01")
    job = await api.run("stopVirtualMachine", id=vm["id"])
    assert job["jobstatus"] == 2 and job["jobresult"]["errortext"] == "Failed to stop the instance"
    assert (await api.vm("web-01"))["state"] == "Running"


async def test_stuck_snapshot(api: Api) -> None:
    api.sim.faults.parse("stuck:snapshot=Creating")
    vol = await api.volume("DATA-43")
    reply = await api.ok("createSnapshot", volumeid=vol["id"])
    api.sim.clock.advance(86400)
    assert (await api.snapshots(id=reply["id"]))[0]["state"] == "Creating"
    assert (await api.job(reply["jobid"]))["jobstatus"] == 0


async def test_throttle(api: Api) -> None:
    api.sim.faults.parse("throttle=3/30s")
    for _ in range(3):
        assert (await api.call("listZones")).status == 200
    limited = await api.call("listZones")
    assert limited.status == 429 and limited.inner["cserrorcode"] == 9999
    text = limited.inner["errortext"]
    assert text.startswith(
        "The given user has reached his/her account api limit, please retry after ["
    )
    retry_ms = int(text.split("[")[1].split("]")[0])
    assert 25_000 < retry_ms <= 30_000


async def test_drop_before_and_after(api: Api) -> None:
    # POST: aiohttp retries an idempotent GET once after a disconnect, which would hide the drop.
    api.sim.faults.parse("drop:listZones#1")
    with pytest.raises(aiohttp.ClientError):
        await api.post("listZones")
    assert (await api.post("listZones")).status == 200
    api.sim.faults.parse("drop:stopVirtualMachine@after")
    vm = await api.vm("web-01")
    with pytest.raises(aiohttp.ClientError):
        await api.post("stopVirtualMachine", id=vm["id"])
    assert (await api.vm("web-01"))["state"] == "Stopping"  # it ran; only the answer was lost


async def test_drop_of_a_get_and_its_retry(api: Api) -> None:
    api.sim.faults.parse("drop:listZones#1+*2")
    with pytest.raises(aiohttp.ClientError):
        await api.call("listZones")
    assert (await api.call("listZones")).status == 200


async def test_constructor_faults_and_control_endpoints(api: Api) -> None:
    base = api.sim.endpoint.replace("/client/api", "/sim")
    async with api.session.post(f"{base}/faults", json={"spec": "nonsense"}) as resp:
        assert resp.status == 400 and "unknown kind" in (await resp.json())["error"]
    async with api.session.post(f"{base}/faults", json={"spec": "error:listZones"}) as resp:
        assert resp.status == 200
    assert (await api.call("listZones")).status == 530
    async with api.session.delete(f"{base}/faults") as resp:
        assert (await resp.json()) == {"rules": []}
    async with api.session.post(f"{base}/stats/reset") as resp:
        assert resp.status == 200
    await api.call("listZones")
    await api.call("listZones")
    async with api.session.get(f"{base}/stats") as resp:
        stats = await resp.json()
    assert stats["requests"] == 2 and stats["calls"] == {"listZones": 2}
    before = api.sim.clock.now()
    async with api.session.post(f"{base}/clock/advance", json={"seconds": 7200}) as resp:
        assert resp.status == 200
    assert (api.sim.clock.now() - before).total_seconds() >= 7200
    async with api.session.post(f"{base}/settings", json={"kvm.snapshot.enabled": "false"}) as resp:
        assert (await resp.json())["kvm.snapshot.enabled"] == "false"
    caps = (await api.ok("listCapabilities"))["capability"]
    assert caps["kvmsnapshotenabled"] is False
