"""The models' validation: what an answer may look like (as varied as real servers are) and
what it may not (one CloudError naming the command, never AttributeError or ValueError)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import (
    AsyncJob,
    Capabilities,
    DiskOffering,
    JobStatus,
    OsType,
    ServiceOffering,
    Snapshot,
    SnapshotPolicy,
    Template,
    VirtualMachine,
    VMSnapshot,
    Volume,
    Zone,
    parse_items,
)

SNAPSHOT: dict[str, Any] = {
    "id": "b2c5c1a4-6f0e-4e3b-9a55-0f0d1c2e3a41", "name": "web01_ROOT-42_20260504101532",
    "snapshottype": "MANUAL", "intervaltype": "daily", "state": "BackedUp",
    "volumeid": "3f6d2a7c", "volumename": "ROOT-42", "volumetype": "ROOT",
    "created": "2026-05-04T10:15:32+0000", "zoneid": "1c8e", "zonename": "zone-a",
    "physicalsize": 1610612736, "virtualsize": 21474836480, "revertable": True, "tags": [],
}


def refused(parse: Any, d: Any, command: str | None = None) -> str:
    """The message of the CloudError that parsing `d` raises."""
    with pytest.raises(CloudError) as caught:
        parse(d) if command is None else parse(d, command)
    e = caught.value
    assert e.kind is ErrorKind.MALFORMED
    return e.user_message()


def test_a_real_snapshot_reads_with_its_raw_fields() -> None:
    s = Snapshot.parse(SNAPSHOT)
    assert (s.id, s.intervaltype, s.state, s.volumename) == (
        SNAPSHOT["id"], "DAILY", "BackedUp", "ROOT-42")
    assert s.created == datetime(2026, 5, 4, 10, 15, 32, tzinfo=UTC)
    assert s.physicalsize == 1610612736 and s.revertable is True and s.backed_up
    assert s.raw is SNAPSHOT  # the detail pane shows every field, as it came


@pytest.mark.parametrize("model", [Zone, VirtualMachine, Volume, Snapshot, SnapshotPolicy,
                                   VMSnapshot, ServiceOffering, DiskOffering, OsType, Template])
def test_only_the_id_is_required(model: Any) -> None:
    """Gson leaves out null fields: an item may carry nothing but its id."""
    item = model.parse({"id": "x-1"})
    assert item.id == "x-1" and item.raw == {"id": "x-1"}


@pytest.mark.parametrize("model", [Zone, VirtualMachine, Volume, Snapshot, SnapshotPolicy,
                                   VMSnapshot, ServiceOffering, DiskOffering, OsType, Template,
                                   AsyncJob, Capabilities])
def test_parsed_models_are_whole_frozen_dataclasses(model: Any) -> None:
    """`parse` builds models without their __init__ (for speed): each one must still have
    every field, compare and hash as one built by __init__, and stay frozen."""
    d = {"id": "x", "jobid": "j", "jobstatus": 1, **SNAPSHOT}
    item = model.parse(d)
    names = {f.name for f in dataclasses.fields(model)}
    if hasattr(item, "__dict__"):
        assert set(vars(item)) == names
    else:  # a slots dataclass: every slot set
        assert set(type(item).__slots__) == names
        assert all(hasattr(item, name) for name in names)
    same = model(**{name: getattr(item, name) for name in names})
    assert item == same and hash(item) == hash(same) and repr(item) == repr(same)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.raw = {}


@pytest.mark.parametrize("model", [Zone, VirtualMachine, Volume, Snapshot, SnapshotPolicy,
                                   VMSnapshot, ServiceOffering, DiskOffering, OsType, Template])
def test_missing_or_empty_id_is_refused(model: Any) -> None:
    assert "missing required field `id`" in refused(model.parse, {"name": "no id"})
    assert "length >= 1" in refused(model.parse, {"id": ""})
    assert "got `null`" in refused(model.parse, {"id": None})


def test_wrong_types_are_refused_with_the_command_and_the_field() -> None:
    message = refused(Volume.parse, {"id": "v", "name": 5}, "listVolumes")
    assert message.startswith("The answer to listVolumes was not understood: ")
    assert "Expected `str | null`, got `int` - at `$.name`" in message
    assert "got `object`" in refused(Volume.parse, {"id": "v", "name": {"a": 1}})
    assert "got `str`" in refused(Volume.parse, {"id": "v", "size": "big"})
    assert "got `float`" in refused(Volume.parse, {"id": "v", "size": 1.5})
    assert "got `array`" in refused(Snapshot.parse, {"id": "s", "created": []})
    assert "got `int`" in refused(Zone.parse, {"id": 42})


def test_an_item_that_is_not_an_object_is_refused() -> None:
    not_objects: tuple[object, ...] = (None, [], "vol", 3)
    for item in not_objects:
        assert "Expected `object`" in refused(Volume.parse, item)


def test_lenient_where_servers_are() -> None:
    v = Volume.parse({"id": "v", "size": "1073741824", "deviceid": "0", "name": None,
                      "created": "2026-05-04T10:15:32+0200", "unknown": {"x": [1]}})
    assert v.size == 1073741824 and v.deviceid == 0 and v.name == ""
    assert v.created == datetime(2026, 5, 4, 10, 15, 32, tzinfo=timezone(timedelta(hours=2)))
    assert Snapshot.parse({"id": "s", "revertable": "true"}).revertable is True
    assert Snapshot.parse({"id": "s", "revertable": "false"}).revertable is False
    assert Template.parse({"id": "t", "isready": "TRUE"}).isready is True
    # A date that does not read is no date, as before; the rest of the item stands.
    assert Snapshot.parse({"id": "s", "created": "yesterday"}).created is None
    assert Snapshot.parse({"id": "s", "created": "2026-05-04T10:15:32Z"}).created is not None


def test_derived_fields() -> None:
    vm = VirtualMachine.parse({"id": "i", "name": "web", "guestosid": "os-1"})
    assert vm.displayname == "web" and vm.ostypeid == "os-1"
    assert Snapshot.parse({"id": "s", "snapshottype": "hourly"}).intervaltype == "HOURLY"
    assert Snapshot.parse({"id": "s"}).intervaltype == "MANUAL"
    assert [SnapshotPolicy.parse({"id": "p", "intervaltype": v}).interval
            for v in (0, 1, "2", 3, "WEEKLY", 7)] == [
        "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "WEEKLY", "7"]
    assert VMSnapshot.parse({"id": "m", "parentName": "base"}).parent_name == "base"
    assert OsType.parse({"id": "o", "name": "Ubuntu"}).description == "Ubuntu"
    assert DiskOffering.parse({"id": "d", "disksize": 20, "iscustomized": True}).customized


def test_jobs() -> None:
    job = AsyncJob.parse({"jobid": "j", "jobstatus": 2, "jobresultcode": 530,
                          "jobresult": {"errorcode": 530, "errortext": "no space"}})
    assert job.status is JobStatus.FAILED and job.error_text == "no space" and job.done
    assert AsyncJob.parse({"jobid": "j", "jobstatus": "0"}).status is JobStatus.PENDING
    assert AsyncJob.parse({"jobid": "j", "jobstatus": 9}).status is JobStatus.FAILED
    assert AsyncJob.parse({"jobid": "j", "jobstatus": 1, "jobresult": "x"}).result is None
    # Without its status a job would look pending for ever: refused, naming the command.
    message = refused(AsyncJob.parse, {"jobid": "j"})
    assert message.startswith("The answer to queryAsyncJobResult was not understood")
    assert "missing required field `jobstatus`" in message
    assert "missing required field `jobid`" in refused(AsyncJob.parse, {"jobstatus": 1})


def test_capabilities_missing_is_refused() -> None:
    assert Capabilities.parse({"cloudstackversion": "4.22.0.0",
                               "kvmsnapshotenabled": "true"}).kvmsnapshotenabled is True
    with pytest.raises(CloudError) as caught:
        Capabilities.parse(None, "listCapabilities", "capability")
    message = caught.value.user_message()
    assert "at `capability`" in message


def test_parse_items_names_the_bad_item() -> None:
    good = [dict(SNAPSHOT, id=f"s{i}") for i in range(3)]
    assert [s.id for s in parse_items(Snapshot, good, "listSnapshots")] == ["s0", "s1", "s2"]
    for bad, says in [(None, "Expected `object`, got `null` - at `snapshot[2]`"),
                      ({"name": "x"}, "missing required field `id` - at `snapshot[2]`"),
                      (dict(SNAPSHOT, physicalsize="big"), "at `snapshot[2].physicalsize`")]:
        with pytest.raises(CloudError) as caught:
            parse_items(Snapshot, [*good[:2], bad], "listSnapshots", "snapshot")
        assert caught.value.command == "listSnapshots"
        assert says in caught.value.user_message()
