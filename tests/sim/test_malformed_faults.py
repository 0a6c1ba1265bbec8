"""The answer faults on the wire (malform, html): what a raw signed call gets back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from atlas_tui.sim.faults import HUGE_COUNT, MALFORM_HOWS, FaultSet

from .conftest import Api
from .signer import signed_query


def test_grammar() -> None:
    rules = FaultSet.parse_rules("malform:listVolumes#1+@null-item;html:listSnapshots@503;"
                                 "html=0.5;malform@Truncate")
    assert [(r.kind, r.target, r.option) for r in rules] == [
        ("malform", "listVolumes", "null-item"), ("html", "listSnapshots", "503"),
        ("html", None, None), ("malform", None, "truncate")]
    assert rules[0].from_nth and rules[1].code == 503 and rules[1].times == 1
    assert rules[2].code == 502 and rules[2].rate == 0.5


@pytest.mark.parametrize("spec", ["malform", "malform@sideways", "html@200", "html@oops",
                                  "malform=2@no-id"])
def test_invalid_answer_fault_specs(spec: str) -> None:
    with pytest.raises(ValueError, match="fault rule"):
        FaultSet.parse_rules(spec)


async def raw_text(api: Api, command: str, **params: Any) -> tuple[int, str, str]:
    query = signed_query(command, api.sim.api_key, api.sim.secret_key, **params)
    async with api.session.get(f"{api.sim.endpoint}?{query}") as resp:
        return resp.status, resp.content_type, await resp.text()


async def test_html_page_instead_of_the_answer(api: Api) -> None:
    api.sim.faults.parse("html:listZones")
    status, kind, text = await raw_text(api, "listZones")
    assert (status, kind) == (502, "text/html")
    assert "<title>502 Bad Gateway</title>" in text
    assert (await api.call("listZones")).status == 200  # once by default


async def test_each_malform_changes_what_it_says(api: Api) -> None:
    whole = await api.ok("listVolumes")
    assert whole["count"] >= 2 and len(whole["volume"]) == whole["count"]
    seen = {}
    for how in MALFORM_HOWS:
        api.sim.faults.parse(f"malform:listVolumes@{how}")
        status, _, text = await raw_text(api, "listVolumes")
        assert status == 200
        seen[how] = text
    assert json.loads(seen["count-text"])["listvolumesresponse"]["count"] == "many"
    assert json.loads(seen["count-huge"])["listvolumesresponse"]["count"] == HUGE_COUNT
    no_list = json.loads(seen["no-list"])["listvolumesresponse"]
    assert no_list == {"count": whole["count"]}
    assert isinstance(json.loads(seen["not-list"])["listvolumesresponse"]["volume"], dict)
    assert json.loads(seen["null-item"])["listvolumesresponse"]["volume"][0] is None
    assert "id" not in json.loads(seen["no-id"])["listvolumesresponse"]["volume"][0]
    assert json.loads(seen["name-number"])["listvolumesresponse"]["volume"][0]["name"] == 12345
    first = json.loads(seen["name-object"])["listvolumesresponse"]["volume"][0]
    assert first["name"] == {"first": whole["volume"][0]["name"]}
    with pytest.raises(ValueError):
        json.loads(seen["truncate"])
    assert seen["truncate"].startswith('{"listvolumesresponse":{"count":')
    # The item kinds wait for a list with items: an empty list answer does not spend them.
    api.sim.faults.clear()
    api.sim.faults.parse("malform:listVolumes@null-item")
    assert await api.ok("listVolumes", keyword="no-such-volume") == {}
    [rule] = api.sim.faults.describe()
    assert rule["fired"] == 0
