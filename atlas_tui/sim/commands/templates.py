"""Templates: listTemplates (templatefilter required) and createTemplate from a snapshot or a
volume (create-type; its checks are in ``create()``, so they fail the request)."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import invalid_value, param_error
from ..jobs import JobPlan, Step
from ..model import Template
from ..render import template as render_template
from .base import Ctx, ListReply, Reply, cached_list, command, keyword_match

FILTERS = (
    "featured",
    "self",
    "selfexecutable",
    "sharedexecutable",
    "executable",
    "community",
    "all",
)


@command("listTemplates")
def list_templates(ctx: Ctx) -> ListReply:
    p, state = ctx.p, ctx.state
    tfilter = p.req("templatefilter")
    if tfilter not in FILTERS:
        raise invalid_value(ctx.api, "templatefilter", tfilter)
    one = p.entity("id", state.templates)
    ids = p.entities("ids", state.templates)
    name = p.str("name")
    keyword = p.str("keyword")
    zoneid = p.str("zoneid")
    hypervisor = p.str("hypervisor")

    def visible(t: Template) -> bool:
        if tfilter in ("self", "selfexecutable"):
            return t.owned
        if tfilter == "featured":
            return t.featured
        if tfilter == "community":
            return t.public and not t.featured and not t.owned
        if tfilter in ("executable", "sharedexecutable"):
            return t.ready and (t.owned or t.public)
        return True

    def build() -> Iterator[Template]:
        pool = [one] if one is not None else ids if ids is not None else state.templates.values()
        for t in pool:
            if not visible(t):
                continue
            if name is not None and t.name != name:
                continue
            if not keyword_match(keyword, t.name, t.displaytext):
                continue
            if zoneid and t.zone is not None and t.zone.id != zoneid:
                continue
            if hypervisor and t.hypervisor.lower() != hypervisor.lower():
                continue
            yield t

    return ListReply("template", cached_list(ctx, build), render_template)


@command("createTemplate")
def create_template(ctx: Ctx) -> Reply:
    p, state = ctx.p, ctx.state
    name = p.req("name")
    ostype = p.entity_req("ostypeid", state.ostypes)
    snap = p.entity("snapshotid", state.snapshots)
    volume = p.entity("volumeid", state.volumes)
    displaytext = p.str("displaytext") or name
    zone = p.entity("zoneid", state.zones)
    public = p.bool("ispublic")
    featured = p.bool("isfeatured")
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
    return ctx.submit(plan, "Template", tpl.id, create_id=tpl.id)
