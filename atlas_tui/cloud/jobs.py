"""The async-job tracker: every job in flight, polled on one timer, published to subscribers.

One `JobTracker` lives on the App (not on a screen), so closing a screen never loses a job.
Screens and panels subscribe to it; multi-step workflows `await tracker.wait(jobid)` instead
of polling on their own.

How it polls (`run()`, one worker for the whole session):

- One timer, and about one API call per tick however many jobs are in flight:
  `listAsyncJobs` with `startdate` a minute before the oldest pending job (server time)
  answers for all of them, normally in one page.
- A job that list did not return (expired from it, or a server that lists pending jobs only
  and the job just ended) gets one `queryAsyncJobResult` per tick, round-robin.
- Snapshot progress: a pending createSnapshot job carries no result, so its Allocated →
  Creating → BackingUp steps are only visible in `listSnapshots`. While a snapshot job may
  still show a step, every other tick asks `listSnapshots ids=<those>` *instead of* the job
  list: still one call per tick, the UI sees each step, stuck detection knows the state the
  snapshot is stuck in, and adopted snapshot jobs learn their volume. A createSnapshot job seen
  in BackingUp has no step left but its end, and its end carries the snapshot's final state:
  from then on it costs no snapshot call, and while every snapshot job is there each tick is a
  job list, so an end shows at the next tick. While every job in flight is a createSnapshot
  still before BackingUp (no success can come yet), the steady interval is doubled: a step
  shows within two of them. A snapshot seen ended (BackedUp, Error, gone) makes the next tick,
  at once, a job list: the job's outcome and error text come from the job, and a failure
  shows within one interval.
  `snapshot_states=False` turns this off.
- Cadence: `min_interval_s` after a job is added (a first look soon), then ×1.5 per tick up to
  a cap. The cap is `steady_interval_s` while any job in flight is young, so an end shows
  within about that; once the youngest has run longer than `steady_interval_s /
  LATENCY_SHARE`, the cap is that share of its age (an end seen ~5 % of the job's run time
  late), at most `max_interval_s`. A change brings the interval back to at most the steady
  one (jobs started together end together), but not to the minimum: with many jobs in flight
  something changes at almost every tick, and that reset doubled the calls for no gain. No
  job in flight: the loop sleeps on an event that `track()` / `adopt()` set, and makes no
  call at all.
- Failures pause polling, never drop a job: network, timeout, 5xx, 429 (waiting what the
  server advertises) and auth errors set `paused_reason` and retry with backoff.
- Each call goes out once, not through the client's retrying read: the tracker is its own
  retry loop, so a flaky link costs one call per tick and the pause shows at once.
- A slow call never stops the tracking: a tick waits at most `tick_wait_s` for its call.
  One still running then is left to finish in the background within its own deadline (the
  client's, or `call_deadline_s`), and the next ticks go on: another way when there is one
  (job by job while the list hangs, the list while a snapshot list hangs), else the same
  question again (one stalled request says little about the next). An answer that lands
  late is still used (a slow server is still a server). At most `max_outstanding` calls
  wait at once, below the client's connection slots, so a hung server cannot starve the
  screens' own loads: beyond that, polling pauses until one of them ends.
- Stuck: a snapshot job not done after `stuck_after`, measured on the server's clock from the
  job's `created`, is flagged `stuck` with the Atlas guide's advice (wait, retry, support).
  CloudStack itself sends no Date header: then the job is timed on this computer's clock from
  when the tracker first saw it, and the job says so (`timing_note`).
- A 432 (or 431/531) on listAsyncJobs (a role without it) switches to queryAsyncJobResult per
  job; an answer without `jobstatus` ends the job as an error instead of "Pending" for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from atlas_tui.cloud.api.client import CloudClient, list_page
from atlas_tui.cloud.api.commands import api_name, verb_of
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.models import (
    AsyncJob,
    JobStarted,
    JobStatus,
    Raw,
    Snapshot,
    SnapshotState,
    parse_items,
)
from atlas_tui.cloud.durations import duration

log = logging.getLogger(__name__)

# Errors that mean "the list call itself is not usable here": switch strategy, don't pause.
_UNUSABLE = (ErrorKind.PARAM, ErrorKind.UNSUPPORTED, ErrorKind.PERMISSION)
# How far before the oldest pending job `startdate` reaches: clocks and whole seconds.
STARTDATE_MARGIN = timedelta(minutes=1)
MAX_IDS_PER_CALL = 100  # listSnapshots ids=...: keep the URL well under server limits
BACKOFF = 1.5
# Once jobs have run long, how late (a share of the youngest one's run time) an end may show.
LATENCY_SHARE = 0.05
# createSnapshot states with no step left but the job's end (whose result carries the final
# state): no listSnapshots is needed for a job seen in one of them.
LAST_STEP_STATES = frozenset({"BackingUp"})
# createSnapshot states before BackingUp: the job can fail there, not succeed.
EARLY_STEP_STATES = frozenset({"Allocated", "Creating", "CreatedOnPrimary"})
# A createSnapshot job whose snapshot shows one of these has ended (or is about to).
ENDED_SNAPSHOT_STATES = frozenset({"BackedUp", "Error", "Destroyed"})
T = TypeVar("T")

# The Atlas guide's advice for a snapshot that is not BackedUp in time, in order.
STUCK_ADVICE = (
    "Wait: a large volume can take a long time to back up, and the job is still running "
    "on the server.",
    "Retry: take the snapshot again (one key). The stuck one can be deleted once it leaves "
    "Creating/BackingUp.",
    "Contact support: send them the diagnostic (copy it), with the snapshot, volume and job "
    "ids, the times and the states seen.",
)

SNAPSHOT_JOBS = frozenset({"createSnapshot", "deleteSnapshot", "revertSnapshot"})
STUCK_JOBS = frozenset({"createSnapshot", "createVMSnapshot"})


def _fmt(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "-"


def _duration(seconds: float) -> str:
    return duration(seconds)


# Said wherever a time is measured without the server's clock (no Date header).
NO_SERVER_CLOCK = ("the server sends no clock (no Date header): measured from when atlas-tui "
                   "first saw the job; the server's clock skew is unknown")


# Without `jobstatus` nobody can tell whether the job is running, done or failed.
NO_JOBSTATUS = ("The server's answer for this job has no jobstatus: its outcome is unknown. "
                "Check the resource it acts on before retrying.")


def unreadable_job_answer(job: AsyncJob) -> str:
    """Why a parsed job answer cannot be read ('' when it can)."""
    return NO_JOBSTATUS if "jobstatus" not in job.raw else ""


class SeenState(NamedTuple):
    """A state of the job's resource, and when (server time) the tracker first saw it."""

    state: str
    at: datetime


@dataclass(frozen=True)
class SnapshotRetry:
    """What the UI needs to re-issue a snapshot: `client.create_snapshot(volume_id, ...)`,
    with a new name built from `volume_name`."""

    volume_id: str
    volume_name: str


@dataclass(eq=False)
class TrackedJob:
    """One job, as the tracker knows it. Mutated in place by the tracker only."""

    jobid: str
    command: str  # API command name: createSnapshot, stopVirtualMachine, ...
    label: str  # "Snapshot ROOT-42"
    target: str  # what it acts on, for people: a volume or VM name
    resource_id: str | None  # the id of what it acts on (a volume for createSnapshot)
    entity_id: str | None  # the entity the job creates or changes (the snapshot)
    started_at: float  # the tracker's clock (monotonic) when tracked / when it started
    started_server: datetime  # server time when tracked (before `created` is known)
    adopted: bool = False  # started by someone else, found in listAsyncJobs
    created: datetime | None = None  # the job's `created`, server time
    completed: datetime | None = None
    finished_at: float | None = None  # the tracker's clock when the end was seen
    last: AsyncJob | None = None  # the last answer seen for this job
    status: JobStatus = JobStatus.PENDING
    error: str = ""
    states: list[SeenState] = field(default_factory=list)
    stuck: bool = False
    lost: bool = False  # the server no longer knows the job id
    clock_known: bool = True  # False: times measured on this computer (no server Date)
    volume_id: str | None = None
    volume_name: str | None = None
    _clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    @property
    def done(self) -> bool:
        return self.lost or self.status is not JobStatus.PENDING

    @property
    def succeeded(self) -> bool:
        return self.status is JobStatus.SUCCEEDED and not self.error

    @property
    def failed(self) -> bool:
        return self.done and not self.succeeded

    @property
    def state(self) -> str | None:
        """The resource state last seen (Allocated, Creating, BackingUp, BackedUp...)."""
        return self.states[-1].state if self.states else None

    @property
    def phase(self) -> str:
        """One word for a table cell."""
        if self.lost:
            return "Lost"
        if self.status is JobStatus.FAILED:
            return "Failed"
        if self.status is JobStatus.CANCELLED:
            return "Cancelled"
        if self.done:
            return self.state or "Done"
        if self.stuck:
            return f"Stuck in {self.state}" if self.state else "Stuck"
        return self.state or "Pending"

    @property
    def elapsed_s(self) -> float:
        end = self.finished_at if self.finished_at is not None else self._clock()
        return max(0.0, end - self.started_at)

    @property
    def advice(self) -> tuple[str, ...]:
        return STUCK_ADVICE if self.stuck else ()

    @property
    def timing_note(self) -> str:
        """How the age of this job was measured, when that is not the server's clock."""
        return "" if self.clock_known else NO_SERVER_CLOCK

    def _see(self, state: str, at: datetime) -> bool:
        if not state or self.state == state:
            return False
        self.states.append(SeenState(state, at))
        return True

    def diagnostic(self) -> str:
        """Plain text for a support ticket: ids, times, states seen, last error."""
        snap = self.entity_id if self.command in SNAPSHOT_JOBS else None
        lines = [
            f"atlas-tui job diagnostic: {self.label}",
            f"job id:        {self.jobid}",
            f"command:       {self.command}"
            + (f" ({self.last.cmd})" if self.last and self.last.cmd else ""),
            f"target:        {self.target}",
        ]
        if snap:
            lines.append(f"snapshot id:   {snap}")
        elif self.entity_id:
            lines.append(f"entity id:     {self.entity_id}")
        if self.volume_id or self.volume_name:
            lines.append(f"volume:        {self.volume_id or '-'} ({self.volume_name or '?'})")
        elif self.resource_id:
            lines.append(f"resource id:   {self.resource_id}")
        lines += [
            f"created:       {_fmt(self.created or self.started_server)}",
            f"completed:     {_fmt(self.completed)}",
            f"elapsed:       {_duration(self.elapsed_s)}",
            f"status:        {self.phase}" + (" (stuck)" if self.stuck else ""),
            "clock:         " + ("the server's (Date header)" if self.clock_known
                                 else NO_SERVER_CLOCK),
            "states seen:   " + (", ".join(f"{s.state} at {_fmt(s.at)}" for s in self.states)
                                 or "-"),
            f"last error:    {self.error or '-'}",
        ]
        if self.last is not None:
            lines.append(f"result code:   {self.last.resultcode}")
        lines.append(f"started by:    {'another client' if self.adopted else 'atlas-tui'}")
        return "\n".join(lines)


JobCallback = Callable[[TrackedJob], object]  # what it returns is not used
PausedCallback = Callable[[str | None], None]


class JobTracker:
    """All jobs in flight, polled on one timer. See the module docstring."""

    def __init__(
        self,
        client: CloudClient,
        *,
        stuck_after: timedelta = timedelta(minutes=10),
        min_interval_s: float = 0.5,
        max_interval_s: float = 10.0,
        steady_interval_s: float = 1.75,
        urgent_interval_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        snapshot_states: bool = True,
        adopt_foreign: bool = True,
        tick_wait_s: float = 3.0,
        call_deadline_s: float | None = None,
        max_outstanding: int = 3,
    ) -> None:
        self.client = client
        self.stuck_after = stuck_after
        self.min_interval_s = min_interval_s
        self.max_interval_s = max(max_interval_s, min_interval_s)
        # The cadence while a young job is in flight: ~36 calls/min at most, an end seen
        # within ~1.75 s (issue 13's polling figure).
        self.steady_interval_s = min(max(steady_interval_s, min_interval_s),
                                     self.max_interval_s)
        # While someone awaits a job (a restore's next step), poll at this fixed cadence:
        # no backoff between the server ending the job and the next step starting.
        self.urgent_interval_s = urgent_interval_s
        self.clock = clock
        self.snapshot_states = snapshot_states
        self.adopt_foreign = adopt_foreign
        self.tick_wait_s = tick_wait_s
        self.call_deadline_s = call_deadline_s
        self.max_outstanding = max_outstanding
        self.calls_made: Counter[str] = Counter()
        self.ticks = 0
        self.interval_s = min_interval_s
        self.intervals: deque[float] = deque(maxlen=200)  # the sleeps chosen, newest last
        self.paused_reason: str | None = None
        self._jobs: dict[str, TrackedJob] = {}
        self._subscribers: list[JobCallback] = []
        self._finished_subscribers: list[JobCallback] = []
        self._paused_subscribers: list[PausedCallback] = []
        self._waiters: dict[str, asyncio.Future[AsyncJob]] = {}
        self._wake = asyncio.Event()
        self._list_usable = True  # False after listAsyncJobs was refused: queries only
        self._snapshots_usable = True
        self._round_robin = 0
        self._failures = 0
        self._added = False  # a job was added since the loop last looked
        # A snapshot showed its job's end: the next tick (a job list: ticks alternate) at once.
        self._confirm = False
        self._confirmed: set[str] = set()  # jobs that made a tick do so (once each)
        # Calls that outlived their tick → what they ask ("list", "snapshots", "job:<id>").
        self._outstanding: dict[asyncio.Future[Any], str] = {}

    # -- what the UI reads ----------------------------------------------------------------

    @property
    def jobs(self) -> list[TrackedJob]:
        """Every tracked job, newest first."""
        return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    @property
    def in_flight(self) -> list[TrackedJob]:
        return [j for j in self.jobs if not j.done]

    def get(self, jobid: str) -> TrackedJob | None:
        return self._jobs.get(jobid)

    def retry_args(self, job: TrackedJob) -> SnapshotRetry | None:
        """The volume to snapshot again, for a createSnapshot job; None when unknown."""
        if job.command != "createSnapshot":
            return None
        volume_id = job.volume_id or job.resource_id
        if not volume_id:
            return None
        return SnapshotRetry(volume_id, job.volume_name or job.target)

    # -- registering ----------------------------------------------------------------------

    def track(
        self,
        started: JobStarted,
        *,
        label: str,
        target: str,
        resource: str | None = None,
        snapshot_id: str | None = None,
    ) -> TrackedJob:
        """Register a job the app started. `resource` is the id of what it acts on (the
        volume for createSnapshot); `snapshot_id` the snapshot a delete or revert acts on."""
        entity = snapshot_id or started.entity_id
        tj = self._jobs.get(started.jobid)
        if tj is not None:  # seen first in listAsyncJobs (adopted): now we know what it is
            tj.label, tj.target, tj.adopted = label, target, False
            tj.resource_id = resource or tj.resource_id
            tj.entity_id = entity or tj.entity_id
        else:
            now = self.client.server_now()
            tj = TrackedJob(
                jobid=started.jobid, command=started.command, label=label, target=target,
                resource_id=resource, entity_id=entity, started_at=self.clock(),
                started_server=now, _clock=self.clock,
                clock_known=self.client.server_clock_known,
            )
            if started.command == "createSnapshot":
                tj.volume_id, tj.volume_name = resource, target
                # The server creates the row before answering (cloudstack-api.md §4.1).
                tj._see(SnapshotState.ALLOCATED.value, now)
            self._jobs[tj.jobid] = tj
        self._changed(tj)
        self._poke()
        return tj

    def adopt(self, job: AsyncJob) -> TrackedJob:
        """Show a job the app did not start (from listAsyncJobs)."""
        tj = self._jobs.get(job.jobid)
        if tj is not None:
            self._update(tj, job)
            return tj
        command = api_name(job.cmd)
        now = self.client.server_now()
        created = job.created or now
        # Without the server's clock, `now - created` mixes two clocks (a skew of days would
        # read as days): the job is timed from when it is first seen instead.
        known = self.client.server_clock_known
        age = max(0.0, (now - created).total_seconds()) if known else 0.0
        entity = job.instanceid or None
        tj = TrackedJob(
            jobid=job.jobid, command=command,
            label=f"{verb_of(command)} {entity[:8] if entity else job.jobid[:8]}",
            target=f"{job.instancetype} {entity}" if entity else "-",
            resource_id=None, entity_id=entity,
            started_at=self.clock() - age, started_server=created, adopted=True,
            created=job.created, _clock=self.clock, clock_known=known,
        )
        self._jobs[tj.jobid] = tj
        self._update(tj, job)  # a first sight always counts as a change: it publishes
        self._poke()
        return tj

    async def discover(self) -> list[TrackedJob]:
        """Adopt the account's pending jobs (one listAsyncJobs). For the App's start.
        Each entry is read on its own: one that cannot be (a `null`, no `jobstatus`) is
        skipped while the others are adopted, then one CloudError naming listAsyncJobs
        says what was skipped (raised after the adoption, for the App to report)."""
        problems: list[str] = []
        raw = await self._list("listAsyncJobs", "asyncjobs", skipped=problems, listall=True)
        adopted: list[TrackedJob] = []
        for i, d in enumerate(raw):
            try:
                job = AsyncJob.parse(d, "listAsyncJobs", f"asyncjobs[{i}]")
            except CloudError as e:
                if e.kind is not ErrorKind.MALFORMED:
                    raise
                problems.append(e.text)
                continue
            if not job.done:
                adopted.append(self.adopt(job))
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise CloudError("listAsyncJobs", f"{len(problems)} pending job(s) could not be "
                             f"read and are not shown: {problems[0]}{more}",
                             kind=ErrorKind.MALFORMED)
        return adopted

    # -- listening --------------------------------------------------------------------------

    def subscribe(self, callback: JobCallback) -> Callable[[], None]:
        """Call `callback(job)` on every change of any job. Keep it cheap: it runs in the
        polling loop. Returns the unsubscribe function."""
        return self._add(self._subscribers, callback)

    def on_finished(self, callback: JobCallback) -> Callable[[], None]:
        """Call `callback(job)` once when a job ends (for "Snapshot ROOT-42 done" toasts)."""
        return self._add(self._finished_subscribers, callback)

    def subscribe_paused(self, callback: PausedCallback) -> Callable[[], None]:
        """Call `callback(reason)` when polling pauses (reason) or resumes (None)."""
        return self._add(self._paused_subscribers, callback)

    @staticmethod
    def _add(subscribers: list[Any], callback: Any) -> Callable[[], None]:
        subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                subscribers.remove(callback)

        return unsubscribe

    async def wait(self, jobid: str) -> AsyncJob:
        """The job's final AsyncJob, once the tracker sees it end (track() it first).
        Raises KeyError for a job not tracked, CloudError if the server lost it."""
        tj = self._jobs.get(jobid)
        if tj is None:
            raise KeyError(f"job {jobid} is not tracked")
        if tj.done:
            return self._outcome(tj)
        future = self._waiters.get(jobid)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            # Mark an exception as retrieved even if every waiter was cancelled meanwhile.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._waiters[jobid] = future
            self._wake.set()  # a sleep chosen before anyone waited is cut short (_sleep)
        # shield: one cancelled waiter must not cancel the future the others await.
        return await asyncio.shield(future)

    @staticmethod
    def _outcome(tj: TrackedJob) -> AsyncJob:
        if tj.last is None or not tj.last.done:
            raise CloudError("queryAsyncJobResult", tj.error or f"job {tj.jobid} was lost",
                             kind=ErrorKind.JOB_FAILED, jobid=tj.jobid)
        return tj.last

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled. Never raises for API trouble: it pauses instead."""
        try:
            await self._loop()
        finally:
            for call in list(self._outstanding):  # nothing outlives the tracker
                call.cancel()

    @property
    def outstanding(self) -> list[str]:
        """What the calls still waiting for an answer ask, for diagnostics and tests."""
        return sorted(self._outstanding.values())

    def _asking(self, key: str) -> bool:
        return key in self._outstanding.values()

    async def _loop(self) -> None:
        while True:
            if not self.in_flight:
                self._wake.clear()
                self.interval_s = self.min_interval_s
                await self._wake.wait()
            await self._sleep(self.interval_s, wakeable=True)
            if not self.in_flight:
                continue
            try:
                changed = await self._tick()
            except CloudError as e:
                await self._pause(e.user_message(), self._pause_delay(e))
                continue
            except Exception as e:  # a bug here must not end polling for the session
                log.exception("job tracker tick failed")
                await self._pause(f"internal error: {e}", self._pause_delay(None))
                continue
            self._failures = 0
            resumed = self.paused_reason is not None
            if resumed:
                self._set_paused(None)
            grown = self.interval_s * BACKOFF
            if resumed or self._added:
                self.interval_s = self.min_interval_s
            elif changed:
                self.interval_s = min(grown, self._steady())
            else:
                self.interval_s = min(grown, self._cap())
            if self._confirm:  # a snapshot showed its job's end: the job list, at once
                self.interval_s = 0.0
            if self._urgent():
                self.interval_s = min(self.interval_s, self.urgent_interval_s)
            self.intervals.append(self.interval_s)

    def _steady(self) -> float:
        """The steady cadence: doubled while only early snapshot steps are watched."""
        steady = self.steady_interval_s
        return min(2 * steady, self.max_interval_s) if self._steps_only() else steady

    def _cap(self) -> float:
        """The longest sleep between ticks now (see the module docstring: cadence)."""
        youngest = min((j.elapsed_s for j in self.in_flight), default=0.0)
        return min(max(self._steady(), LATENCY_SHARE * youngest), self.max_interval_s)

    def _urgent(self) -> bool:
        """Someone awaits a job still in flight (a restore step)."""
        return any(not f.done() for f in self._waiters.values())

    def _poke(self) -> None:
        self._added = True
        self._wake.set()

    async def _sleep(self, seconds: float, *, wakeable: bool) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            if not wakeable:
                await asyncio.sleep(left)
                return
            if self._urgent() and left > self.urgent_interval_s:
                deadline = loop.time() + self.urgent_interval_s
                continue
            if self._added:
                # A job was added: look at it soon rather than after a long backoff.
                self._added = False
                self.interval_s = self.min_interval_s
                deadline = min(deadline, loop.time() + self.min_interval_s)
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), left)
            except TimeoutError:
                return

    def _pause_delay(self, error: CloudError | None) -> float:
        self._failures += 1
        if error is not None and error.retry_after_s is not None:
            return min(error.retry_after_s + 0.05, 60.0)  # what the 429 advertises
        if error is not None and error.kind is ErrorKind.AUTH:
            return self.max_interval_s  # keys don't fix themselves quickly
        return min(self.min_interval_s * 2 ** self._failures, self.max_interval_s)

    async def _pause(self, reason: str, delay: float) -> None:
        self._set_paused(reason)
        await self._sleep(delay, wakeable=False)

    def _set_paused(self, reason: str | None) -> None:
        self.paused_reason = reason
        for callback in list(self._paused_subscribers):
            try:
                callback(reason)
            except Exception:
                log.exception("job tracker pause subscriber failed")

    # -- one tick ---------------------------------------------------------------------------

    async def _tick(self) -> bool:
        """One poll: normally exactly one API call. True when anything changed."""
        pending = self.in_flight
        if len(self._outstanding) >= self.max_outstanding:
            raise CloudError("queryAsyncJobResult", f"{len(self._outstanding)} calls are "
                             "still waiting for an answer", kind=ErrorKind.TIMEOUT)
        snapshot_ids = [j.entity_id for j in pending if j.entity_id and self._may_step(j)]
        self._confirm = False
        if (snapshot_ids and self.snapshot_states and self._snapshots_usable and self.ticks % 2
                and not self._asking("snapshots")):
            changed = await self._poll_snapshots(snapshot_ids)
        elif self._list_usable and not self._asking("list"):
            changed = await self._poll_list(pending)
        else:
            changed = await self._poll_one(pending)
        self.ticks += 1
        return self._check_stuck() or changed

    @staticmethod
    def _on_snapshot(tj: TrackedJob) -> bool:
        return tj.command in SNAPSHOT_JOBS or (
            tj.last is not None and tj.last.instancetype == "Snapshot")

    def _steps_only(self) -> bool:
        """Every job in flight is a createSnapshot before BackingUp (it can fail, not succeed)."""
        pending = self.in_flight
        return bool(pending) and self.snapshot_states and self._snapshots_usable and all(
            j.command == "createSnapshot" and j.entity_id and j.state in EARLY_STEP_STATES
            for j in pending)

    def _may_step(self, tj: TrackedJob) -> bool:
        """A snapshot job whose snapshot may still show a step before the job ends."""
        if not self._on_snapshot(tj):
            return False
        return tj.command != "createSnapshot" or tj.state not in LAST_STEP_STATES

    def _list_since(self, pending: list[TrackedJob]) -> dict[str, Any]:
        """listAsyncJobs' `startdate`: before the oldest pending job, on the server's clock.
        A job not yet seen is known only by this computer's time: without the server's
        clock (no Date header) that could be after the job, so no `startdate` is sent."""
        if not self.client.server_clock_known and any(j.created is None for j in pending):
            return {}
        oldest = min(j.created or j.started_server for j in pending)
        since = (oldest - STARTDATE_MARGIN).astimezone(UTC)
        return {"startdate": since.strftime("%Y-%m-%dT%H:%M:%S+0000")}

    async def _poll_list(self, pending: list[TrackedJob]) -> bool:
        try:
            raw = await self._ask("list", self._list(
                "listAsyncJobs", "asyncjobs", listall=True, **self._list_since(pending)),
                late=self._fold_list)
        except CloudError as e:
            if e.kind not in _UNUSABLE:
                raise
            log.warning("listAsyncJobs refused (%s): polling job by job", e.text)
            self._list_usable = False
            return False
        if raw is None:  # still on its way: the next ticks ask job by job meanwhile
            return False
        changed, seen = self._fold_list(raw)
        missing = [j for j in pending if j.jobid not in seen and not j.done]
        if missing:
            changed |= await self._poll_one(missing)
        return changed

    def _fold_list(self, raw: list[Raw]) -> tuple[bool, set[str]]:
        """Fold a listAsyncJobs answer in: (anything changed, the job ids it listed)."""
        changed = False
        seen: set[str] = set()
        for d in raw:
            job = self._parse_job(d)
            if job is None:
                continue  # an unreadable entry: its job, if tracked, now says so
            seen.add(job.jobid)
            tj = self._jobs.get(job.jobid)
            if tj is not None:
                if not tj.done:  # finished jobs stay listed for a while: nothing new there
                    changed |= self._update(tj, job)
            elif self.adopt_foreign and not job.done:
                self.adopt(job)
                changed = True
        return changed, seen

    async def _poll_one(self, candidates: list[TrackedJob]) -> bool:
        """queryAsyncJobResult for one job, taking turns between calls."""
        # Jobs not already asked about first; if all are, ask again (see the module docstring).
        candidates = ([j for j in candidates if not self._asking(f"job:{j.jobid}")]
                      or candidates)
        tj = candidates[self._round_robin % len(candidates)]
        self._round_robin += 1
        self.calls_made["queryAsyncJobResult"] += 1

        def late(raw: Raw) -> None:
            if not tj.done:  # a late answer never undoes an end seen meanwhile
                self._update(tj, AsyncJob.parse(raw))

        try:
            raw = await self._ask(f"job:{tj.jobid}", self.client.read_once(
                "queryAsyncJobResult", jobid=tj.jobid, deadline_s=self.call_deadline_s),
                late=late)
        except CloudError as e:
            if e.kind is not ErrorKind.PARAM:
                raise
            tj.lost = True  # the server does not know this job id (any more)
            tj.error = f"The server no longer knows this job: {e.text}"
            self._finish(tj)
            return True
        if raw is None or tj.done:  # still on its way, or the job ended meanwhile
            return False
        job = self._parse_job(raw, tj)
        return True if job is None else self._update(tj, job)

    def _parse_job(self, d: Raw, tj: TrackedJob | None = None) -> AsyncJob | None:
        """One job answer, or None when it cannot be read: the job it is about (`tj`, or the
        tracked job of its `jobid`) ends as an error saying why, instead of the whole tracker
        pausing on it, or the job staying "Pending" and polled for ever."""
        try:
            return AsyncJob.parse(d)
        except CloudError as e:
            if e.kind is not ErrorKind.MALFORMED:
                raise
            if tj is None and isinstance(d, dict):
                tj = self._jobs.get(str(d.get("jobid") or ""))
            if tj is not None and not tj.done:
                missing = isinstance(d, dict) and "jobstatus" not in d
                self._unreadable(tj, None, NO_JOBSTATUS if missing else e.user_message())
            return None

    async def _poll_snapshots(self, ids: list[str]) -> bool:
        try:
            # A late answer is dropped: its states may be older than ones seen since.
            raw = await self._ask("snapshots", self._list(
                "listSnapshots", "snapshot", listall=True, ids=",".join(ids[:MAX_IDS_PER_CALL])))
        except CloudError as e:
            if e.kind not in _UNUSABLE:
                raise
            log.warning("listSnapshots ids= refused (%s): job states only", e.text)
            self._snapshots_usable = False
            return False
        if raw is None:
            return False
        now = self.client.server_now()
        by_id = {s.id: s for s in parse_items(Snapshot, raw, "listSnapshots", "snapshot")}
        changed = False
        asked = set(ids[:MAX_IDS_PER_CALL])
        for tj in self.in_flight:
            snap = by_id.get(tj.entity_id or "")
            if snap is not None and self._on_snapshot(tj) and self._see_snapshot(
                    tj, snap.state, snap.volumeid, snap.volumename, now):
                self._changed(tj)
                changed = True
            ended = snap is None or snap.state in ENDED_SNAPSHOT_STATES
            if (tj.command == "createSnapshot" and tj.entity_id in asked and ended
                    and tj.jobid not in self._confirmed):
                self._confirmed.add(tj.jobid)  # once: a server that disagrees cannot loop
                self._confirm = True
        return changed

    def _see_snapshot(self, tj: TrackedJob, state: str, volume_id: str, volume_name: str,
                      at: datetime) -> bool:
        if volume_id and not tj.volume_id:
            tj.volume_id = volume_id
        if volume_name and not tj.volume_name:
            tj.volume_name = volume_name
            if tj.adopted:  # the volume's name says more than an id prefix
                tj.target = volume_name
                tj.label = f"{verb_of(tj.command)} {volume_name}"
        return tj._see(state, at)

    async def _list(self, command: str, key: str, *, skipped: list[str] | None = None,
                    **params: Any) -> list[Raw]:
        """All pages of a list, each call made once (see the module docstring). With
        `skipped`, an item that is not an object is noted there and left out instead of
        failing the whole list."""
        size = self.client.page_size
        items: list[Raw] = []
        seen: set[Any] = set()
        for page in itertools.count(1):
            self.calls_made[command] += 1
            r = await self.client.read_once(command, **params, page=page, pagesize=size,
                                            deadline_s=self.call_deadline_s)
            # Checked like the client's own paging: a malformed page is one CloudError
            # naming the command (the loop pauses on it), never AttributeError/ValueError.
            if skipped is not None and r.get(key).__class__ is list:
                objects = [item for item in r[key] if item.__class__ is dict]
                skipped.extend(f"`{key}` has an item that is not an object"
                               for _ in range(len(r[key]) - len(objects)))
                r = {**r, key: objects}
            chunk, count = list_page(command, key, r, first=page == 1)
            for item in chunk:
                ident = item.get("id", item.get("jobid"))
                if ident.__class__ is str:  # anything else is for the model to refuse
                    if ident in seen:
                        continue
                    seen.add(ident)
                items.append(item)
            if len(chunk) < size or page * size >= (count or 0):
                return items
        return items  # pragma: no cover - itertools.count never ends

    async def _ask(self, key: str, work: Coroutine[Any, Any, T],
                   late: Callable[[T], object] | None = None) -> T | None:
        """Run one poll call, waiting for it at most `tick_wait_s`. Its answer, or None
        when it is still running: it is then left to end within its own deadline, and
        `late(answer)` folds the answer in when it lands (errors are only logged: the next
        ticks' own calls will meet the same trouble and pause)."""
        call = asyncio.ensure_future(work)
        self._outstanding[call] = key
        try:
            await asyncio.wait({call}, timeout=self.tick_wait_s)
        except BaseException:  # the tracker is being stopped
            self._outstanding.pop(call, None)
            call.cancel()
            raise
        if call.done():
            self._outstanding.pop(call, None)
            return call.result()
        log.info("job tracker: %s has no answer after %g s; polling goes on",
                 key, self.tick_wait_s)
        call.add_done_callback(lambda done: self._landed(key, done, late))
        return None

    def _landed(self, key: str, call: asyncio.Future[Any],
                late: Callable[[Any], object] | None) -> None:
        self._outstanding.pop(call, None)
        if call.cancelled():
            return
        error = call.exception()
        if error is not None:
            log.info("job tracker: late %s call failed: %s", key, error)
        elif late is not None:
            try:
                late(call.result())
            except Exception:  # a late answer must not break anything: it is a bonus
                log.exception("job tracker: folding a late %s answer failed", key)

    # -- state changes ----------------------------------------------------------------------

    def _update(self, tj: TrackedJob, job: AsyncJob) -> bool:
        """Fold one answer about a job into its TrackedJob. True when something changed."""
        problem = unreadable_job_answer(job)
        if problem:
            return self._unreadable(tj, job, problem)
        changed = tj.last is None or tj.status is not job.status
        tj.last = job
        if job.created is not None:
            tj.created = job.created
        if job.instanceid and not tj.entity_id:
            tj.entity_id = job.instanceid
        tj.status = job.status
        if job.done:
            # The result object carries the entity's final state ({"snapshot": {...}}).
            obj = next((v for v in (job.result or {}).values()
                        if isinstance(v, dict) and "state" in v), None)
            at = job.completed or self.client.server_now()
            if obj is not None and self._on_snapshot(tj):
                self._see_snapshot(tj, str(obj.get("state") or ""), str(obj.get("volumeid") or ""),
                                   str(obj.get("volumename") or ""), at)
            elif obj is not None:
                tj._see(str(obj.get("state") or ""), at)
        if changed and job.done:
            tj.completed = job.completed
            if not job.succeeded:
                tj.error = job.error_text or f"the job failed (code {job.resultcode})"
            self._finish(tj)
        elif changed:
            self._changed(tj)
        return changed

    def _unreadable(self, tj: TrackedJob, job: AsyncJob | None, problem: str) -> bool:
        """An answer that cannot say how the job is: an error, shown as one and no longer
        polled (left "Pending", it would be asked for on every tick for ever)."""
        if job is not None:
            tj.last = job
        tj.status = JobStatus.FAILED
        tj.error = problem
        self._finish(tj)
        return True

    def _finish(self, tj: TrackedJob) -> None:
        tj.finished_at = self.clock()
        tj.stuck = False
        self._changed(tj)
        for callback in list(self._finished_subscribers):
            self._call(callback, tj)
        future = self._waiters.pop(tj.jobid, None)
        if future is not None and not future.done():
            try:
                future.set_result(self._outcome(tj))
            except CloudError as e:
                future.set_exception(e)

    def _check_stuck(self) -> bool:
        """Flag snapshot jobs not done after `stuck_after` (see `_age`)."""
        now = self.client.server_now()
        changed = False
        for tj in self.in_flight:
            if tj.stuck or tj.command not in STUCK_JOBS:
                continue
            if self._age(tj, now) >= self.stuck_after:
                tj.stuck = True
                self._changed(tj)
                changed = True
        return changed

    def _age(self, tj: TrackedJob, now: datetime) -> timedelta:
        """How long the job has run: on the server's clock from its `created` when a Date
        header gives that clock, else on this computer's clock since the job was first seen
        (the two clocks are never mixed: a skew would read as hours)."""
        seen = timedelta(seconds=max(0.0, self.clock() - tj.started_at))
        tj.clock_known = self.client.server_clock_known
        if not tj.clock_known:
            return seen
        return max(seen, now - (tj.created or tj.started_server))

    def _changed(self, tj: TrackedJob) -> None:
        for callback in list(self._subscribers):
            self._call(callback, tj)

    @staticmethod
    def _call(callback: JobCallback, tj: TrackedJob) -> None:
        try:
            callback(tj)
        except Exception:  # a broken panel must not stop the polling of every job
            log.exception("job tracker subscriber failed")
