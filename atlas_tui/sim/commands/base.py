"""What a command handler gets (``Ctx``), what it returns (replies) and the command registry."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.scheduler import Scheduler
from ..domain.world import World
from ..model import Job
from ..params import Params
from ..state import SimState

Obj = dict[str, Any]


@dataclass(slots=True)
class Reply:
    """Fields placed directly under ``<cmd>response``."""

    body: Obj


@dataclass(slots=True)
class ListReply:
    key: str
    items: Sequence[Any]
    render: Callable[[SimState, Any], Obj]


@dataclass(slots=True)
class Ctx:
    """One request: its parameters, and the world and scheduler the domain acts on."""

    world: World
    scheduler: Scheduler
    p: Params

    @property
    def state(self) -> SimState:
        return self.world.state

    @property
    def api(self) -> str:
        return self.p.api


Handler = Callable[[Ctx], "Reply | ListReply"]
REGISTRY: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        REGISTRY[name] = fn
        return fn

    return register


def success() -> Reply:
    return Reply({"success": True})


def job_reply(job: Job, create_id: str | None = None) -> Reply:
    """An async command's answer: its job, and the new resource's id for a create."""
    if create_id is not None:
        return Reply({"id": create_id, "jobid": job.id})
    return Reply({"jobid": job.id})


def keyword_match(keyword: str | None, *texts: str | None) -> bool:
    if not keyword:
        return True
    kw = keyword.lower()
    return any(t is not None and kw in t.lower() for t in texts)


class ListCache:
    """Filtered lists keyed by (command, filters), valid while ``state.version`` is unchanged.

    Paging through 300k snapshots then costs one filter pass, not one per page.
    """

    def __init__(self, size: int = 64) -> None:
        self._data: OrderedDict[tuple[Any, ...], tuple[int, list[Any]]] = OrderedDict()
        self._size = size

    def get(
        self, state: SimState, key: tuple[Any, ...], build: Callable[[], Iterable[Any]]
    ) -> list[Any]:
        hit = self._data.get(key)
        if hit is not None and hit[0] == state.version:
            self._data.move_to_end(key)
            return hit[1]
        items = list(build())
        self._data[key] = (state.version, items)
        if len(self._data) > self._size:
            self._data.popitem(last=False)
        return items


def cached_list(ctx: Ctx, build: Callable[[], Iterable[Any]]) -> list[Any]:
    filters = tuple(sorted((k, v) for k, v in ctx.p.values.items() if k not in _NOT_FILTERS))
    cache = ctx.state.__dict__.setdefault("list_cache", ListCache())
    return cache.get(ctx.state, (ctx.api, filters), build)


_NOT_FILTERS = frozenset(
    {"page", "pagesize", "signature", "expires", "apikey", "signatureversion", "response"}
)
