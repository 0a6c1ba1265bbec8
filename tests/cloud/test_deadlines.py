"""Slow, cut and refused answers: every request has a total deadline and a size cap, and the
HTTP status is read before the body (a proxy's 502 page is "unavailable", not "wrong URL").

Faults come from the server side: the simulator's drip and cut faults, and, for what the
simulator (a CloudStack) never sends, a small HTTP server standing where a proxy or load
balancer would (HTML error pages, a bare 429). Outcomes are checked on the server: what it
was asked, and what exists afterwards. Deadlines are small; nothing asserts a duration, and
every wait is bounded (`asyncio.wait_for`) so a hang fails instead of stalling the suite.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from atlas_tui.cloud.api.client import CloudClient, RetryPolicy
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.sim import SimServer
from atlas_tui.sim.faults import FaultSet, parse_rule
from tests.conftest import FAST_RETRY, profile_for
from tests.helpers import bound_port

BOUND_S = 20  # a bound on waits so a hang fails the test; never reached when it works
ZONES = {"listzonesresponse": {"count": 1, "zone": [
    {"id": "z-1", "name": "atlas-is1", "networktype": "Advanced"}]}}
BAD_GATEWAY = ("<html><head><title>502 Bad Gateway</title></head><body><center>"
               "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
UNAVAILABLE = "<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>"


async def bounded(work: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(work, BOUND_S)


# -- a proxy in front of the API --------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str = ""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeProxy:
    """Answers in order (the last one for ever); `asked` is every command it received."""

    answers: list[Answer]
    asked: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post() if request.method == "POST" else {}
        self.asked.append(str(request.query.get("command") or form.get("command")))
        answer = self.answers[min(len(self.asked), len(self.answers)) - 1]
        return web.Response(status=answer.status, text=answer.body,
                            content_type=answer.content_type, headers=answer.headers)

    def profile(self, timeout_s: float = 5) -> Profile:
        return Profile("proxied", self.url, "key", "secret", "test", timeout_s=timeout_s)


@asynccontextmanager
async def proxy(*answers: Answer) -> AsyncIterator[FakeProxy]:
    fake = FakeProxy(list(answers))
    app = web.Application()
    app.router.add_route("*", "/client/api", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = bound_port(site)
    fake.url = f"http://127.0.0.1:{port}/client/api"
    try:
        yield fake
    finally:
        await runner.cleanup()


@asynccontextmanager
async def behind_proxy(*answers: Answer, retry: RetryPolicy = FAST_RETRY,
                       ) -> AsyncIterator[tuple[FakeProxy, CloudClient]]:
    async with proxy(*answers) as fake, CloudClient(fake.profile(), retry=retry) as client:
        yield fake, client


def zones_json() -> Answer:
    return Answer(200, json.dumps(ZONES), "application/json")


# -- the total deadline ---------------------------------------------------------------------


async def test_a_dripping_answer_ends_at_the_deadline_as_a_timeout(sim: SimServer) -> None:
    # One byte every 50 ms: each answer would take tens of seconds; the deadline is 0.3 s.
    sim.faults.parse("drip:listZones=50ms#1+")
    async with CloudClient(profile_for(sim, timeout_s=0.3), retry=FAST_RETRY) as client:
        with pytest.raises(CloudError) as caught:
            await bounded(client.zones())
    error = caught.value
    assert error.kind is ErrorKind.TIMEOUT and error.transient
    assert error.user_message() == ("The API did not answer in time: no whole answer within "
                                    "0.3 s")
    [rule] = sim.faults.describe()
    # The server began two answers: a timed-out read is tried once more, not as often as
    # other transient errors (FAST_RETRY allows 4 attempts), since each try took a deadline.
    assert rule["fired"] == 2 < FAST_RETRY.attempts
    # The client hung up both times, so the server stops dripping (nothing left running).
    for _ in range(400):
        if sim.faults.dripping == 0:
            break
        await asyncio.sleep(0.01)
    assert sim.faults.dripping == 0


async def test_a_dripping_answer_to_a_write_is_an_unknown_outcome_not_resent(
        sim: SimServer) -> None:
    async with CloudClient(profile_for(sim, timeout_s=0.3), retry=FAST_RETRY) as client:
        [volume] = await client.volumes(name="DATA-42")
        before = {s.id for s in await client.snapshots_of(volume.id)}
        sim.faults.parse("drip:createSnapshot=50ms#1+")
        with pytest.raises(CloudError) as caught:
            await bounded(client.create_snapshot(volume.id))
        assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME
        assert "may or may not" in caught.value.text
        sim.faults.clear()
        after = {s.id for s in await client.snapshots_of(volume.id)}
    # The server ran it once (its answer was what stalled), and it was never resent.
    assert sim.state.calls["createSnapshot"] == 1 and len(after - before) == 1


async def test_a_dripping_answer_within_the_deadline_is_read(sim: SimServer) -> None:
    # A slow answer that does arrive in time is an answer, not an error.
    sim.faults.parse("drip:listCapabilities=1ms")
    async with CloudClient(profile_for(sim, timeout_s=10), retry=FAST_RETRY) as client:
        capabilities = await bounded(client.capabilities())
    assert capabilities.cloudstackversion and sim.faults.describe()[0]["fired"] == 1


# -- the size cap ---------------------------------------------------------------------------


async def test_an_answer_above_the_size_cap_is_refused(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim), retry=FAST_RETRY,
                           max_answer_bytes=2_000) as client:
        assert await client.zones()  # a small answer passes
        with pytest.raises(CloudError) as caught:
            await client.volumes()  # the demo's volumes are far above 2,000 bytes
    error = caught.value
    assert error.kind is ErrorKind.PROTOCOL and not error.transient
    assert "more than the" in error.text and "this client reads" in error.text
    assert sim.state.calls["listVolumes"] == 1  # not retried: it would be as large again


async def test_a_chunked_answer_above_the_size_cap_is_refused_as_it_arrives() -> None:
    big = json.dumps({"listzonesresponse": {"count": 1, "zone": [
        {"id": "z", "name": "x" * 5_000, "networktype": "Advanced"}]}})

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()  # no Content-Length to refuse it by
        await response.prepare(request)
        for start in range(0, len(big), 500):
            await response.write(big[start:start + 500].encode())
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/client/api", chunked)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = bound_port(site)
    try:
        profile = Profile("p", f"http://127.0.0.1:{port}/client/api", "k", "s", "test")
        async with CloudClient(profile, retry=FAST_RETRY, max_answer_bytes=2_000) as client:
            with pytest.raises(CloudError) as caught:
                await client.zones()
    finally:
        await runner.cleanup()
    assert caught.value.kind is ErrorKind.PROTOCOL and "larger than" in caught.value.text


# -- cut-off bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["length", "chunked"])
async def test_a_cut_off_answer_is_a_clear_error_and_a_read_is_retried(
        sim: SimServer, mode: str) -> None:
    sim.faults.parse(f"cut:listZones@{mode}")
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
        zones = await bounded(client.zones())  # the first answer is cut, the retry is whole
        assert "atlas-is1" in [z.name for z in zones]
        assert sim.state.calls["listZones"] == 2
        sim.faults.parse(f"cut:listZones@{mode}#1+")
        with pytest.raises(CloudError) as caught:
            await bounded(client.zones())
    error = caught.value
    assert error.kind is ErrorKind.TRANSPORT
    assert "the connection closed before the end of the answer" in error.text
    if mode == "length":
        assert "bytes arrived" in error.text  # how much of the promised length came
    assert "Traceback" not in error.user_message() and "<" not in error.text


async def test_a_cut_off_answer_to_a_write_is_an_unknown_outcome(sim: SimServer) -> None:
    async with CloudClient(profile_for(sim), retry=FAST_RETRY) as client:
        [volume] = await client.volumes(name="DATA-42")
        before = {s.id for s in await client.snapshots_of(volume.id)}
        sim.faults.parse("cut:createSnapshot")
        with pytest.raises(CloudError) as caught:
            await bounded(client.create_snapshot(volume.id))
        after = {s.id for s in await client.snapshots_of(volume.id)}
    assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME
    assert sim.state.calls["createSnapshot"] == 1 and len(after - before) == 1


# -- status before body ---------------------------------------------------------------------


@pytest.mark.parametrize("status, page", [
    (502, Answer(502, BAD_GATEWAY)),
    (503, Answer(503, UNAVAILABLE)),
    (504, Answer(504, "upstream request timeout", "text/plain")),
    (502, Answer(502, '{"message": "Bad gateway"}', "application/json")),
], ids=["502-html", "503-html", "504-text", "502-foreign-json"])
async def test_gateway_errors_are_retried_then_unavailable(status: int, page: Answer) -> None:
    async with behind_proxy(page) as (fake, client):
        with pytest.raises(CloudError) as caught:
            await bounded(client.zones())
    error = caught.value
    assert error.kind is ErrorKind.UNAVAILABLE and error.http_status == status
    message = error.user_message()
    assert message.startswith(f"The API is unavailable (HTTP {status})")
    assert "CloudStack API" not in message and "endpoint URL" not in message
    assert "<" not in message  # no HTML page in the message
    assert fake.asked == ["listZones"] * FAST_RETRY.attempts


async def test_a_gateway_error_then_the_answer_is_an_answer() -> None:
    answers = (Answer(503, UNAVAILABLE), Answer(502, BAD_GATEWAY), zones_json())
    async with behind_proxy(*answers) as (fake, client):
        zones = await bounded(client.zones())
    assert [z.name for z in zones] == ["atlas-is1"]
    assert fake.asked == ["listZones"] * 3


async def test_cloudstacks_own_503_keeps_its_text_and_is_retried(sim: SimServer,
                                                                  client: CloudClient) -> None:
    text = ("Maintenance or Shutdown has been initiated on this management server. "
            "Can not accept new jobs")
    sim.faults.parse(f"error:listZones#1+*{FAST_RETRY.attempts}@503!{text}")
    with pytest.raises(CloudError) as caught:
        await bounded(client.zones())
    assert caught.value.kind is ErrorKind.UNAVAILABLE and caught.value.code == 503
    assert caught.value.user_message() == f"The API is unavailable (HTTP 503): {text}"
    assert sim.state.calls["listZones"] == FAST_RETRY.attempts
    assert "atlas-is1" in [z.name for z in await client.zones()]  # the rule is spent


@pytest.mark.parametrize("throttled", [
    Answer(429, ""),
    Answer(429, "<html><body>Too Many Requests</body></html>"),
    Answer(429, "", "text/plain", {"Retry-After": "0"}),
    Answer(429, '{"message": "slow down"}', "application/json"),
], ids=["no-body", "html", "retry-after-header", "foreign-json"])
async def test_a_429_without_a_cloudstack_body_is_throttling(throttled: Answer) -> None:
    async with behind_proxy(throttled, zones_json()) as (fake, client):
        zones = await bounded(client.zones())
    assert [z.name for z in zones] == ["atlas-is1"] and fake.asked == ["listZones"] * 2
    async with behind_proxy(throttled) as (fake, client):
        with pytest.raises(CloudError) as caught:
            await bounded(client.zones())
    error = caught.value
    assert error.kind is ErrorKind.THROTTLED and error.http_status == 429
    assert error.user_message().startswith("The API is throttling this account (429)")
    assert fake.asked == ["listZones"] * FAST_RETRY.attempts


async def test_another_5xx_page_is_a_server_error_retried_not_a_wrong_url() -> None:
    page = Answer(500, "<html><body><h1>500 Internal Server Error</h1></body></html>")
    async with behind_proxy(page) as (fake, client):
        with pytest.raises(CloudError) as caught:
            await bounded(client.zones())
    error = caught.value
    assert error.kind is ErrorKind.SERVER and error.code == error.http_status == 500
    assert "endpoint URL" not in error.user_message() and "<" not in error.text
    assert fake.asked == ["listZones"] * FAST_RETRY.attempts


async def test_a_retry_after_header_is_what_a_429_asks_to_wait() -> None:
    answer = Answer(429, "", headers={"Retry-After": "7"})
    async with behind_proxy(answer, retry=RetryPolicy(attempts=1)) as (_, client):
        with pytest.raises(CloudError) as caught:
            await client.zones()
    assert caught.value.retry_after_s == 7.0


async def test_writes_are_not_resent_after_a_gateway_error() -> None:
    async with behind_proxy(Answer(502, BAD_GATEWAY)) as (fake, client):
        with pytest.raises(CloudError) as caught:
            await client.create_snapshot("vol-1")
    # The proxy may have passed the request on before failing: the outcome is unknown.
    assert caught.value.kind is ErrorKind.UNKNOWN_OUTCOME and caught.value.http_status == 502
    assert fake.asked == ["createSnapshot"]


async def test_writes_are_resent_after_a_bare_429() -> None:
    accepted = Answer(200, json.dumps({"createsnapshotresponse": {"id": "s-1", "jobid": "j-1"}}),
                      "application/json")
    async with behind_proxy(Answer(429, ""), accepted) as (fake, client):
        started = await client.create_snapshot("vol-1")
    assert started.jobid == "j-1" and fake.asked == ["createSnapshot"] * 2


async def test_cloudstacks_own_503_to_a_write_is_a_refusal(sim: SimServer,
                                                           client: CloudClient) -> None:
    [volume] = await client.volumes(name="DATA-42")
    before = len(await client.snapshots_of(volume.id))
    sim.faults.parse("error:createSnapshot@503!Maintenance or Shutdown has been initiated")
    with pytest.raises(CloudError) as caught:
        await client.create_snapshot(volume.id)
    assert caught.value.kind is ErrorKind.UNAVAILABLE  # the server said no: not "unknown"
    assert sim.state.calls["createSnapshot"] == 1
    assert len(await client.snapshots_of(volume.id)) == before


async def test_a_non_json_page_with_200_still_says_check_the_url() -> None:
    page = Answer(200, "<html><body>Welcome to nginx!</body></html>")
    async with behind_proxy(page) as (fake, client):
        with pytest.raises(CloudError) as caught:
            await client.zones()
    assert caught.value.kind is ErrorKind.PROTOCOL and fake.asked == ["listZones"]


# -- the fault grammar ----------------------------------------------------------------------


def test_delivery_fault_rules_parse_and_fire_once_by_default() -> None:
    drip = parse_rule("drip:listAsyncJobs=250ms")
    assert (drip.kind, drip.target, drip.latency_ms, drip.times) == (
        "drip", "listAsyncJobs", 250.0, 1)
    assert parse_rule("drip").latency_ms == 1000.0
    cut = parse_rule("cut:listVolumes#2+*3@chunked")
    assert (cut.option, cut.nth, cut.from_nth, cut.times) == ("chunked", 2, True, 3)
    assert parse_rule("cut=0.5").rate == 0.5 and parse_rule("cut").option == "length"
    faults = FaultSet()
    faults.parse("drip:listZones=10ms")
    assert faults.delivery("listVolumes") is None
    first = faults.delivery("listZones")
    assert first is not None and (first.kind, first.pause_s) == ("drip", 0.01)
    assert faults.delivery("listZones") is None  # once


@pytest.mark.parametrize("spec, words", [
    ("drip=0", "above 0"),
    ("drip=fast", "not a duration"),
    ("drip@x", "no @option"),
    ("cut@half", "@length or @chunked"),
    ("cut=2", "between 0 and 1"),
])
def test_bad_delivery_fault_rules_are_explained(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_rule(spec)


async def test_the_simulators_proxy_pages_are_retried_then_the_answer_is_read(
        sim: SimServer, client: CloudClient) -> None:
    sim.faults.parse("html:listZones#1+*2@503")  # two proxy pages, then the API answers
    zones = await bounded(client.zones())
    assert "atlas-is1" in [z.name for z in zones]
    [rule] = sim.faults.describe()
    assert rule["fired"] == 2 and sim.state.calls["listZones"] == 1  # it ran once, at last
