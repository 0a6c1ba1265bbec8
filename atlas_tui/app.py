"""The App: wiring, the connection, errors reported in one place, jump and the palette.

This is where the layers meet: it starts the embedded simulator for `--demo`, opens a
`cloud.Session`, and pushes `ui` screens that render it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.command import DiscoveryHit, Hit, Provider
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static

from atlas_tui.cloud import long_lived
from atlas_tui.cloud.actions import Actions, Outcome, summarize
from atlas_tui.cloud.api.config import ConfigError, Profile, discover
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.redact import redact_text
from atlas_tui.cloud.audit import AuditLog
from atlas_tui.cloud.error_log import ErrorLog, ErrorLogHandler, describe
from atlas_tui.cloud.jobs import JobTracker, TrackedJob
from atlas_tui.cloud.private_files import state_path
from atlas_tui.cloud.restore import (
    RESTORE_LABEL_PREFIX,
    DrillProgress,
    DrillResult,
    Journal,
    PlanBlocked,
    RestorePlan,
    RestoreTask,
    choice_effects,
    drill_many,
    read_server,
    view_disks,
)
from atlas_tui.cloud.session import DEMO_SOURCE, Session
from atlas_tui.settings import Settings, SettingsError, load_settings
from atlas_tui.ui.actions import APP, READ_ONLY, bindings_for
from atlas_tui.ui.messages import JobChanged
from atlas_tui.ui.monochrome import use_readable_monochrome
from atlas_tui.ui.palette import palette_entries
from atlas_tui.ui.screens.drills import DrillsScreen
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.jobs import JobsScreen
from atlas_tui.ui.screens.prompts import JumpPrompt
from atlas_tui.ui.screens.protection import ProtectionScreen
from atlas_tui.ui.screens.quit import QuitDialog, quit_text
from atlas_tui.ui.screens.restore import RestoreProgressScreen, UnfinishedRestoreDialog
from atlas_tui.ui.screens.restores import RestoresScreen
from atlas_tui.ui.screens.snapshots import SnapshotsScreen
from atlas_tui.ui.screens.start import ConnectErrorScreen, NoConfigScreen
from atlas_tui.ui.screens.volumes import VolumesScreen
from atlas_tui.ui.widgets.jobs_panel import JobsPanel
from atlas_tui.ui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from atlas_tui.cloud.api.models import VirtualMachine
    from atlas_tui.ui.screens.base import BrowseScreen


@dataclass(frozen=True)
class Launch:
    profile: str | None = None
    read_only: bool = False
    demo: bool = False
    demo_seed: str = "demo"
    demo_speed: float = 30.0


CONNECT_HINTS = {
    ErrorKind.AUTH: "Check the apikey and secretkey of this profile (a regenerated key "
    "invalidates the old pair), and that the machine's clock is right: signed requests "
    "expire.",
    ErrorKind.TRANSPORT: "Check the url (host, port, http/https) and that this machine can "
    "reach it (VPN, firewall).",
    ErrorKind.TIMEOUT: "The endpoint did not give a whole answer in time (the profile's "
    "`timeout` bounds each request, answer included). Check the network or a proxy in "
    "between, or raise `timeout` in the profile.",
    ErrorKind.UNAVAILABLE: "A proxy or load balancer answered for the API: the API is down, "
    "restarting or in maintenance. Try again in a moment.",
    ErrorKind.THROTTLED: "The API is limiting this account's calls. Try again in a moment.",
    ErrorKind.TLS: "The certificate was refused. Use the right CA bundle (`verify = /path` "
    "in ~/.cloudstack.ini) rather than turning verification off.",
    ErrorKind.PROTOCOL: "The url must point at the API, usually https://host/client/api.",
}

CLOUD_LOGGER = "atlas_tui.cloud"  # its warnings and errors go to errors.log too

# After an action failed: what to try (the server's own text says what went wrong).
ERROR_HINTS = {
    ErrorKind.AUTH: "Check the profile's API keys and this machine's clock.",
    ErrorKind.THROTTLED: "Wait a moment, then try again.",
    ErrorKind.TRANSPORT: "Check the network (VPN, firewall), then try again.",
    ErrorKind.TIMEOUT: "The API is slow or unreachable: try again in a moment.",
    ErrorKind.TLS: "The certificate was refused: check the profile's CA bundle.",
    ErrorKind.PERMISSION: "This account is not allowed to do that.",
    ErrorKind.LIMIT: "An account limit was reached: delete old snapshots or ask support.",
    ErrorKind.SERVER: "The server failed: try again; if it persists, contact support.",
    ErrorKind.UNKNOWN_OUTCOME: "Check the jobs list (:jobs) before trying again.",
}


class ScreenActions(Provider):
    """ctrl+p: this screen's actions first, by their verbs, with the reason beside any
    that is not possible now (ui/palette.py); Textual's own commands behind "More…"."""

    async def discover(self) -> AsyncIterator[DiscoveryHit]:
        for entry in palette_entries(self.screen):
            yield DiscoveryHit(entry.display(), entry.run, text=entry.text, help=entry.help)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for entry in palette_entries(self.screen, with_textual=True):
            score = matcher.match(entry.text)
            if score > 0:
                # Ours rank above Textual's whatever the match: half the range each.
                score = (0.5 + score / 2) if entry.ours else score / 2
                yield Hit(score, matcher.highlight(entry.text), entry.run, text=entry.text,
                          help=entry.help)


class ConnectingScreen(Screen[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(Text(self.text), id="connecting")  # names a profile and a host


class AtlasApp(ReportsWorkerErrors, App[int]):
    TITLE = "atlas-tui"
    WORK_LABELS: ClassVar[dict[str, str]] = {"connect": "Connecting", "jump_to": "Jump"}
    # Textual's own commands (theme, keys, screenshot…) are reached through "More…".
    COMMANDS: ClassVar = {ScreenActions}
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(APP)  # from ui/actions.py
    # Toasts are compact (title and text, no blank lines around) and keep to the right half:
    # the jobs panel's rows and the notes they talk about start at the left and stay readable.
    CSS = """
    #connecting { padding: 1 2; }
    Toast { padding: 0 1; max-width: 50%; }
    /* The compact footer's margin on the right-docked palette key left its last cell
       unpainted (a stale character showed there) and cut "palette" in two. */
    Footer.-compact FooterKey.-command-palette { margin: 0; }
    """

    def __init__(
        self,
        launch: Launch | None = None,
        *,
        profile: Profile | None = None,
        settings: Settings | None = None,
        job_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`job_clock`: the monotonic clock jobs are timed by (their elapsed seconds); the
        demo's scenes give the simulator's frozen one, so their pictures hold no wall time."""
        super().__init__()
        self._job_clock = job_clock
        use_readable_monochrome(self)  # NO_COLOR: grey, but never grey on near-black
        self.launch = launch or Launch()
        self._given_profile = profile
        self._settings_error: str | None = None
        if settings is None:
            try:
                settings = load_settings()
            except SettingsError as e:
                self._settings_error = str(e)
                settings = Settings()
        self.settings = settings
        self.session: Session | None = None
        self.tracker: JobTracker | None = None
        self.actions: Actions | None = None
        self.jobs_panel_hidden = False
        self.restores: list[RestoreTask] = []
        self.unfinished_restores: dict[str, Journal] = {}  # VM id -> a journal left open
        self.exact_times = False
        self._sim: Any = None
        self._error_log: ErrorLog | None = None
        self._log_handler = ErrorLogHandler(self.error_log)
        self._connecting: Profile | None = None  # the profile `connect` is trying

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every toast is plain text: messages quote names and server texts, and a name
        like `x[/]y[` or `[@click=app.quit]` must show as written, never act as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- start ------------------------------------------------------------------------

    def on_mount(self) -> None:
        logging.getLogger(CLOUD_LOGGER).addHandler(self._log_handler)
        long_lived.enable()  # the loaded inventory out of full GC passes (cloud/long_lived.py)
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self._settings_error:
            self.notify(self._settings_error + "\nUsing default settings.",
                        severity="warning", markup=False, timeout=10)
        self.push_screen(ConnectingScreen("starting…"))
        self.connect()

    def start_demo(self) -> None:
        self.launch = replace(self.launch, demo=True)
        self._given_profile = None
        self.connect()

    async def _demo_profile(self) -> Profile:
        if self._sim is None:
            from atlas_tui.sim import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer

            sim = SimServer(seed=self.launch.demo_seed, api_key=DEMO_API_KEY,
                            secret_key=DEMO_SECRET_KEY, speed=self.launch.demo_speed)
            # Seeding a big account takes a moment: keep the UI responsive meanwhile.
            endpoint = await asyncio.to_thread(sim.start_in_thread)
            self._sim = sim
            self._demo_endpoint = endpoint
        return Profile(name="demo", url=self._demo_endpoint, api_key=DEMO_API_KEY,
                       secret_key=DEMO_SECRET_KEY, source=DEMO_SOURCE)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        self._show(ConnectingScreen("connecting…"))
        await self._close_session()
        try:
            if self._given_profile is not None:
                profile = self._given_profile
            elif self.launch.demo:
                profile = await self._demo_profile()
            else:
                profile = discover(self.launch.profile)
        except ConfigError as e:
            self._show(NoConfigScreen(e.help_text()))
            return
        self._connecting = profile
        self._show(ConnectingScreen(f"connecting to {profile.host} as {profile.name}…"))
        read_only = self.launch.read_only or self.settings.is_read_only(profile.name)
        self.error_log.secrets = (profile.secret_key, profile.api_key)
        # The file (and its directory) is made on the first write: a state dir that cannot
        # be made is then one message, as any other audit failure, not a failed start.
        audit = AuditLog(state_path() / "audit.jsonl", profile.name,
                         on_failure=self._audit_failed)
        try:
            self.session = await Session.open(profile, read_only=read_only, audit=audit)
        except CloudError as e:
            hint = CONNECT_HINTS.get(e.kind, "")
            self.error_log.write(f"Connecting to {profile.display_url} as {profile.name}",
                                 e.user_message())
            self._show(ConnectErrorScreen(profile.name, profile.host, e.user_message(), hint))
            return
        self._start_tracker(self.session)
        self._show(InstancesScreen())
        await self._offer_unfinished_restores(profile)

    # -- restores -------------------------------------------------------------------------

    def start_restore(self, plan: RestorePlan, *, journal: Journal | None = None,
                      rollback: bool = False, replace: bool = False) -> RestoreTask:
        """Run a restore on the App (never on a screen) and show its progress."""
        assert self.session is not None and self.tracker is not None
        task = RestoreTask(plan)
        self.restores.append(task)
        self.run_worker(task.run(self.session.client, self.tracker, journal=journal,
                                 rollback=rollback), name="restore", group="restore",
                        exit_on_error=False)
        task.subscribe(self._restore_changed)
        progress = RestoreProgressScreen(task)
        # From the plan screen, the progress takes its place (esc then goes back to where
        # the restore was started).
        (self.switch_screen if replace else self.push_screen)(progress)
        return task

    def _restore_changed(self, task: RestoreTask) -> None:
        if not task.finished:
            return
        outcome = task.outcome
        if outcome is not None and outcome.succeeded:
            self.notify(f"Restore of {task.where} finished", title="Restore", timeout=8)
        else:
            text = task.failure or (outcome.error if outcome else "") or "see the restore screen"
            text = self._restore_failed(task, text)
            self.notify(f"Restore of {task.where}: {outcome.status if outcome else 'not run'}"
                        f"\n{text}", title="Restore", severity="error", markup=False, timeout=15)

    async def _offer_unfinished_restores(self, profile: Profile) -> None:
        """A restore a crash left open is offered at once: resume or roll back, with what
        the VM is like right now (a fresh read) and what each choice will do."""
        try:
            Journal.prune()  # finished restores' journals older than 90 days
            # Journals hold the endpoint redacted (older ones as it was written).
            journals = [j for j in Journal.unfinished()
                        if j.data.get("endpoint") in ("", profile.url, profile.display_url)]
        except OSError as e:
            self.notify(f"Cannot read the restore journals: {e}", severity="warning")
            return
        for journal in journals:
            await self._offer_one(journal)

    def offer_unfinished(self, journal: Journal) -> None:
        """Offer one unfinished restore again (from `:restore`)."""
        self.run_worker(self._offer_one(journal), name="Offering the unfinished restore",
                        group="restore-offer", exit_on_error=False)

    async def _offer_one(self, journal: Journal) -> None:
        if self.session is None:
            return
        vm_id = str((journal.plan.vm or {}).get("id") or "")
        if vm_id:
            self.unfinished_restores[vm_id] = journal
        view = await read_server(self.session.client, journal)

        def chosen(answer: str | None) -> None:
            if answer in ("resume", "rollback") and not self.refuse_read_only():
                self.start_restore(journal.plan, journal=journal,
                                   rollback=answer == "rollback")

        self.push_screen(UnfinishedRestoreDialog(
            journal.summary(), view.vm_line(), view_disks(journal, view),
            choice_effects(journal, view)), chosen)

    def restore_flag(self, vm_id: str) -> str:
        """What the VM's rows say about a restore of it: running, or left unfinished."""
        if any(not t.finished and (t.plan.vm or {}).get("id") == vm_id for t in self.restores):
            return "restore running"
        journal = self.unfinished_restores.get(vm_id)
        if journal is not None:
            try:
                status = Journal.load(journal.path).status
            except (OSError, ValueError):
                status = journal.status
            if status not in ("succeeded", "rolled-back"):
                return "restore unfinished (:restore)"
            self.unfinished_restores.pop(vm_id, None)
        return ""

    def refuse_read_only(self) -> bool:
        """The gate for work started outside a key (an unfinished restore resumed at start):
        a read-only session says so and sends nothing."""
        if self.session is not None and self.session.read_only:
            self.notify(READ_ONLY, title="Not possible now", severity="warning")
            return True
        return False

    # -- restore drills -------------------------------------------------------------------

    def start_drills(self, snapshots: list[Any], *, show: bool = False) -> None:
        """Prove snapshots restore (cloud/drill.py): a few at a time, each result told and
        kept; on the App, so closing the screen does not stop them. `show`: open the live
        view of the drills (many of them: a VM's disks, a marked set)."""
        if self.session is None or self.tracker is None or not snapshots \
                or self.refuse_read_only():
            return
        tracker, total, done = self.tracker, len(snapshots), [0]

        async def await_job(started: Any) -> Any:
            tracker.track(started, label=f"Drill: {started.command}", target="restore drill")
            return await tracker.wait(started.jobid)

        def told(result: DrillResult) -> None:
            done[0] += 1
            self.notify(f"{result.volume_name} from {result.snapshot_name}: {result.verdict}, "
                        f"{result.text} ({done[0]}/{total})", title="Restore drill",
                        severity="information" if result.ok else "error", markup=False,
                        timeout=8 if result.ok else 15)

        progress = DrillProgress(snapshots)
        self.notify(f"Restore drill of {total} snapshot(s) started", title="Restore drill",
                    timeout=4)
        self.run_worker(drill_many(self.session.client, snapshots, await_job, on_result=told,
                                   progress=progress),
                        group="drill", exit_on_error=False)
        if show:
            self.push_screen(DrillsScreen(progress))

    def stop_drills(self) -> None:
        """Stop the running drills: none more starts; a drill volume already created is
        still deleted once its job ends (cloud/drill.py)."""
        self.workers.cancel_group(self, "drill")
        self.notify("Restore drill stopped: drill volumes already made are deleted",
                    title="Restore drill", timeout=6)

    # -- leaving ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """q, ctrl+q: at once when nothing is in flight; otherwise say what quitting leaves
        behind and ask."""
        running = [t for t in self.restores if not t.finished]
        jobs = [j for j in (self.tracker.in_flight if self.tracker is not None else [])
                if not j.adopted and not j.label.startswith(RESTORE_LABEL_PREFIX)]
        if not running and not jobs:
            self.exit()
            return
        if isinstance(self.screen, QuitDialog):
            return  # already asking
        self.push_screen(QuitDialog(quit_text(running, jobs)), self._quit_answer)

    def _quit_answer(self, quit_anyway: bool | None) -> None:
        if quit_anyway:
            self.exit()

    # -- jobs -----------------------------------------------------------------------------

    def _start_tracker(self, session: Session) -> None:
        """One tracker for the session, owned here so no screen can lose a job."""
        tracker = JobTracker(
            session.client, stuck_after=timedelta(minutes=self.settings.stuck_after_minutes),
            clock=self._job_clock,
        )
        tracker.on_finished(self._job_finished)
        tracker.subscribe(self._job_changed)
        self.tracker = tracker
        self.actions = Actions(session.client, tracker)
        self.run_worker(tracker.run(), name="Job tracker", group="tracker", exit_on_error=False)
        self.run_worker(self._discover_jobs(tracker), name="Listing the account's jobs",
                        group="tracker", exit_on_error=False)

    async def _discover_jobs(self, tracker: JobTracker) -> None:
        try:
            await tracker.discover()  # the account's pending jobs, started elsewhere too
        except CloudError as e:
            self.report(e)

    def _job_finished(self, job: TrackedJob) -> None:
        if job.adopted or job.label.startswith(RESTORE_LABEL_PREFIX):
            return  # others' jobs are listed, not announced; a restore announces itself
        if job.failed:
            self.notify(f"{job.label}: {job.error or job.phase}", title="Job failed",
                        severity="error", markup=False, timeout=10)
        else:
            self.notify(f"{job.label}: {job.phase}", title="Job done", markup=False, timeout=4)

    def _job_changed(self, job: TrackedJob) -> None:
        self.screen.post_message(JobChanged(job))

    def action_toggle_jobs_panel(self) -> None:
        self.jobs_panel_hidden = not self.jobs_panel_hidden
        for panel in self.screen.query(JobsPanel):
            panel.hidden_by_user = self.jobs_panel_hidden
            panel.refresh_jobs()

    def run_actions(self, work: Awaitable[list[Outcome]], title: str) -> None:
        """Run a workflow on the App (not the screen: closing it must not cancel the
        work), then say how it went, target by target."""

        async def run() -> None:
            outcomes = await work
            if len(outcomes) == 1 and outcomes[0].jobid is not None:
                return  # its job's end was announced by the tracker: say it once
            message, ok = summarize(outcomes)
            self.notify(message, title=title, severity="information" if ok else "error",
                        markup=False, timeout=6 if ok else 12)

        self.run_worker(run(), name=title, group="actions", exit_on_error=False)

    async def _close_session(self) -> None:
        self.workers.cancel_group(self, "tracker")
        self.tracker = None
        self.actions = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    def _show(self, screen: Screen[Any]) -> None:
        """Replace everything above the default screen with `screen`."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    async def on_unmount(self) -> None:
        logging.getLogger(CLOUD_LOGGER).removeHandler(self._log_handler)
        long_lived.disable()
        await self._close_session()
        if self._sim is not None:
            self._sim.stop_thread()

    # -- errors, in one place -------------------------------------------------------------

    # Every failure the user must hear about comes here, from screens (`report`) and from
    # any worker that raised (ReportsWorkerErrors): one message saying what failed with a
    # hint, and one entry in errors.log in the state dir. Never silence, never a quit.

    @property
    def error_log(self) -> ErrorLog:
        if self._error_log is None:
            self._error_log = ErrorLog(state_path() / "errors.log")
        return self._error_log

    def report(self, error: BaseException, what: str = "") -> None:
        """Tell the user that `what` failed and why; log it (a bug with its traceback)."""
        log = self.error_log
        if isinstance(error, CloudError):
            message = error.user_message()  # cleaned and redacted where it was made
            hint = ERROR_HINTS.get(error.kind, "")
            log.write(what or error.command, message)
            self.notify(log.safe(message) + (f"\n{hint}" if hint else ""),
                        title=f"{what} failed" if what else "", severity="error",
                        markup=False, timeout=10)
            return
        # Anything else is a bug: say so plainly, and where the traceback went.
        what = what or "An action"
        written = log.write(what, describe(error), error)
        where = f"details in {log.path}" if written else "the error log could not be written"
        self.notify(f"{what} failed: {log.safe(describe(error))} ({where})",
                    title="Unexpected error", severity="error", markup=False, timeout=15)

    def _fatal_error(self) -> None:
        """A bug outside a worker (a message handler, a binding's action) reached Textual.
        Textual must stop the app then (the node that raised no longer takes messages), and
        would print a traceback with every frame's locals: a secret key held in a local, or a
        name from the server, would reach the terminal. Instead the traceback goes to
        errors.log, redacted like every entry there, and the terminal gets a short message."""
        error = sys.exc_info()[1] or self._exception
        self.bell()
        log = self.error_log
        written = error is not None and log.write("atlas-tui stopped", describe(error), error)
        where = f"Details are in {log.path}." if written else "The error log could not be written."
        self._exit_renderables.append(Text(
            f"atlas-tui stopped on an unexpected error (a bug): "
            f"{log.safe(describe(error)) if error is not None else 'unknown'}\n{where}\n"
            "A restore that was running keeps its journal: the next start offers to resume "
            "or roll it back."))
        self._close_messages_no_wait()

    def work_failed(self, name: str, error: BaseException) -> None:
        if name == "connect":  # a bug while connecting: "connecting…" must not stay up
            profile = self._connecting
            hint = f"This is a bug in atlas-tui; details are in {self.error_log.path}."
            self._show(ConnectErrorScreen(
                profile.name if profile else self.launch.profile or "(default)",
                profile.host if profile else "its endpoint",
                self.error_log.safe(describe(error)), hint))

    def _audit_failed(self, path: Path, error: OSError) -> None:
        """The audit log cannot be written: said once (AuditLog calls this only once)."""
        reason = error.strerror or describe(error)
        message = (f"Cannot write the audit log {path}: {reason}. Actions still run, but "
                   "are not recorded there until atlas-tui restarts with a writable file.")
        self.error_log.write("Audit log", message)
        self.notify(message, title="Audit log", severity="warning", markup=False, timeout=15)

    def _restore_failed(self, task: RestoreTask, text: str) -> str:
        """Log a failed restore; the text to show (for a bug: its type and the log's path)."""
        error = task.error
        what = f"Restore of {task.where}"
        # PlanBlocked or a CloudError is expected; anything else is a bug: keep its traceback.
        if error is None or isinstance(error, CloudError | PlanBlocked):
            self.error_log.write(what, redact_text(text))
            return text
        written = self.error_log.write(what, describe(error), error)
        where = f"details in {self.error_log.path}" if written else "not logged"
        return f"{self.error_log.safe(describe(error))} ({where})"

    # -- jump -----------------------------------------------------------------------------

    def action_jump(self) -> None:
        if self.session is None:
            return
        names = sorted(vm.name for vm in self.session.inventory.vms.values())[:2000]
        self.push_screen(JumpPrompt(names), self._jump)

    def _jump(self, text: str | None) -> None:
        if text:
            self.jump_to(text)

    def _open_jumped(self, screen: BrowseScreen,
                     up: Callable[[], BrowseScreen] | None = None) -> None:
        """A jump replaces the path instead of stacking on history: everything above home
        goes, and esc on the target goes `up` its breadcrumb (None: home is next)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        screen.up = up
        self.push_screen(screen)

    @staticmethod
    def _volumes_of(vm: VirtualMachine | None) -> Callable[[], BrowseScreen] | None:
        """Up from a volume's snapshots: its VM's volumes (a detached volume: home)."""
        return None if vm is None else lambda: VolumesScreen(vm)

    @work(group="jump", exit_on_error=False)
    async def jump_to(self, text: str) -> None:
        session = self.session
        if session is None:
            return
        word, _, arg = text.strip().lstrip(":").partition(" ")
        arg = arg.strip().lower()
        inv = session.inventory
        if word == "jobs":
            self._open_jumped(JobsScreen())
        elif word in ("protection", "prot"):
            self._open_jumped(ProtectionScreen())
        elif word in ("restore", "restores"):
            self._open_jumped(RestoresScreen())
        elif word == "vm" and arg:
            matches = sorted((vm for vm in inv.vms.values() if arg in vm.name.lower()),
                             key=lambda vm: (vm.name.lower() != arg, vm.name))
            if not matches:
                self.notify(f"no instance matches {arg!r}", severity="warning", markup=False)
                return
            self._open_jumped(VolumesScreen(matches[0]))
        elif word in ("vol", "volume") and arg:
            volumes = sorted((v for v in inv.volumes.values() if arg in v.name.lower()),
                             key=lambda v: (v.name.lower() != arg, v.name))
            if not volumes:
                self.notify(f"no volume matches {arg!r}", severity="warning", markup=False)
                return
            volume = volumes[0]
            owner = inv.vms.get(volume.virtualmachineid)
            self._open_jumped(SnapshotsScreen(owner, volume), self._volumes_of(owner))
        elif word in ("snap", "snapshot") and arg:
            try:
                found = await session.client.find_snapshots(arg)
            except CloudError as e:
                self.report(e)
                return
            for snap in found:
                home = inv.volumes.get(snap.volumeid) or await session.client.volume(
                    snap.volumeid)
                if home is not None:
                    vm = inv.vms.get(home.virtualmachineid)
                    self._open_jumped(SnapshotsScreen(vm, home, focus_snapshot=snap.id),
                                      self._volumes_of(vm))
                    return
            self.notify(f"no snapshot of an existing volume matches {arg!r}",
                        severity="warning", markup=False)
        else:
            self.notify("jump: vm NAME · vol NAME · snap NAME · jobs · protection · restore",
                        severity="warning")
