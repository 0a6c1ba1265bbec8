"""How the server prints an entity inside an error text: ``toString`` as compact JSON of a few
fields (``VolumeVO.java`` ~516, ``SnapshotVO.java`` ~284, ``VMInstanceVO``), not a bare id."""

from __future__ import annotations

import json

from .model import Snapshot, Vm, Volume


def _fields(**values: object) -> str:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def volume_text(v: Volume) -> str:
    return "Volume " + _fields(
        id=v.dbid,
        instanceId=v.vm.dbid if v.vm is not None else None,
        name=v.name,
        uuid=v.id,
        volumeType=v.type,
    )


def vm_text(vm: Vm) -> str:
    return "VM instance " + _fields(
        id=vm.dbid, instanceName=vm.instancename, state=vm.state, type="User", uuid=vm.id
    )


def snapshot_text(s: Snapshot) -> str:
    return "Snapshot " + _fields(id=s.dbid, name=s.name, uuid=s.id, volumeId=s.volume.dbid)
