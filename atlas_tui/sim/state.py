"""All simulator state, its lock, its ids and its time-ordered event queue.

Every request and every clock advance first runs the events that became due (job steps, policy
runs), in time order. While an event runs, ``now()`` is the event's own time, so a job that
finished during a long ``advance()`` records when it really finished.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from .clock import SimClock
from .model import (
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
from .view import ServerView

log = logging.getLogger(__name__)

DEFAULT_SETTINGS: dict[str, str] = {
    "kvm.snapshot.enabled": "true",  # default since 4.22.0.0
    "kvm.vmstoragesnapshot.enabled": "false",
    "vmsnapshot.max": "10",
    "snapshot.max.hourly": "8",
    "snapshot.max.daily": "8",
    "snapshot.max.weekly": "8",
    "snapshot.max.monthly": "8",
    "default.page.size": "500",
    "api.throttling.enabled": "false",
    "api.throttling.interval": "1",
    "api.throttling.max": "25",
    "snapshot.backup.to.secondary": "true",
    # Finished jobs stay listed this long, then are removed (AsyncJobManagerImpl's cleanup).
    "job.expire.minutes": "1440",
    # Not a CloudStack setting: "false" plays a server older than updateVolume's `name`,
    # which ignores it like any unknown parameter (the job succeeds, nothing is renamed).
    # Servers before 4.19 behave so whatever this says.
    "sim.updatevolume.name": "true",
    # Not a CloudStack setting: commands the account's role may not call (comma separated);
    # they answer 432 as DynamicRoleBasedAPIAccessChecker does, e.g. "listAsyncJobs".
    "sim.role.denied.apis": "",
    # Not a CloudStack setting: whether createVMSnapshot refuses a disk-only snapshot of a
    # running KVM VM (older servers; newer ones may take it with the file-based strategy).
    "sim.kvm.vmsnapshot.running.disk.refused": "true",
}


class Account:
    """The one account the simulator serves: "ops" in domain ROOT."""

    def __init__(self) -> None:
        self.name = "ops"
        self.id = "5f1c0a2e-7b3d-4c8e-9a10-000000000002"
        self.domain = "ROOT"
        self.domainid = "9d2e7b10-1111-4c3a-8e0f-000000000001"
        self.domainpath = "ROOT"
        self.userid = "77aa3c1d-2e4f-4a5b-8c6d-000000000003"

    def owner_fields(self) -> dict[str, object]:
        return {
            "account": self.name,
            "domainid": self.domainid,
            "domain": self.domain,
            "domainpath": self.domainpath,
        }


class SimState:
    def __init__(self, clock: SimClock, settings: dict[str, str] | None, rng_seed: int,
                 view: ServerView | None = None) -> None:
        self.clock = clock
        self.view = view or ServerView()  # the caller's role and the server's version
        self.lock = threading.RLock()
        self.settings: dict[str, str] = dict(DEFAULT_SETTINGS)
        if settings:
            self.settings.update({k: str(v) for k, v in settings.items()})
        self.rng = random.Random(rng_seed)
        self._id_rng = random.Random(f"ids-{rng_seed}")
        self._dbids: dict[str, itertools.count[int]] = {}
        self.account = Account()

        self.zones: dict[str, Zone] = {}
        self.networks: dict[str, Network] = {}
        self.service_offerings: dict[str, ServiceOffering] = {}
        self.disk_offerings: dict[str, DiskOffering] = {}
        self.ostypes: dict[str, OsType] = {}
        self.templates: dict[str, Template] = {}
        self.vms: dict[str, Vm] = {}
        self.volumes: dict[str, Volume] = {}  # without removed volumes
        self.removed_volumes: dict[str, Volume] = {}
        # Insertion order is creation order, so reversed() is "newest first".
        self.snapshots: dict[str, Snapshot] = {}
        self.snapshots_by_volume: dict[str, list[Snapshot]] = {}
        # Destroyed rows stay in the real database: a second delete says "already destroyed".
        self.destroyed_snapshots: dict[str, Snapshot] = {}
        self.policies: dict[str, Policy] = {}
        self.vmsnapshots: dict[str, VmSnapshot] = {}
        self.jobs: dict[str, Job] = {}

        self._events: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._event_time: datetime | None = None
        self._processing = False
        self.version = 0  # bumped on every change; list caches key on it
        self.calls: Counter[str] = Counter()
        self.requests = 0
        # Exceptions raised by the simulator's own code (its bugs: a handler, a job step, an
        # event), answered as the server would (a plain 530). Tests assert this stays empty,
        # so a simulator bug never hides behind an error the app shows.
        self.unexpected: list[tuple[str, BaseException]] = []

    # ids -------------------------------------------------------------------------------
    def new_uuid(self) -> str:
        """A random (version 4) UUID from the seeded RNG; formatted by hand for seeding speed."""
        n = self._id_rng.getrandbits(128)
        n = (n & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def new_dbid(self, kind: str, start: int = 1) -> int:
        counter = self._dbids.get(kind)
        if counter is None:
            counter = self._dbids[kind] = itertools.count(start)
        return next(counter)

    def reserve_dbids(self, kind: str, next_value: int) -> None:
        """Continue numbering ``kind`` at ``next_value`` (after a bulk seed)."""
        self._dbids[kind] = itertools.count(next_value)

    # settings --------------------------------------------------------------------------
    def setting_bool(self, name: str) -> bool:
        return self.settings.get(name, "false").strip().lower() == "true"

    def setting_int(self, name: str, default: int = 0) -> int:
        try:
            return int(self.settings.get(name, str(default)).strip())
        except ValueError:
            return default

    # time and events -------------------------------------------------------------------
    def now(self) -> datetime:
        return self._event_time if self._event_time is not None else self.clock.now()

    def touch(self) -> None:
        self.version += 1

    def schedule(self, at: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (at, next(self._seq), action))

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        self.schedule(self.now() + timedelta(seconds=seconds), action)

    def process_due(self) -> None:
        """Run every event whose time has come, in time order (callers hold the lock)."""
        if self._processing:
            return
        self._processing = True
        try:
            while self._events:
                limit = self.clock.now()
                at, _, action = self._events[0]
                if at > limit:
                    break
                heapq.heappop(self._events)
                self._event_time = at
                try:
                    action()
                except Exception as exc:  # a simulator bug: record it, keep serving
                    log.exception("simulator event failed")
                    self.unexpected.append(("(event)", exc))
                finally:
                    self._event_time = None
                self.touch()
        finally:
            self._processing = False

    def pending_events(self) -> int:
        return len(self._events)

    # snapshots index -------------------------------------------------------------------
    def add_snapshot(self, snap: Snapshot) -> None:
        self.snapshots[snap.id] = snap
        self.snapshots_by_volume.setdefault(snap.volume.id, []).append(snap)

    def remove_snapshot(self, snap: Snapshot) -> None:
        """Destroyed snapshots disappear from every list."""
        snap.state = "Destroyed"
        self.snapshots.pop(snap.id, None)
        self.destroyed_snapshots[snap.id] = snap
        siblings = self.snapshots_by_volume.get(snap.volume.id)
        if siblings is not None and snap in siblings:
            siblings.remove(snap)

    def volume_snapshots(self, volume_id: str) -> list[Snapshot]:
        return self.snapshots_by_volume.get(volume_id, [])
