"""The account at a glance: which machines are protected, and how.

One `Inventory.load` costs a handful of account-wide list calls (VMs, volumes, policies,
snapshots), paged concurrently, never one call per instance or volume. Snapshots are
folded into per-volume statistics page by page and then dropped, so 300,000 snapshots
do not have to sit in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

import msgspec

from atlas_tui.cloud import long_lived, turns
from atlas_tui.cloud.api.client import CloudClient, DigestedPage, KnownPage, PageMemo
from atlas_tui.cloud.api.models import (
    IN_PROGRESS_SNAPSHOT_STATES,
    INTERVAL_NAMES,
    Raw,
    SnapshotPolicy,
    SnapshotTally,
    VirtualMachine,
    Volume,
    parse_date,
    parse_items,
)
from atlas_tui.cloud.raw_archive import RawPage, archive
from atlas_tui.cloud.seen_ids import SeenIds
from atlas_tui.cloud.sizes import stored_bytes

_M = TypeVar("_M", VirtualMachine, Volume)


class _Strings:
    """One shared copy of each repeated string in raw dicts (zone, account, domain, offering,
    template, storage, state, and the keys): each JSON page decodes its own copies. The
    models keep some of them (10,000s of "Running", "KVM", zone ids otherwise), and a page
    archives each shared string once (raw_archive.py). The dicts keep equal values; only the
    string objects are shared. About 6 µs per dict of 40 fields."""

    def __init__(self) -> None:
        self.table: dict[Any, Any] = {}
        self._same = self.table.setdefault

    def share(self, value: Any) -> Any:
        """`value` with its strings shared: a dict is rebuilt (its keys shared too, so that
        a page archives to the same bytes whichever decoder cache its keys came from)."""
        same, share = self._same, self.share
        if value.__class__ is dict:
            return {
                same(k, k): same(v, v) if v.__class__ in _SHARED
                else share(v) if v.__class__ in _CONTAINERS else v
                for k, v in value.items()
            }
        elif value.__class__ is list:
            value[:] = [
                same(v, v) if v.__class__ in _SHARED
                else share(v) if v.__class__ in _CONTAINERS else v
                for v in value
            ]
        return value


# Strings, and ints: a volume's size in bytes is an object of its own per volume (30,000 at
# 10,000 instances), and disk sizes repeat. Exactly int (a bool equals 1 and 0: never in
# the table), and never a float beside them (5.0 == 5).
_SHARED = (str, int)
_CONTAINERS = (dict, list)
# SnapshotStats' field of each recurring interval's newest good snapshot.
_GOOD_FIELD = dict(zip(
    INTERVAL_NAMES, ("good_hourly", "good_daily", "good_weekly", "good_monthly"), strict=True))
_DATE_FIELDS = ("newest", "oldest_in_progress", *_GOOD_FIELD.values())

# Raw items shared per loop pass: a page of 500 instances is ~10 ms of `share` (more on a
# loaded machine), which with the page's models in the same pass made the longest stalls of
# a load at 10,000 instances. A page's items are shared, archived (`RawPage`, ~3 ms) and
# built into models (~3 ms) in separate turns (cloud/turns.py).
SHARE_CHUNK = 100


# Volumes' stats settled per turn by `Inventory._share_stats` (~7 ms).
SHARE_STATS_CHUNK = 2_000
# Snapshot pages in flight during a reload (the first load uses the client's concurrency):
# each holds ~1 MB while it is read and decoded, on top of the inventory already held, and
# a reload has no one waiting for it.
RELOAD_SNAPSHOT_WINDOW = 3
ARCHIVE_CHUNK = 500  # policies' raw dicts archived per turn (a page's worth, ~3 ms)

# Entries dropped per turn by `_drop`: a load's string table (every distinct string of its
# pages, ~1,000,000 at 30,000 instances) or its snapshot ids (900,000), freed when the load
# ends, are 40-150 ms of deallocation in one piece.
DROP_CHUNK = 10_000


async def _drop(table: dict[Any, Any] | set[Any]) -> None:
    """Empty `table`, `DROP_CHUNK` entries per turn."""
    pop = table.popitem if isinstance(table, dict) else table.pop
    while table:
        async with turns.turn():
            for _ in range(min(DROP_CHUNK, len(table))):
                pop()


async def _shared(strings: _Strings, page: list[Raw]) -> list[Raw]:
    """`[strings.share(raw) for raw in page]`, `SHARE_CHUNK` items per turn."""
    share = strings.share
    raws: list[Raw] = []
    for at in range(0, len(page), SHARE_CHUNK):
        async with turns.turn():
            raws += [share(raw) for raw in page[at:at + SHARE_CHUNK]]
    return raws


class SnapshotStats(msgspec.Struct, gc=False):
    """What the instance and volume lists show about a volume's snapshots.

    A `gc=False` struct (numbers and dates, never a cycle): an account holds one per volume,
    30,000 at the scale seed, which the garbage collector need not walk."""

    count: int = 0
    newest: datetime | None = None
    physical_bytes: int = 0  # the sum of the sizes known (see sizes.stored_bytes)
    unsized: int = 0  # snapshots whose answer gives no size: unknown, not 0
    in_progress: int = 0
    failed: int = 0
    # `created` of the oldest snapshot not BackedUp yet: stuck once past the threshold
    # (cloud/stuck.py), whoever started it.
    oldest_in_progress: datetime | None = None
    # The newest BackedUp snapshot per recurring interval type: does a policy still run
    # (cloud/protection.py)? An Error run protects nothing, a MANUAL one is no policy's.
    # A field per interval, read as a mapping through `newest_good`: a dict per volume was
    # ~120 bytes more each (3.5 MB at 30,000 volumes) than four slots.
    good_hourly: datetime | None = None
    good_daily: datetime | None = None
    good_weekly: datetime | None = None
    good_monthly: datetime | None = None
    volume_name: str = ""  # as the snapshots say: all that is left of a deleted volume

    @property
    def newest_good(self) -> Mapping[str, datetime]:
        """The newest BackedUp snapshot per interval name (HOURLY..MONTHLY), of the intervals
        that have one; read-only (a copy of the fields)."""
        return MappingProxyType({
            name: created for name, created in zip(
                INTERVAL_NAMES,
                (self.good_hourly, self.good_daily, self.good_weekly, self.good_monthly),
                strict=True)
            if created is not None})

    def share_dates(self, same: Callable[[datetime, datetime], datetime]) -> None:
        """Each date kept replaced by `same(date, date)`: an equal one to share (a
        `dict.setdefault`); a datetime is 48 bytes, and this one struct keeps up to six."""
        for name in _DATE_FIELDS:
            kept = getattr(self, name)
            if kept is not None:
                setattr(self, name, same(kept, kept))

    def _see_in_progress(self, created: datetime | None) -> None:
        if created is not None and (self.oldest_in_progress is None
                                    or created < self.oldest_in_progress):
            self.oldest_in_progress = created

    def _see_good(self, kind: str, created: datetime | None) -> None:
        """`created` for interval `kind` (one of INTERVAL_NAMES), if newer than the one kept."""
        name = _GOOD_FIELD[kind]
        newest = getattr(self, name)
        if created is not None and (newest is None or created > newest):
            setattr(self, name, created)

    def add_raw(self, snap: Raw) -> None:
        self.count += 1
        created = parse_date(snap.get("created"))
        if created is not None and (self.newest is None or created > self.newest):
            self.newest = created
        size = stored_bytes(snap)
        if size is None:
            self.unsized += 1
        else:
            self.physical_bytes += size
        state = snap.get("state")
        if state in IN_PROGRESS_SNAPSHOT_STATES:
            self.in_progress += 1
            self._see_in_progress(created)
        elif state == "Error":
            self.failed += 1
        elif state == "BackedUp" and created is not None:
            kind = str(snap.get("intervaltype") or snap.get("snapshottype") or "").upper()
            if kind in INTERVAL_NAMES:
                self._see_good(kind, created)
        if not self.volume_name and snap.get("volumename"):
            self.volume_name = str(snap["volumename"])

    def add(self, snap: SnapshotTally) -> None:
        """`add_raw` for a snapshot decoded as a `SnapshotTally` (the account-wide fold)."""
        self.count += 1
        created = parse_date(snap.created)
        if created is not None and (self.newest is None or created > self.newest):
            self.newest = created
        size = snap.stored_bytes()
        if size is None:
            self.unsized += 1
        else:
            self.physical_bytes += size
        state = snap.state
        if state in IN_PROGRESS_SNAPSHOT_STATES:
            self.in_progress += 1
            self._see_in_progress(created)
        elif state == "Error":
            self.failed += 1
        elif state == "BackedUp" and created is not None:
            kind = (snap.intervaltype or snap.snapshottype or "").upper()
            if kind in INTERVAL_NAMES:
                self._see_good(kind, created)
        if not self.volume_name and snap.volumename:
            self.volume_name = snap.volumename

    def merge(self, other: SnapshotStats) -> None:
        self.count += other.count
        self.physical_bytes += other.physical_bytes
        self.unsized += other.unsized
        self.in_progress += other.in_progress
        self.failed += other.failed
        self._see_in_progress(other.oldest_in_progress)
        if other.newest is not None and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest
        self._see_good("HOURLY", other.good_hourly)
        self._see_good("DAILY", other.good_daily)
        self._see_good("WEEKLY", other.good_weekly)
        self._see_good("MONTHLY", other.good_monthly)


@dataclass(frozen=True, slots=True)
class Protection:
    """Which recurring policies cover an instance's volumes. Few distinct values: the rows of
    one `row_maker` share equal ones."""

    intervals: tuple[str, ...]  # in HOURLY..MONTHLY order
    covered: int  # volumes with at least one policy
    total: int

    @property
    def none(self) -> bool:
        return self.covered == 0

    @property
    def partial(self) -> bool:
        return 0 < self.covered < self.total

    def describe(self) -> str:
        if self.total == 0:
            return "no volumes"
        if self.none:
            return "none"
        words = "+".join(i.lower() for i in self.intervals)
        return f"{words} ({self.covered}/{self.total} vols)" if self.partial else words


class InstanceRow(msgspec.Struct, frozen=True, gc=False):
    """What the instance list shows of one VM, kept by the screen to rebuild its cells (`t`)
    and to find a stuck row. One per VM: a `gc=False` struct (no dict, no GC header; it
    holds no cycle), 80 bytes."""

    vm: VirtualMachine
    volume_count: int
    newest_snapshot: datetime | None
    protection: Protection
    snapshot_bytes: int
    snapshots_in_progress: int
    snapshots_unsized: int = 0  # of its snapshots, how many come without a size
    oldest_in_progress: datetime | None = None  # see SnapshotStats


@dataclass
class _Pages:
    """An inventory's pages of instances and volumes, for the next load to reuse: by the
    bytes of their archive (the same items, whatever else the answer said: its `count`
    moves with any instance added anywhere), and by the digest of their answer (the same
    answer: not even decoded), with the answer's count."""

    blobs: dict[bytes, tuple[RawPage, list[Any]]] = field(default_factory=dict)
    digests: dict[bytes, tuple[RawPage, list[Any], int | None]] = field(default_factory=dict)


@dataclass
class Inventory:
    vms: dict[str, VirtualMachine] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    policies_by_volume: dict[str, list[SnapshotPolicy]] = field(default_factory=dict)
    stats_by_volume: dict[str, SnapshotStats] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)  # "vms", "volumes", "policies", "snapshots"
    # Each page of instances and volumes as archived, with its models: a reload that reads
    # the same page again takes these models instead of building new ones.
    _pages: _Pages = field(default_factory=lambda: _Pages(), repr=False, compare=False)
    # The pages of policies, by their answer's digest: the next load's policies of a page
    # that answers the same are these objects.
    _policy_pages: PageMemo = field(default_factory=PageMemo, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        return self.loaded >= {"vms", "volumes", "policies", "snapshots"}

    async def load(self, client: CloudClient, on_update: Callable[[str], None],
                   previous: Inventory | None = None) -> None:
        """Fill the inventory; `on_update(part)` after each page so the UI can repaint.

        `previous`, the inventory this one replaces: a page of instances or volumes that
        reads exactly as one of its pages is not parsed again, its models are shared (the
        same answer makes the same models). A reload of an account that barely changed then
        costs little more memory than the inventory already held."""
        pages = previous._pages if previous is not None else _Pages()
        if previous is not None:
            self._policy_pages = PageMemo(previous=previous._policy_pages.now)
        # One table for both lists: a volume's VM id and name are then its VM's own strings,
        # not a second copy of each (~1.5 MB at 10,000 instances).
        strings = _Strings()
        vm_task = asyncio.ensure_future(self._load_models(
            VirtualMachine, "listVirtualMachines", "virtualmachine", self.vms, "vms",
            client, on_update, pages, strings))
        volume_task = asyncio.ensure_future(self._load_models(
            Volume, "listVolumes", "volume", self.volumes, "volumes", client, on_update, pages,
            strings))
        snapshot_task = asyncio.ensure_future(self._load_snapshots(
            client, on_update, RELOAD_SNAPSHOT_WINDOW if previous is not None else None))

        async def vms_then_drop() -> None:
            await vm_task
            # Volumes are in by now: the table goes as both lists are, not after snapshots.
            await _drop(strings.table)

        try:
            await volume_task
            # Policies come after volumes: old servers need the volume ids to list them.
            await asyncio.gather(vms_then_drop(), snapshot_task,
                                 self._load_policies(client, on_update))
        except BaseException:
            for task in (vm_task, volume_task, snapshot_task):
                task.cancel()
            raise
        await self._share_stats(previous.stats_by_volume if previous is not None else {})

    async def _share_stats(self, previous: dict[str, SnapshotStats]) -> None:
        """Once volumes and snapshots are in: each volume's stats keyed by its volume's own
        id string (not the copy each snapshot page decoded), without the volume's name (kept
        for a deleted volume only: all that is left of it), and the stats that read as those
        of `previous` (the inventory this one replaces, which screens hold until they
        repaint) are those objects: one copy of an unchanged volume's stats, not one per
        inventory alive; the dates of the others are shared (`SnapshotStats.share_dates`)."""
        volumes = self.volumes
        shared: dict[str, SnapshotStats] = {}
        # Scheduled runs start together: 30,000 volumes' kept dates were 1,260 distinct
        # values at the scale seed. One object per value, for this load's stats.
        dates: dict[datetime, datetime] = {}
        same_date = dates.setdefault
        folds = self.stats_by_volume
        keys = list(folds)  # not (key, stats) tuples: 30,000 of them, ~2 MB at a reload's peak
        # A turn per chunk: comparing with the previous stats is ~3.5 µs a volume, 106 ms in
        # one piece at 30,000 volumes (measured with stall_trace --cpu during a refresh).
        for at in range(0, len(keys), SHARE_STATS_CHUNK):
            async with turns.turn():
                for volume_id in keys[at:at + SHARE_STATS_CHUNK]:
                    folded = folds[volume_id]
                    volume = volumes.get(volume_id)
                    if volume is not None:
                        volume_id = volume.id
                        folded.volume_name = ""
                    old = previous.get(volume_id)
                    if old is not None and old == folded:
                        shared[volume_id] = old
                    else:
                        folded.share_dates(same_date)
                        shared[volume_id] = folded
        self.stats_by_volume = shared

    def _models(self, model: type[_M], raws: list[Raw], page: RawPage, command: str, key: str,
                previous: _Pages) -> list[_M]:
        """The models of one page, its raw dicts archived as `page` (raw_archive.py), or
        those of the previous inventory's page that archived to the same bytes (the same
        items exactly, checked when that page was parsed)."""
        same = previous.blobs.get(page.blob)
        if same is not None:
            page, models = same
        else:
            # parse_items: an item that does not fit is named (`virtualmachine[3].name`)
            models = parse_items(model, raws, command, key)
            archive(models, page)
        self._pages.blobs[page.blob] = (page, models)
        return models

    async def _load_models(self, model: type[_M], command: str, key: str,
                           into: dict[str, _M], part: str, client: CloudClient,
                           on_update: Callable[[str], None], previous: _Pages,
                           strings: _Strings) -> None:
        """Every instance or volume into `into`, by id. A page whose answer reads byte for
        byte as one the previous inventory read takes that page's models and archive,
        neither decoded nor built again (`known`): an auto refresh of an account that did
        not change decodes nothing, and leaves no garbage behind it. `strings`: the load's
        table, shared by both lists (emptied by `load`)."""

        def known(digest: bytes) -> tuple[int, int | None] | None:
            seen = previous.digests.get(digest)
            return None if seen is None else (len(seen[1]), seen[2])

        async for page in client.pages(command, key, known=known, listall=True):
            if isinstance(page, KnownPage):
                archived, models, count = previous.digests[page.digest]
                self._pages.blobs[archived.blob] = (archived, models)
                self._pages.digests[page.digest] = (archived, models, count)
            else:
                answer = ((page.digest, page.answer_count) if isinstance(page, DigestedPage)
                          else None)
                raws = await _shared(strings, page)
                del page  # the decoded dicts: only their shared copies from here on
                async with turns.turn():
                    archived = RawPage(raws)
                async with turns.turn():
                    models = self._models(model, raws, archived, command, key, previous)
                    del raws
                    if answer is not None:
                        self._pages.digests[answer[0]] = (archived, models, answer[1])
                del archived
            async with turns.turn():
                for one in models:
                    into[one.id] = one
                del models
                long_lived.settle()  # no full GC pass walks the models again (long_lived.py)
                on_update(part)
        self.loaded.add(part)
        on_update(part)

    async def _load_policies(self, client: CloudClient, on_update: Callable[[str], None]) -> None:
        policies = await client.all_snapshot_policies(self.volumes, self._policy_pages)
        # Their raw dicts archived as the instances' and volumes' are (a page known from the
        # last load brings models archived already): ~12 entries each, 3,000 policies.
        fresh = [p for p in policies if isinstance(p.raw, dict)]
        for at in range(0, len(fresh), ARCHIVE_CHUNK):
            async with turns.turn():
                chunk = fresh[at:at + ARCHIVE_CHUNK]
                archive(chunk, [dict(p.raw) for p in chunk])
        del fresh
        by_volume: dict[str, list[SnapshotPolicy]] = {}
        for policy in policies:
            by_volume.setdefault(policy.volumeid, []).append(policy)
        self.policies_by_volume = by_volume
        long_lived.settle()
        self.loaded.add("policies")
        on_update("policies")

    async def _load_snapshots(self, client: CloudClient, on_update: Callable[[str], None],
                              window: int | None) -> None:
        """Every snapshot folded into its volume's stats. `window`: pages in flight at once
        (None: the client's concurrency, for the first load)."""
        stats: dict[str, SnapshotStats] = {}
        # The ids seen, against a list that shifts while it is paged: the ids themselves (a
        # canonical UUID as its 16 bytes: seen_ids.py), never their hashes, which two ids
        # could share (identity is the id).
        seen = SeenIds()
        # Each page decoded straight into compact items (SnapshotTally), validated, with
        # none of the fields no screen shows built.
        async for page in client.pages("listSnapshots", "snapshot", as_type=SnapshotTally,
                                       on_count=seen.expect, window=window, listall=True):
            for snap, new in zip(page, seen.fresh([snap.id for snap in page]), strict=True):
                if new:
                    stats.setdefault(snap.volumeid or "", SnapshotStats()).add(snap)
            self.stats_by_volume = stats
            on_update("snapshots")
        self.stats_by_volume = stats
        self.loaded.add("snapshots")
        on_update("snapshots")
        for part in seen.parts():
            await _drop(part)

    # -- views ------------------------------------------------------------------------

    def volumes_of(self, vm_id: str) -> list[Volume]:
        return sorted(
            (v for v in self.volumes.values() if v.virtualmachineid == vm_id),
            key=lambda v: (v.deviceid if v.deviceid is not None else 99, v.name),
        )

    def protection(self, volumes: list[Volume]) -> Protection:
        intervals: set[str] = set()
        covered = 0
        for volume in volumes:
            policies = self.policies_by_volume.get(volume.id, [])
            if policies:
                covered += 1
                intervals.update(p.interval for p in policies)
        ordered = tuple(i for i in INTERVAL_NAMES if i in intervals)
        return Protection(ordered, covered, len(volumes))

    def instance_rows(self) -> list[InstanceRow]:
        row_of = self.row_maker()
        return [row_of(vm) for vm in list(self.vms.values())]

    def row_maker(
        self, by_vm: dict[str, list[Volume]] | None = None
    ) -> Callable[[VirtualMachine], InstanceRow]:
        """`InstanceRow` of one VM, from the volumes as they are now: a screen builds 10,000
        rows a slice at a time (yielding to the loop), while pages still come in. `by_vm`:
        the volumes of each VM (attached ones), if the caller has grouped them already."""
        if by_vm is None:
            by_vm = {}
            for volume in list(self.volumes.values()):
                if volume.virtualmachineid:
                    by_vm.setdefault(volume.virtualmachineid, []).append(volume)
        stats_by_volume = self.stats_by_volume
        # Equal protections, one object: a handful of distinct values among 10,000 rows.
        protections: dict[Protection, Protection] = {}
        same_protection = protections.setdefault

        def row_of(vm: VirtualMachine) -> InstanceRow:
            volumes = by_vm.get(vm.id, [])
            total = SnapshotStats()
            for volume in volumes:
                stats = stats_by_volume.get(volume.id)
                if stats is not None:
                    total.merge(stats)
            protection = self.protection(volumes)
            return InstanceRow(
                vm=vm,
                volume_count=len(volumes),
                newest_snapshot=total.newest,
                protection=same_protection(protection, protection),
                snapshot_bytes=total.physical_bytes,
                snapshots_unsized=total.unsized,
                snapshots_in_progress=total.in_progress,
                oldest_in_progress=total.oldest_in_progress,
            )

        return row_of

    def orphan_stats(self) -> SnapshotStats:
        """Snapshots whose volume is gone (deleting a volume leaves its snapshots)."""
        total = SnapshotStats()
        if "volumes" not in self.loaded:
            return total
        for volume_id, stats in self.stats_by_volume.items():
            if volume_id not in self.volumes:
                total.merge(stats)
        return total
