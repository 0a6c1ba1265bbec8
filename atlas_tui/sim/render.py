"""Resources to the JSON objects CloudStack returns (Gson rules: no nulls, primitives always).

Field names follow the api doc §5-9. A regular account gets the Restricted view
(``state.view.admin`` false), a root admin the Full view; ``fidelity.md`` cites the Java files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .model import (
    GIB,
    INTERVALS,
    DiskOffering,
    Job,
    Network,
    OsType,
    Policy,
    ServiceOffering,
    Snapshot,
    Template,
    Vm,
    VmSnapshot,
    Volume,
    Zone,
)
from .state import SimState

Obj = dict[str, Any]


def fmt_date(value: datetime) -> str:
    """yyyy-MM-dd'T'HH:mm:ssZ: an RFC 822 offset without a colon."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _job_fields(state: SimState, out: Obj, job_id: str | None) -> None:
    if job_id is not None:
        job = state.jobs.get(job_id)
        if job is not None and job.status == 0:
            out["jobid"] = job.id
            out["jobstatus"] = 0


def zone(state: SimState, z: Zone) -> Obj:
    return {
        "id": z.id,
        "name": z.name,
        "description": z.description,
        "networktype": z.networktype,
        "securitygroupsenabled": z.networktype == "Basic",
        "allocationstate": "Enabled",
        "zonetoken": z.id.replace("-", "")[:24],
        "dhcpprovider": "VirtualRouter",
        "localstorageenabled": False,
        "type": "Core",
        "tags": [],
        "hasannotations": False,
    }


def network(state: SimState, n: Network) -> Obj:
    return {
        "id": n.id,
        "name": n.name,
        "displaytext": n.name,
        "zoneid": n.zone.id,
        "zonename": n.zone.name,
        "type": "Isolated",
        "traffictype": "Guest",
        "state": "Implemented",
        "cidr": n.cidr,
        "isdefault": True,
        "created": fmt_date(n.created),
        **state.account.owner_fields(),
        "tags": [],
        "hasannotations": False,
    }


def service_offering(state: SimState, o: ServiceOffering) -> Obj:
    return {
        "id": o.id,
        "name": o.name,
        "displaytext": o.displaytext,
        "cpunumber": o.cpunumber,
        "cpuspeed": o.cpuspeed,
        "memory": o.memory,
        "created": fmt_date(o.created),
        "storagetype": "shared",
        "provisioningtype": "thin",
        "offerha": False,
        "limitcpuuse": False,
        "isvolatile": False,
        "issystem": False,
        "defaultuse": False,
        "iscustomized": False,
        "hasannotations": False,
    }


def disk_offering(state: SimState, o: DiskOffering) -> Obj:
    return {
        "id": o.id,
        "name": o.name,
        "displaytext": o.displaytext,
        "disksize": o.disksize,
        "iscustomized": o.iscustomized,
        "created": fmt_date(o.created),
        "storagetype": "shared",
        "provisioningtype": "thin",
        "displayoffering": True,
        "hasannotations": False,
    }


def ostype(state: SimState, o: OsType) -> Obj:
    return {
        "id": o.id,
        "name": o.description,
        "description": o.description,
        "oscategoryid": o.category_id,
        "oscategoryname": o.category_name,
        "isuserdefined": False,
        "fordisplay": True,
    }


def template(state: SimState, t: Template) -> Obj:
    out: Obj = {
        "id": t.id,
        "name": t.name,
        "displaytext": t.displaytext,
        "ispublic": t.public,
        "isfeatured": t.featured,
        "isready": t.ready,
        "created": fmt_date(t.created),
        "ostypeid": t.ostype.id,
        "ostypename": t.ostype.description,
        "format": t.format,
        "hypervisor": t.hypervisor,
        "templatetype": t.templatetype,
        "crossZones": t.zone is None,
        "passwordenabled": False,
        "sshkeyenabled": False,
        "isextractable": False,
        "isdynamicallyscalable": False,
        "requireshvm": True,
        "bits": 64,
        "status": "Download Complete" if t.ready else "Creating",
        "tags": [],
        "hasannotations": False,
    }
    if t.ready:
        out["size"] = t.size
    if t.zone is not None:
        out["zoneid"] = t.zone.id
        out["zonename"] = t.zone.name
    if t.owned:
        out.update(state.account.owner_fields())
    else:
        out.update({"account": "system", "domain": "ROOT", "domainid": state.account.domainid})
    _job_fields(state, out, t.job_id)
    return out


def vm(state: SimState, v: Vm) -> Obj:
    root = v.root()
    out: Obj = {
        "id": v.id,
        "name": v.name,
        "displayname": v.displayname,
        "state": v.state,
        "zoneid": v.zone.id,
        "zonename": v.zone.name,
        "hypervisor": v.hypervisor,
        "templateid": v.template.id,
        "templatename": v.template.name,
        "templatedisplaytext": v.template.displaytext,
        "guestosid": v.template.ostype.id,
        "ostypeid": v.template.ostype.id,
        "osdisplayname": v.template.ostype.description,
        "serviceofferingid": v.offering.id,
        "serviceofferingname": v.offering.name,
        "cpunumber": v.offering.cpunumber,
        "cpuspeed": v.offering.cpuspeed,
        "memory": v.offering.memory,
        "rootdeviceid": 0,
        "rootdevicetype": "ROOT",
        "created": fmt_date(v.created),
        **state.account.owner_fields(),
        "haenable": False,
        "isdynamicallyscalable": False,
        "passwordenabled": False,
        "deleteprotection": False,
        "vmtype": "User",
        "nic": [_nic(v)],
        "affinitygroup": [],
        "securitygroup": [],
        "tags": [],
        "details": {},
        "hasannotations": False,
    }
    if root is None:
        out.pop("rootdeviceid")
        out.pop("rootdevicetype")
    if state.view.admin:  # UserVmJoinDaoImpl: arch and instancename in the Full view only
        out["arch"] = "x86_64"
        out["instancename"] = v.instancename
    _job_fields(state, out, v.job_id)
    return out


def _nic(v: Vm) -> Obj:
    nic: Obj = {
        "id": v.nic_id,
        "ipaddress": v.ipaddress,
        "isdefault": True,
        "traffictype": "Guest",
        "macaddress": "02:00:" + ":".join(v.id.replace("-", "")[i : i + 2] for i in (0, 2, 4, 6)),
        "netmask": "255.255.255.0",
        "gateway": v.ipaddress.rsplit(".", 1)[0] + ".1",
        "deviceid": "0",
    }
    if v.network is not None:
        nic.update({"networkid": v.network.id, "networkname": v.network.name, "type": "Isolated"})
    else:
        nic.update({"type": "Shared", "networkname": "defaultGuestNetwork"})
    return nic


def volume(state: SimState, v: Volume) -> Obj:
    out: Obj = {
        "id": v.id,
        "name": v.name,
        "type": v.type,
        "state": v.state,
        "size": v.size,
        "zoneid": v.zone.id,
        "zonename": v.zone.name,
        "provisioningtype": "thin",
        "created": fmt_date(v.created),
        **state.account.owner_fields(),
        "destroyed": False,
        "isextractable": True,
        "deleteprotection": False,
        "supportsstoragesnapshot": False,
        "tags": [],
        "hasannotations": False,
    }
    if state.view.admin:
        _volume_full_view(out, v)
    if v.disk_offering is not None:
        out["diskofferingid"] = v.disk_offering.id
        out["diskofferingname"] = v.disk_offering.name
        out["diskofferingdisplaytext"] = v.disk_offering.displaytext
    if v.offering is not None and v.type == "ROOT":
        out["serviceofferingid"] = v.offering.id
        out["serviceofferingname"] = v.offering.name
    if v.template is not None:
        out["templateid"] = v.template.id
        out["templatename"] = v.template.name
        out["templatedisplaytext"] = v.template.displaytext
    if v.vm is not None:
        out["virtualmachineid"] = v.vm.id
        out["vmname"] = v.vm.name
        out["vmdisplayname"] = v.vm.displayname
        out["vmstate"] = v.vm.state
        out["vmtype"] = "User"
        out["deviceid"] = v.deviceid
        if v.attached is not None:
            out["attached"] = fmt_date(v.attached)
    _job_fields(state, out, v.job_id)
    return out


def _volume_full_view(out: Obj, v: Volume) -> None:
    """What only a root admin sees: VolumeJoinDaoImpl.java ~186, 206-229 fill hypervisor,
    storage, storagetype, path, sizes and the display flag in the Full view only; quiescevm
    is set only with storageid (QueryManagerImpl.java ~2575-2596) and the one driver that
    reports it says false (CloudStackPrimaryDataStoreDriverImpl.java ~96)."""
    out["hypervisor"] = v.hypervisor if v.storage else "None"
    out["virtualsize"] = v.size
    out["displayvolume"] = True
    if v.storage:
        out["storage"] = v.storage
        out["storageid"] = _pool_id(v.storage)
        out["storagetype"] = "shared"
        out["physicalsize"] = int(v.size * 0.42)
        out["path"] = v.id
        out["quiescevm"] = False


def _pool_id(name: str) -> str:
    # Stable per pool name without keeping a pool table.
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "atlas-sim-pool:" + name))


def snapshot(state: SimState, s: Snapshot) -> Obj:
    vol = s.volume
    out: Obj = {
        "id": s.id,
        "name": s.name,
        **state.account.owner_fields(),
        "volumeid": vol.id,
        "volumename": vol.name,
        "volumetype": vol.type,
        "volumestate": "Expunged" if vol.removed else vol.state,
        "intervaltype": s.type,
        "state": s.state,
        "created": fmt_date(s.created),
        "zoneid": vol.zone.id,
        "zonename": vol.zone.name,
        "revertable": s.revertable,
        "tags": [],
        "hasannotations": False,
    }
    if state.view.since(4, 18):
        out["physicalsize"] = s.physicalsize
        out["virtualsize"] = s.virtualsize
    else:  # older servers: one size only (answers recorded from real clouds)
        out["size"] = s.virtualsize
    # SnapshotJoinDaoImpl.java ~157-180: the OS type only while the ROOT volume is attached.
    if vol.type == "ROOT" and vol.vm is not None and s.ostype is not None and not vol.removed:
        out["ostypeid"] = s.ostype.id
    _job_fields(state, out, s.job_id)
    return out


def policy(state: SimState, p: Policy) -> Obj:
    out: Obj = {
        "id": p.id,
        "volumeid": p.volume.id,
        "volumename": p.volume.name,
        "schedule": p.schedule,
        "intervaltype": p.interval,
        "maxsnaps": p.maxsnaps,
        "timezone": p.timezone,
        "tags": [],
        # ApiDBUtils.java ~1716-1744 fills the zone and the primary store of the volume.
        "zone": [{"id": p.volume.zone.id, "name": p.volume.zone.name}],
        "storage": (
            [{"id": _pool_id(p.volume.storage), "name": p.volume.storage}]
            if p.volume.storage
            else []
        ),
        "hasannotations": False,
    }
    if state.view.admin:
        out["fordisplay"] = True
    return out


def interval_name(p: Policy) -> str:
    return INTERVALS[p.interval]


def vmsnapshot(state: SimState, s: VmSnapshot) -> Obj:
    out: Obj = {
        "id": s.id,
        "name": s.name,
        "displayname": s.displayname,
        "state": s.state,
        "type": s.type,
        "current": s.current,
        "created": fmt_date(s.created),
        "virtualmachineid": s.vm.id,
        "virtualmachinename": s.vm.name,
        "hypervisor": s.vm.hypervisor,
        "zoneid": s.vm.zone.id,
        "zonename": s.vm.zone.name,
        **state.account.owner_fields(),
        "tags": [],
        "hasannotations": False,
    }
    if s.description is not None:
        out["description"] = s.description
    if s.parent is not None:
        out["parent"] = s.parent.id
        out["parentName"] = s.parent.displayname
    # No job fields: ListVMSnapshotCmd has no resource type (ApiServer.java ~880-895).
    return out


def job(state: SimState, j: Job) -> Obj:
    acct = state.account
    out: Obj = {
        "accountid": acct.id,
        "account": acct.name,
        "domainid": acct.domainid,
        "domainpath": acct.domainpath,
        "userid": acct.userid,
        "cmd": j.cmd_class,
        "jobstatus": j.status,
        "jobprocstatus": 0,
        "jobresultcode": j.result_code,
    }
    if j.result is not None:
        out["jobresulttype"] = "object"
        out["jobresult"] = j.result
    if j.instance_type is not None:
        out["jobinstancetype"] = j.instance_type
    if j.instance_id is not None:
        out["jobinstanceid"] = j.instance_id
    out["created"] = fmt_date(j.created)
    if j.completed is not None:
        out["completed"] = fmt_date(j.completed)
    out["jobid"] = j.id
    return out


def gib(n: float) -> int:
    return int(n * GIB)
