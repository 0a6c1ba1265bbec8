"""The client against the simulator over real HTTP: paging, errors, retries, the write gate.

No mock of the client anywhere: faults are injected by the server side (the simulator), as
a real Atlas endpoint would produce them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from atlas_tui.cloud.api.client import (
    CloudClient,
    DigestedPage,
    KnownPage,
    RetryPolicy,
    java_url_encode,
    sign,
)
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import JobStatus
from atlas_tui.cloud.audit import AuditLog
from atlas_tui.sim import SimServer
from tests.conftest import FAST_RETRY, profile_for, running_sim
from tests.helpers import present


async def hello(client: CloudClient):
    [vm] = [v for v in await client.virtual_machines() if v.name == "hello-atlas"]
    volumes = await client.volumes_of(vm.id)
    return vm, {v.name: v for v in volumes}


def test_signing_vector_from_the_cloudstack_docs() -> None:
    params = {
        "apikey": "plgWJfZK4gyS3mOMTVmjUVg-X-jlWlnfaUJ9GAbBbf9EdM-kAYMmAiLqzzq1ElZLYq_u38zC"
        "m0bewzGUdP66mg",
        "command": "listUsers",
        "response": "json",
    }
    secret = ("VDaACYb0LV9eNjTetIOElcVQkvJck_J_QljX_FcHRj87ZKiy0z0ty0ZsYBkoXkY9b7eq1EhwJaw7"
              "FF3akA3KBQ")
    assert sign(params, secret) == "TTpdDq/7j/J58XCRHomKoQXEQds="


def test_java_url_encoding() -> None:
    assert java_url_encode("a b~c*d/e+f") == "a%20b%7Ec*d%2Fe%2Bf"


async def test_lists_parse_into_models(client: CloudClient) -> None:
    vm, volumes = await hello(client)
    assert vm.hypervisor == "KVM" and vm.running
    assert set(volumes) == {"ROOT-42", "DATA-42"}
    assert volumes["ROOT-42"].is_root and volumes["ROOT-42"].deviceid == 0
    policies = await client.snapshot_policies(volumes["ROOT-42"].id)
    assert [(p.interval, p.schedule, p.maxsnaps) for p in policies] == [("DAILY", "03:00", 7)]
    app = next(v for v in await client.virtual_machines() if v.name == "app-01")
    vm_snaps = await client.vm_snapshots_of(app.id)
    assert {s.displayname for s in vm_snaps} == {"before-upgrade", "pre-kernel-update"}


async def test_empty_list_is_an_empty_list(client: CloudClient) -> None:
    assert await client.snapshots(keyword="no-such-snapshot-anywhere") == []


async def test_paging_fetches_every_page_once(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim), page_size=3, retry=FAST_RETRY) as small:
        paged = await small.snapshots()
    pages = sim.state.calls["listSnapshots"]  # as the server counted them
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as big:
        whole = await big.snapshots()
    assert sim.state.calls["listSnapshots"] - pages == 1
    assert sorted(s.id for s in paged) == sorted(s.id for s in whole)
    assert len(whole) > 6
    assert pages == -(-len(whole) // 3)


async def test_a_walk_tells_the_lists_count_before_its_first_page(sim: SimServer) -> None:
    told: list[tuple[int, int]] = []  # (count, pages yielded by then)
    yielded: list[list[object]] = []
    async with CloudClient(profile_for(sim), page_size=3, retry=FAST_RETRY) as small:
        async for page in small.pages("listSnapshots", "snapshot", listall=True,
                                      on_count=lambda n: told.append((n, len(yielded)))):
            yielded.append(page)
    with sim.state.lock:
        assert told == [(len(sim.state.snapshots), 0)]
    assert sum(map(len, yielded)) == told[0][0] > 3


async def test_a_walk_runs_ahead_of_its_reader_by_its_window_at_most(sim: SimServer) -> None:
    # A reader slower than the server: the walk asks for pages ahead of it, as many as its
    # window (the client's concurrency, or `window`), as the server counts the requests.
    async def ahead(window: int | None) -> int:
        most = 0
        async with CloudClient(profile_for(sim), page_size=2, retry=FAST_RETRY,
                               concurrency=6) as small:
            before = sim.state.calls["listSnapshots"]
            taken = 0
            async for _page in small.pages("listSnapshots", "snapshot", listall=True,
                                           window=window):
                taken += 1
                await asyncio.sleep(0.05)  # the requests in the window are answered by now
                most = max(most, sim.state.calls["listSnapshots"] - before - taken)
        return most

    assert await ahead(None) == 6
    assert await ahead(3) == 3


async def test_a_known_page_is_taken_only_if_it_had_items(sim: SimServer) -> None:
    """A page known by its digest is not read again, unless it was empty: an empty answer
    is judged by where it comes (a first page with a count and no list is an error)."""
    async with CloudClient(profile_for(sim), page_size=3, retry=FAST_RETRY) as small:
        first = [p async for p in small.pages("listVolumes", "volume", listall=True,
                                              known=lambda digest: None)]
        memo = {p.digest: (len(p), p.answer_count) for p in first
                if isinstance(p, DigestedPage)}
        again = [p async for p in small.pages("listVolumes", "volume", listall=True,
                                              known=memo.get)]
        empty = [p async for p in small.pages("listVolumes", "volume", listall=True,
                                              known=lambda digest: (0, 99))]
    with sim.state.lock:
        volumes = len(sim.state.volumes)
    assert len(memo) == len(first) == -(-volumes // 3) > 1
    assert [type(p) for p in again] == [KnownPage] * len(first)
    assert [p.length for p in again if isinstance(p, KnownPage)] == [len(p) for p in first]
    assert all(isinstance(p, DigestedPage) for p in empty)
    assert sum(map(len, empty)) == volumes


async def test_server_error_keeps_code_and_text(client: CloudClient) -> None:
    with pytest.raises(CloudError) as caught:
        await client.create_snapshot("not-a-uuid")
    e = caught.value
    assert e.kind is ErrorKind.PARAM and e.code == 431
    assert "invalid value" in e.text and "volumeid" in e.text
    assert "431" in e.user_message()


async def test_wrong_secret_is_an_auth_error_without_the_secret(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim, secret="wrong-secret"), retry=FAST_RETRY) as bad:
        with pytest.raises(CloudError) as caught:
            await bad.zones()
    e = caught.value
    assert e.kind is ErrorKind.AUTH and e.code == 401
    assert e.text == "unable to verify user credentials and/or request signature"
    assert "wrong-secret" not in e.user_message()


async def test_tilde_in_a_value_signs_like_java(client: CloudClient) -> None:
    # cs 5.2.0 alone would send `~` unencoded in the signature and get a 401.
    _, volumes = await hello(client)
    started = await client.create_snapshot(volumes["DATA-42"].id, name="before~upgrade")
    assert started.entity_id
    snap = await client.snapshot(started.entity_id)
    assert snap is not None and snap.name == "before~upgrade"


async def test_unreachable_endpoint_is_a_transport_error() -> None:
    from atlas_tui.cloud.api.config import Profile

    profile = Profile("nowhere", "http://127.0.0.1:9/client/api", "k", "s", "test", timeout_s=2)
    async with CloudClient(profile, retry=RetryPolicy(attempts=2, base_delay_s=0.01)) as c:
        with pytest.raises(CloudError) as caught:
            await c.zones()
    assert caught.value.kind is ErrorKind.TRANSPORT
    assert c.calls["listZones"] == 2  # a read is retried


async def test_slow_server_is_a_timeout(sim: SimServer) -> None:
    sim.faults.parse("latency:listZones=2500ms")
    async with CloudClient(profile_for(sim, timeout_s=1),
                           retry=RetryPolicy(attempts=1)) as c:
        with pytest.raises(CloudError) as caught:
            await c.zones()
    assert caught.value.kind is ErrorKind.TIMEOUT


async def test_reads_retry_through_throttling(sim: SimServer, client: CloudClient) -> None:
    sim.faults.parse("error:listZones#1@429!The given user has reached his/her account api "
                     "limit, please retry after [30] ms.")
    zones = await client.zones()
    assert {z.name for z in zones} >= {"atlas-is1"}
    assert sim.state.calls["listZones"] == 2


async def test_reads_retry_through_server_errors_and_drops(
    sim: SimServer, client: CloudClient
) -> None:
    # aiohttp itself resends a GET once after a drop, so drop that resend too.
    sim.faults.parse("error:listVolumes#1;drop:listVolumes#2+*2")
    volumes = await client.volumes()
    assert volumes
    # The client's own attempts (a dropped connection never reaches the server's log).
    assert client.calls["listVolumes"] == 3


async def test_a_lost_write_answer_is_not_resent(sim: SimServer, client: CloudClient) -> None:
    _, volumes = await hello(client)
    before = len(await client.snapshots_of(volumes["DATA-42"].id))
    # Drop the answer and any resend: a resent write would show as a second snapshot.
    sim.faults.parse("drop:createSnapshot#1+*2@after")
    with pytest.raises(CloudError) as caught:
        await client.create_snapshot(volumes["DATA-42"].id)
    assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME
    assert "may or may not" in caught.value.text
    assert sim.state.calls["createSnapshot"] == 1
    # The server did run it once: exactly one new snapshot, none doubled by a retry.
    assert len(await client.snapshots_of(volumes["DATA-42"].id)) == before + 1


async def test_writes_retry_only_throttling(sim: SimServer, client: CloudClient) -> None:
    _, volumes = await hello(client)
    sim.faults.parse("error:createSnapshot#1@429!The given user has reached his/her account "
                     "api limit, please retry after [20] ms.")
    started = await client.create_snapshot(volumes["DATA-42"].id)
    assert started.entity_id and sim.state.calls["createSnapshot"] == 2
    sim.faults.parse("error:createSnapshot#1@530")
    with pytest.raises(CloudError) as caught:
        await client.create_snapshot(volumes["DATA-42"].id)
    assert caught.value.code == 530
    assert sim.state.calls["createSnapshot"] == 3


async def test_read_only_sends_nothing_and_audits(sim: SimServer, tmp_path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", "demo")
    async with CloudClient(profile_for(sim), read_only=True, audit=audit) as c:
        _, volumes = await hello(c)
        with pytest.raises(CloudError) as caught:
            await c.create_snapshot(volumes["ROOT-42"].id)
    assert caught.value.kind is ErrorKind.READ_ONLY
    assert sim.state.calls["createSnapshot"] == 0
    [line] = audit.read()
    assert line["command"] == "createSnapshot" and line["outcome"].startswith("refused")


async def test_rename_volume_is_a_job_through_the_write_gate(sim: SimServer, tmp_path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", "demo")
    async with CloudClient(profile_for(sim), audit=audit) as c:
        _, volumes = await hello(c)
        started = await c.rename_volume(volumes["DATA-42"].id, "DATA-42-old")
        assert started.command == "updateVolume" and started.entity_id is None
        sim.clock.advance(60)
        result = await c.run(started, poll_s=0.05)
        assert result["volume"]["name"] == "DATA-42-old"
        assert present(await c.volume(volumes["DATA-42"].id)).name == "DATA-42-old"
    [line] = audit.read()
    assert line["command"] == "updateVolume" and line["outcome"] == "accepted"
    assert line["params"] == {"id": volumes["DATA-42"].id, "name": "DATA-42-old"}
    async with CloudClient(profile_for(sim), read_only=True) as ro:
        with pytest.raises(CloudError) as caught:
            await ro.rename_volume(volumes["DATA-42"].id, "nope")
    assert caught.value.kind is ErrorKind.READ_ONLY and sim.state.calls["updateVolume"] == 1


async def test_audit_log_records_writes_without_secrets(sim: SimServer, tmp_path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", "demo")
    async with CloudClient(profile_for(sim), audit=audit) as c:
        _, volumes = await hello(c)
        started = await c.create_snapshot(volumes["ROOT-42"].id, name="audited")
    [line] = audit.read()
    assert line["params"] == {"volumeid": volumes["ROOT-42"].id, "name": "audited"}
    assert line["jobid"] == started.jobid and line["outcome"] == "accepted"
    text = (tmp_path / "audit.jsonl").read_text()
    assert sim.secret_key not in text and sim.api_key not in text


async def test_job_runs_to_a_backed_up_snapshot(sim: SimServer, client: CloudClient) -> None:
    _, volumes = await hello(client)
    started = await client.create_snapshot(volumes["DATA-42"].id)
    first = await client.job(started.jobid)
    assert first.status is JobStatus.PENDING and first.result is None
    snap = await client.snapshot(started.entity_id or "")
    assert snap is not None and snap.state == "Allocated"  # visible at once
    sim.clock.advance(3600)
    result = await client.run(started, poll_s=0.05)
    assert result["snapshot"]["state"] == "BackedUp"


async def test_failed_job_raises_with_server_text(sim: SimServer, client: CloudClient) -> None:
    _, volumes = await hello(client)
    sim.faults.parse("failjob:createSnapshot!Failed to create snapshot: storage is full")
    started = await client.create_snapshot(volumes["DATA-42"].id)
    sim.clock.advance(3600)
    with pytest.raises(CloudError) as caught:
        await client.run(started, poll_s=0.05)
    e = caught.value
    assert e.kind is ErrorKind.JOB_FAILED and e.jobid == started.jobid
    assert e.text == "Failed to create snapshot: storage is full"


async def test_server_clock_comes_from_a_date_header_when_a_proxy_adds_one() -> None:
    async with running_sim(speed=0, date_header=True) as sim, \
            CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
        await client.zones()
        assert client.server_clock_known
        assert abs(client.server_now() - sim.clock.now()) < timedelta(seconds=5)
        before = client.server_offset
        sim.clock.advance(86400)
        await client.zones()
        assert abs(client.server_offset - before - timedelta(days=1)) < timedelta(seconds=5)


async def test_without_a_date_header_the_clock_is_this_computers_and_says_so() -> None:
    """CloudStack's Jetty sends no Date (ServerDaemon.java ~195): no server clock to read."""
    async with running_sim(speed=0, start=None, date_header=False) as sim, \
            CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
        await client.zones()
        assert not client.server_clock_known
        assert abs(client.server_now() - datetime.now(UTC)) < timedelta(seconds=5)


async def test_account_wide_policies_in_one_call(sim: SimServer, client: CloudClient) -> None:
    volumes = await client.volumes()
    policies = await client.all_snapshot_policies(v.id for v in volumes)
    assert sim.state.calls["listSnapshotPolicies"] == 1
    assert {(p.volumename, p.interval) for p in policies} >= {("ROOT-42", "DAILY"),
                                                              ("DATA-42", "HOURLY")}
