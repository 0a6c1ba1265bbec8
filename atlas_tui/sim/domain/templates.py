"""Templates: create from a snapshot or a volume (create-type: its checks are in ``create()``,
so they refuse the request)."""

from __future__ import annotations

from ..errors import param_error
from ..jobs import JobPlan, Step
from ..model import Job, OsType, Snapshot, Template, Volume, Zone
from ..render import template as render_template
from .world import World


def create_template(
    world: World,
    name: str,
    ostype: OsType,
    snap: Snapshot | None,
    volume: Volume | None,
    displaytext: str,
    zone: Zone | None,
    public: bool,
    featured: bool,
) -> tuple[Template, Job]:
    """Not ready (not deployable) until its job ends."""
    check_create(snap, volume)
    state = world.state
    source_volume = snap.volume if snap is not None else volume
    assert source_volume is not None
    now = state.now()
    tpl = Template(
        id=state.new_uuid(),
        dbid=state.new_dbid("template", 300),
        name=name,
        displaytext=displaytext,
        ostype=ostype,
        zone=zone or source_volume.zone,
        hypervisor=source_volume.hypervisor,
        format=source_volume.format,
        size=snap.virtualsize if snap is not None else source_volume.size,
        created=now,
        owned=True,
        public=public,
        featured=featured,
        ready=False,
        source_snapshot=snap,
    )
    state.templates[tpl.id] = tpl

    def ready() -> object:
        tpl.ready = True
        return None

    plan = JobPlan(
        steps=[Step("end", state.rng.uniform(60.0, 180.0), ready)],
        result=lambda: {"template": render_template(state, tpl)},
        entities=[tpl],
    )
    return tpl, world.submit("createTemplate", plan, "Template", tpl.id)


def check_create(snap: Snapshot | None, volume: Volume | None) -> None:
    if (snap is None) == (volume is None):
        raise param_error(
            "Failed to create private template record, need to specify snapshotId or volumeId, "
            "but not both"
        )
    if snap is not None and snap.state != "BackedUp":
        raise param_error(
            f"Snapshot id={snap.dbid} is not in BackedUp state yet and can't be used for "
            "template creation"
        )
    if volume is not None:
        if volume.vm is not None and volume.vm.state != "Stopped":
            raise param_error(
                f"VolumeId :{volume.id} is not for Stopped VM; please stop the VM before creating "
                "a template from its volume"
            )
        if volume.state != "Ready":
            raise param_error(f"Volume {volume.id} is not in Ready state.")
