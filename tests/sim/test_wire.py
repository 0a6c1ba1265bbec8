"""Signing, authentication failures, list shapes, paging and error shapes on the wire."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

import aiohttp

from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer
from atlas_tui.sim.signing import compute_signature, java_urlencode, string_to_sign

from .conftest import Api
from .signer import java_quote, sign, signed_query

AUTH_TEXT = "unable to verify user credentials and/or request signature"

VECTOR_PARAMS = {
    "apikey": (
        "plgWJfZK4gyS3mOMTVmjUVg-X-jlWlnfaUJ9GAbBbf9EdM-kAYMmAiLqzzq1ElZLYq_u38zCm0bewzGUdP66mg"
    ),
    "command": "listUsers",
    "response": "json",
}
VECTOR_SECRET = (
    "VDaACYb0LV9eNjTetIOElcVQkvJck_J_QljX_FcHRj87ZKiy0z0ty0ZsYBkoXkY9b7eq1EhwJaw7FF3akA3KBQ"
)


def test_documented_signing_vector() -> None:
    assert string_to_sign(VECTOR_PARAMS) == (
        "apikey=plgwjfzk4gys3momtvmjuvg-x-jlwlnfauj9gabbbf9edm-kaymmailqzzq1elzlyq_u38zcm0bewzgud"
        "p66mg&command=listusers&response=json"
    )
    assert compute_signature(VECTOR_PARAMS, VECTOR_SECRET) == "TTpdDq/7j/J58XCRHomKoQXEQds="


def test_java_urlencoder_rules() -> None:
    assert java_urlencode("a b~c*d.e-f_g/h+") == "a%20b%7Ec*d.e-f_g%2Fh%2B"
    assert java_urlencode("ø") == "%C3%B8"


async def test_wrong_secret_gets_exact_401(api) -> None:
    query = signed_query("listVolumes", api.sim.api_key, "not-the-secret")
    ans = await api.raw(query)
    assert ans.status == 401
    assert ans.body == {
        "listvolumesresponse": {"uuidList": [], "errorcode": 401, "errortext": AUTH_TEXT}
    }
    assert ans.headers["Content-Type"] == "application/json; charset=UTF-8"


async def test_unknown_key_and_unknown_command(api) -> None:
    ans = await api.raw(signed_query("listZones", "nobody", api.sim.secret_key))
    assert ans.status == 401 and "listzonesresponse" in ans.body
    ans = await api.call("listBananas")
    # DynamicRoleBasedAPIAccessChecker.java ~159: 432 under errorresponse, not 401.
    assert ans.status == 432 and set(ans.body) == {"errorresponse"}
    assert ans.inner["errortext"].startswith(
        "The API [listBananas] does not exist or is not available for the account "
    )
    assert ans.inner["cserrorcode"] == 4555


async def test_expired_and_missing_expires_are_401(api) -> None:
    sim = api.sim
    expired = await api.raw(signed_query("listZones", sim.api_key, sim.secret_key, expires_in=-60))
    assert expired.status == 401 and expired.inner["errortext"] == AUTH_TEXT
    params = {
        "command": "listZones",
        "apikey": sim.api_key,
        "response": "json",
        "signatureversion": "3",
    }
    params["signature"] = sign(params, sim.secret_key)
    missing = await api.raw(urlencode(params))
    assert missing.status == 401
    fresh = await api.raw(signed_query("listZones", sim.api_key, sim.secret_key, expires_in=60))
    assert fresh.status == 200


async def test_tilde_must_be_signed_as_java_does(api) -> None:
    sim = api.sim
    vol = await api.volume("DATA-42")
    good = signed_query(
        "createSnapshot", sim.api_key, sim.secret_key, volumeid=vol["id"], name="nightly~1"
    )
    ans = await api.raw(good)
    assert ans.status == 200, ans.body
    snaps = await api.snapshots(id=ans.inner["id"])
    assert snaps[0]["name"] == "nightly~1"

    def python_quote(value: str) -> str:  # leaves '~' alone, as cs 5.2.0 does
        return java_quote(value).replace("%7E", "~")

    bad = signed_query(
        "listSnapshots", sim.api_key, sim.secret_key, encoder=python_quote, keyword="a~b"
    )
    assert (await api.raw(bad)).status == 401


async def test_post_form_body_is_signed_and_read(api) -> None:
    sim = api.sim
    query = signed_query("listVirtualMachines", sim.api_key, sim.secret_key, name="hello-atlas")
    ans = await api.raw("", method="POST", data=dict(parse_qsl(query)))
    assert ans.status == 200
    assert ans.inner["virtualmachine"][0]["name"] == "hello-atlas"


async def test_no_date_header_unless_asked_for(api) -> None:
    """ServerDaemon.java ~195: httpConfig.setSendDateHeader(false)."""
    assert "Date" not in (await api.call("listZones")).headers
    assert "Date" not in (await api.call("listBananas")).headers  # nor on errors


async def test_date_header_as_a_proxy_adds_it_follows_the_sim_clock() -> None:
    server = SimServer(seed="empty", speed=0, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY,
                       date_header=True)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(server, session)
            before = parsedate_to_datetime((await api.call("listZones")).headers["Date"])
            server.clock.advance(86400 * 3)
            after = parsedate_to_datetime((await api.call("listZones")).headers["Date"])
    finally:
        await server.stop()
    assert 86400 * 3 <= (after - before).total_seconds() < 86400 * 3 + 5


async def test_empty_list_is_empty_object(api) -> None:
    vm = await api.vm("hello-atlas")
    assert await api.ok("listVMSnapshot", virtualmachineid=vm["id"]) == {}


async def test_paging_count_is_total_and_past_end_has_count_only(api) -> None:
    everything = await api.ok("listSnapshots")
    total = everything["count"]
    assert total == len(everything["snapshot"]) > 10
    page = await api.ok("listSnapshots", page=2, pagesize=5)
    assert page["count"] == total and len(page["snapshot"]) == 5
    assert page["snapshot"][0]["id"] == everything["snapshot"][5]["id"]
    assert await api.ok("listSnapshots", page=1000, pagesize=5) == {"count": total}


async def test_snapshots_are_listed_newest_first(api) -> None:
    created = [s["created"] for s in await api.snapshots()]
    assert created == sorted(created, reverse=True)


async def test_paging_parameter_errors(api) -> None:
    cases = [
        ({"pagesize": 5}, '"page" parameter is required when "pagesize" is specified'),
        ({"page": 1}, '"pagesize" parameter is required when "page" is specified'),
        ({"page": 1, "pagesize": 501}, "Page size can't exceed max allowed page size value: 500"),
        (
            {"page": 1, "pagesize": -1},
            "Can't specify page parameter when pagesize is -1 (Unlimited)",
        ),
    ]
    for params, text in cases:
        ans = await api.call("listVolumes", **params)
        assert ans.status == 431
        assert ans.inner == {
            "uuidList": [],
            "errorcode": 431,
            "cserrorcode": 4350,
            "errortext": text,
        }
        assert ans.headers["X-Description"] == text


async def test_parameter_errors_have_server_texts(api) -> None:
    missing = await api.call("createSnapshot")
    assert missing.status == 431
    assert missing.inner["errortext"] == (
        "Unable to execute API command createsnapshot due to missing parameter volumeid"
    )
    bad = await api.call("createSnapshot", volumeid="1747ef5e-0000-4000-8000-000000000000")
    assert bad.status == 431 and bad.inner["cserrorcode"] == 9999
    assert bad.inner["errortext"].startswith(
        "Unable to execute API command createsnapshot due to invalid value. Invalid parameter "
        "volumeid value=1747ef5e-0000-4000-8000-000000000000 due to incorrect long value format"
    )
    not_number = await api.call(
        "createSnapshotPolicy",
        volumeid=(await api.volume("ROOT-43"))["id"],
        intervaltype="DAILY",
        schedule="00:01",
        timezone="UTC",
        maxsnaps="seven",
    )
    assert (
        not_number.status == 431
        and "Invalid parameter maxsnaps value=seven" in (not_number.inner["errortext"])
    )


async def test_unknown_parameters_are_ignored_but_signed(api) -> None:
    ans = await api.call("listZones", filter="id,name", bogus="x")
    assert ans.status == 200 and ans.inner["count"] == 2


async def test_xml_when_json_not_asked(api) -> None:
    sim = api.sim
    params = {"command": "listZones", "apikey": sim.api_key}
    params["signature"] = sign(params, sim.secret_key)
    async with api.session.get(f"{sim.endpoint}?{urlencode(params)}") as resp:
        text = await resp.text()
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/xml")
    assert (
        text.startswith("<?xml")
        and "<listzonesresponse" in text
        and "<name>atlas-is1</name>" in text
    )
