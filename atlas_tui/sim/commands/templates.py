"""Templates: listTemplates (templatefilter required) and createTemplate."""

from __future__ import annotations

from collections.abc import Iterator

from ..domain import templates
from ..errors import invalid_value
from ..model import Template
from ..render import template as render_template
from .base import Ctx, ListReply, Reply, cached_list, command, job_reply, keyword_match

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
    tpl, job = templates.create_template(
        ctx.world, name, ostype, snap, volume, displaytext, zone, public, featured
    )
    return job_reply(job, create_id=tpl.id)
