"""updateVolume: an async rename, attached or detached; the parameter errors are synchronous
(431, ParamProcessWorker's texts) and a volume busy with something else fails the job."""

from __future__ import annotations

from .conftest import Api


async def test_update_volume_renames_attached_volume_in_a_job(api: Api) -> None:
    root = await api.volume("ROOT-42")
    reply = await api.ok("updateVolume", id=root["id"], name="ROOT-42-replaced-20261102-0930")
    assert set(reply) == {"jobid"}  # not a create command: no entity id
    pending = await api.job(reply["jobid"])
    assert pending["jobstatus"] == 0
    assert pending["cmd"] == "org.apache.cloudstack.api.command.user.volume.UpdateVolumeCmd"
    assert pending["jobinstancetype"] == "Volume" and pending["jobinstanceid"] == root["id"]
    # Nothing changes before the job's end, and the volume shows the job meanwhile.
    listed = (await api.ok("listVolumes", id=root["id"]))["volume"][0]
    assert listed["name"] == "ROOT-42" and listed["jobid"] == reply["jobid"]
    done = await api.finish(reply["jobid"])
    assert done["jobstatus"] == 1 and done["jobresultcode"] == 0
    vol = done["jobresult"]["volume"]
    assert vol["id"] == root["id"] and vol["name"] == "ROOT-42-replaced-20261102-0930"
    assert vol["deviceid"] == 0 and vol["type"] == "ROOT"  # still attached: only the name moved
    assert (await api.ok("listVolumes", name="ROOT-42")).get("volume") is None
    assert (await api.volume("ROOT-42-replaced-20261102-0930"))["id"] == root["id"]


async def test_update_volume_renames_a_detached_volume(api: Api) -> None:
    scratch = await api.volume("scratch-data")
    assert "virtualmachineid" not in scratch
    done = await api.run("updateVolume", id=scratch["id"], name="scratch-old")
    assert done["jobresult"]["volume"]["name"] == "scratch-old"
    assert (await api.volume("scratch-old"))["id"] == scratch["id"]


async def test_update_volume_without_name_changes_nothing(api: Api) -> None:
    # What an older server does with `name` (unknown: ignored) looks the same from outside.
    root = await api.volume("ROOT-42")
    done = await api.run("updateVolume", id=root["id"])
    assert done["jobstatus"] == 1 and done["jobresult"]["volume"]["name"] == "ROOT-42"
    blank = await api.run("updateVolume", id=root["id"], name="")  # empty = absent
    assert blank["jobstatus"] == 1 and blank["jobresult"]["volume"]["name"] == "ROOT-42"


async def test_an_older_server_ignores_the_name(api: Api) -> None:
    api.sim.settings["sim.updatevolume.name"] = "false"
    root = await api.volume("ROOT-42")
    done = await api.run("updateVolume", id=root["id"], name="x" * 300)  # not even checked
    assert done["jobstatus"] == 1 and done["jobresult"]["volume"]["name"] == "ROOT-42"
    assert (await api.volume("ROOT-42"))["id"] == root["id"]


async def test_update_volume_parameter_errors(api: Api) -> None:
    root = await api.volume("ROOT-42")
    jobs = (await api.ok("listAsyncJobs")).get("count", 0)
    missing = await api.call("updateVolume", name="x")
    assert missing.status == 431 and missing.inner["errortext"] == (
        "Unable to execute API command updatevolume due to missing parameter id")
    bad = await api.call("updateVolume", id="not-a-volume", name="x")
    assert bad.status == 431 and bad.inner["errortext"] == (
        "Unable to execute API command updatevolume due to invalid value. Invalid parameter id "
        "value=not-a-volume due to incorrect long value format, or entity does not exist or "
        "due to incorrect parameter annotation for the field in api cmd class.")
    long = await api.call("updateVolume", id=root["id"], name="x" * 256)
    assert long.status == 431 and long.inner["errortext"] == (
        "Unable to execute API command updatevolume due to invalid value. Value greater than "
        "max allowed length 255 for param: name")
    spaces = await api.call("updateVolume", id=root["id"], name="   ")
    assert spaces.status == 431 and spaces.inner["cserrorcode"] == 4350
    # A name of exactly 255 characters is fine.
    assert (await api.run("updateVolume", id=root["id"], name="y" * 255))["jobstatus"] == 1
    # Refused requests started no job and renamed nothing.
    assert (await api.ok("listAsyncJobs"))["count"] == jobs + 1
    assert (await api.ok("listVolumes", id=root["id"]))["volume"][0]["name"] == "y" * 255


async def test_update_volume_of_a_busy_volume_is_renamed(api: Api) -> None:
    """UpdateVolumeCmd checks no state (VolumeApiServiceImpl.updateVolume): a Snapshotting
    volume is renamed like any other."""
    root = await api.volume("ROOT-42")
    await api.ok("createSnapshot", volumeid=root["id"])
    api.sim.clock.advance(3)
    assert (await api.volume("ROOT-42"))["state"] == "Snapshotting"
    done = await api.run("updateVolume", id=root["id"], name="renamed")
    assert done["jobstatus"] == 1
    assert (await api.ok("listVolumes", id=root["id"]))["volume"][0]["name"] == "renamed"


async def test_update_volume_faults(api: Api) -> None:
    root = await api.volume("ROOT-42")
    api.sim.faults.parse("failjob:updateVolume")
    failed = await api.run("updateVolume", id=root["id"], name="renamed")
    assert failed["jobstatus"] == 2
    assert failed["jobresult"] == {"errorcode": 530, "errortext": "Failed to update volume"}
    assert (await api.ok("listVolumes", id=root["id"]))["volume"][0]["name"] == "ROOT-42"
