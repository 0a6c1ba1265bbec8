"""The guided restore: choose a mode, read the plan, type the VM's name, watch it run.

The planner and runner live in cloud/restore/ (plan, operations, runner); these screens only
render a plan and the runner's events. The run belongs to the App, so leaving the progress
screen never stops it; `:restore` (or the jobs panel) brings it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    OptionList,
    ProgressBar,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from atlas_tui.cloud.restore import EventKind, Mode, RestoreOutcome, RestorePlan, RestoreTask
from atlas_tui.ui.host import services
from atlas_tui.ui.screens.dialogs import DIALOG_CSS
from atlas_tui.ui.widgets.quiet import quiet_update
from atlas_tui.ui.widgets.tick import Tick

MODE_TEXT = {
    Mode.ROOT_SWAP: "Replace the root disk (new volume at deviceid 0; old root kept)",
    Mode.DATA_SWAP: "Replace this data disk at its device id (old disk kept)",
    Mode.ATTACH: "Attach as an extra disk, to copy files off it",
    Mode.REVERT: "Revert the volume in place (stop, revert, start)",
    Mode.TEMPLATE: "Promote to a template, and optionally launch an instance",
}


@dataclass(frozen=True)
class RestoreChoice:
    mode: Mode
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreFacts:
    """What the mode dialog offers, gathered by the screen that opens it."""

    snapshot: str
    vm: str
    modes: dict[Mode, str]  # mode -> reason it is not offered ("" = offered)
    vm_snapshots: list[str]
    policies: int
    attach_targets: list[tuple[str, str]]  # (name, id)
    template_name: str
    os_types: list[tuple[str, str]] = field(default_factory=list)  # (description, id)
    default_os: str = ""
    zones: list[tuple[str, str]] = field(default_factory=list)
    default_zone: str = ""
    offerings: list[tuple[str, str]] = field(default_factory=list)
    # Policies whose schedule the lint reads as swapped HH:MM: "DAILY '03:00': runs at ..."
    schedule_warnings: list[str] = field(default_factory=list)


def plain_options(options: list[tuple[str, str]]) -> list[tuple[Text, str]]:
    """Select options whose prompts (names from the API) are shown as written, not markup."""
    return [(Text(prompt), value) for prompt, value in options]


class RestoreModeDialog(ModalScreen[RestoreChoice | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="RestoreModeDialog") + """
    RestoreModeDialog OptionList { height: auto; max-height: 12; }
    RestoreModeDialog VerticalScroll { height: auto; max-height: 10; }
    RestoreModeDialog .opt { display: none; }
    RestoreModeDialog .opt.shown { display: block; }
    RestoreModeDialog Select { margin: 0; }
    /* An open list stays inside the dialog at 80x24 (it scrolls): */
    RestoreModeDialog Select > SelectOverlay { max-height: 5; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel"),
    ]

    def __init__(self, facts: RestoreFacts) -> None:
        super().__init__()
        self.facts = facts

    def compose(self) -> ComposeResult:
        f = self.facts
        with VerticalGroup() as box:
            box.border_title = Text(f"Restore from {f.snapshot}")
            box.border_subtitle = "↑↓ choose · enter plans · esc cancels"
            options = []
            for mode in Mode:
                reason = f.modes.get(mode, "")
                prompt = Text(MODE_TEXT[mode])
                if reason:
                    prompt.append(f"\n   not possible: {reason}", style="dim")
                options.append(Option(prompt, id=mode.value, disabled=bool(reason)))
            yield OptionList(*options, id="modes")
            # Not a focus stop itself (tab would land on nothing visible): tab goes to the
            # options in it, which scroll into view.
            with VerticalScroll(can_focus=False):
                if f.vm_snapshots:
                    yield Tick(Text(f"Delete the VM snapshots of {f.vm} first (they block "
                                    f"detach and attach): {', '.join(f.vm_snapshots)}"),
                                   id="delete_vm_snapshots", compact=True,
                                   classes="opt root-swap data-swap revert attach")
                if f.policies:
                    yield Tick(f"Copy its {f.policies} snapshot "
                               f"polic{'y' if f.policies == 1 else 'ies'} to the new volume "
                               "(they don't follow)",
                               id="move_policies", value=True, compact=True,
                               classes="opt root-swap data-swap")
                if f.policies and f.schedule_warnings:
                    yield Tick(Text("Copy the schedule as meant ("
                                    + "; ".join(f.schedule_warnings) + ")"),
                               id="fix_schedules", value=False, compact=True,
                               classes="opt root-swap data-swap")
                yield Tick(Text(f"Stop {f.vm} while the disk is swapped"), value=True,
                               id="stop_vm", compact=True, classes="opt data-swap")
                yield Label("Attach to", classes="opt attach")
                yield Select(plain_options(f.attach_targets), value=f.attach_targets[0][1]
                             if f.attach_targets else Select.NULL, allow_blank=False,
                             id="target", compact=True, classes="opt attach")
                yield Label("Template name", classes="opt template")
                yield Input(f.template_name, id="name", compact=True, classes="opt template")
                if f.os_types:
                    yield Label("OS type", classes="opt template")
                    yield Select(plain_options(f.os_types), value=f.default_os or f.os_types[0][1],
                                 allow_blank=False, id="ostype", compact=True,
                                 classes="opt template")
                yield Tick("Launch a new instance from it", id="launch", compact=True,
                               classes="opt template")
                if f.zones:
                    yield Label("Zone of the new instance", classes="opt template")
                    yield Select(plain_options(f.zones), value=f.default_zone or f.zones[0][1],
                                 allow_blank=False, id="zone", compact=True,
                                 classes="opt template")
                if f.offerings:
                    yield Label("Offering (CPU, memory) of the new instance",
                                classes="opt template")
                    yield Select(plain_options(f.offerings), value=f.offerings[0][1],
                                 allow_blank=False, id="offering", compact=True,
                                 classes="opt template")
            with HorizontalGroup():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Plan", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        modes = self.query_one("#modes", OptionList)
        modes.focus()
        first = next((i for i, o in enumerate(modes.options) if not o.disabled), None)
        if first is not None:
            modes.highlighted = first
        self._show_options()

    def _mode(self) -> Mode | None:
        modes = self.query_one("#modes", OptionList)
        if modes.highlighted is None:
            return None
        option = modes.get_option_at_index(modes.highlighted)
        return None if option.disabled or option.id is None else Mode(option.id)

    @on(OptionList.OptionHighlighted)
    def _show_options(self) -> None:
        mode = self._mode()
        for widget in self.query(".opt"):
            widget.set_class(mode is not None and widget.has_class(mode.value), "shown")

    @on(OptionList.OptionSelected)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        mode = self._mode()
        if mode is None:
            self.notify("choose a restore mode that is possible", severity="warning")
            return
        options: dict[str, Any] = {}
        for box in self.query(Tick):
            if box.has_class(mode.value) and box.id:
                options[box.id] = box.value
        if mode is Mode.ATTACH:
            options["target"] = self.query_one("#target", Select).value
        if mode is Mode.TEMPLATE:
            options["name"] = self.query_one("#name", Input).value.strip()
            for key in ("ostype", "zone", "offering"):
                found = self.query(f"#{key}")
                if found:
                    options[key] = found.first(Select).value
            if not options["name"]:
                self.notify("the template needs a name", severity="warning")
                return
        self.dismiss(RestoreChoice(mode, options))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def plan_text(plan: RestorePlan) -> Text:
    """The plan, step by step: call, precondition, downtime; blockers first."""
    text = Text()
    if plan.blockers:
        text.append("Cannot run yet:\n", style="bold red")
        for b in plan.blockers:
            text.append(f"  ✗ {b.reason}\n", style="red")
            if b.remedy:
                text.append(f"    {b.remedy}\n", style="yellow")
        text.append("\n")
    for i, step in enumerate(plan.steps, 1):
        text.append(f"{i}. {step.title}\n", style="bold")
        text.append(f"   {step.call.describe()}\n", style="cyan")
        if step.precondition:
            text.append(f"   needs: {step.precondition}\n", style="dim")
        if step.down:
            text.append(f"   down: {step.down} (~{int(step.est_s)} s)\n", style="yellow")
        if step.undo is not None:
            text.append(f"   if a later step fails: {step.undo.title}\n", style="dim")
    minutes = max(1, round(plan.downtime_s / 60))
    text.append(f"\nAbout {int(plan.total_s)} s in all; the VM is down for about "
                f"{minutes} min.\n" if plan.downtime_s else
                f"\nAbout {int(plan.total_s)} s in all; nothing is down.\n", style="bold")
    for note in plan.notes:
        text.append(f"• {note}\n", style="dim")
    undo = [s.undo.title for s in reversed(plan.steps) if s.undo is not None]
    if undo:
        text.append("If a step fails, what was done is undone, newest first: "
                    + "; ".join(undo) + ".", style="dim")
    irreversible = [s.title for s in plan.steps if s.irreversible]
    if irreversible:
        text.append(" Cannot be undone: " + "; ".join(irreversible) + ".", style="dim")
    text.append(" Nothing this restore creates is deleted: the result lists what is left "
                "and where.\n", style="dim")
    return text


class RestorePlanScreen(Screen[None]):
    """The plan before anything runs; typing the VM's name runs it (and this screen is
    replaced by the run's progress)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="plan-back"),
    ]
    DEFAULT_CSS = """
    RestorePlanScreen #plan { height: 1fr; padding: 0 1; }
    RestorePlanScreen #confirm-row { height: auto; padding: 0 1; }
    RestorePlanScreen Input { width: 1fr; }
    """

    def __init__(self, plan: RestorePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        title = f"Restore plan: {self.plan.mode.value}, from {self.plan.snapshot['name']}"
        yield Static(Text(title, style="bold"), id="plan-title")
        with VerticalScroll(id="plan"):
            yield Static(plan_text(self.plan))
        with VerticalGroup(id="confirm-row"):
            if self.plan.runnable:
                yield Label(Text(f"Type {self.plan.confirm_text!r} to run this plan"))
                with HorizontalGroup():
                    yield Input(placeholder=self.plan.confirm_text, id="confirm", compact=True)
                    yield Button("Run", id="run", variant="error", disabled=True,
                                 compact=True)
            else:
                yield Label("This plan cannot run: see the reasons above. esc goes back.")
        yield Footer()

    def on_mount(self) -> None:
        found = self.query("#confirm")
        if found:
            found.first(Input).focus()

    @on(Input.Changed, "#confirm")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#run", Button).disabled = event.value.strip() != self.plan.confirm_text

    @on(Input.Submitted, "#confirm")
    @on(Button.Pressed, "#run")
    def _run(self) -> None:
        if self.query_one("#confirm", Input).value.strip() == self.plan.confirm_text:
            services(self.app).start_restore(self.plan, replace=True)

    def action_back(self) -> None:
        self.dismiss(None)


STEP_MARK = {
    "running": ("⟳", "yellow"), "done": ("✓", "green"), "failed": ("✗", "bold red"),
    "skipped": ("–", "dim"), "pending": ("·", "dim"), "checking": ("?", "yellow"),
    "optional-failed": ("!", "yellow"),  # an optional step that failed: the run went on
}


def progress_text(task: RestoreTask) -> Text:
    """Each step with its job, state and time, then the rollback and the outcome."""
    status: dict[str, tuple[str, str, float]] = {}
    not_done: dict[str, str] = {}  # optional steps that failed: their error
    rollback: list[tuple[str, str, str]] = []
    for e in task.events:
        if e.kind is EventKind.STEP_STARTED or e.kind is EventKind.STEP_JOB:
            status[e.step_id] = ("running", e.jobid, e.elapsed_s)
        elif e.kind is EventKind.STEP_UNCERTAIN:
            status[e.step_id] = ("checking", e.jobid, e.elapsed_s)
        elif e.kind is EventKind.STEP_FINISHED:
            status[e.step_id] = ("done", e.jobid or status.get(e.step_id, ("", "", 0))[1],
                                 e.elapsed_s)
        elif e.kind is EventKind.STEP_SKIPPED:
            status[e.step_id] = ("skipped", "", 0.0)
        elif e.kind is EventKind.STEP_FAILED:
            status[e.step_id] = ("failed", e.jobid, e.elapsed_s)
        elif e.kind is EventKind.STEP_OPTIONAL_FAILED:
            status[e.step_id] = ("optional-failed", e.jobid, e.elapsed_s)
            not_done[e.step_id] = e.error
        elif e.kind in (EventKind.ROLLBACK_STEP_FINISHED, EventKind.ROLLBACK_STEP_FAILED,
                        EventKind.ROLLBACK_STEP_STARTED):
            state = {"rollback-step-finished": "done", "rollback-step-failed": "failed"}.get(
                e.kind.value, "running")
            rollback = [r for r in rollback if r[0] != e.title] + [(e.title, state, e.error)]
    text = Text()
    outcome = task.outcome
    if task.failure:
        text.append(f"Not run: {task.failure}\n\n", style="bold red")
    if outcome is not None:  # the result first: it is what the reader came for
        outcome_text(text, outcome)
        text.append("\nHow it went:\n", style="bold")
    for i, step in enumerate(task.plan.steps, 1):
        state, jobid, elapsed = status.get(step.id, ("pending", "", 0.0))
        mark, style = STEP_MARK[state]
        text.append(f" {mark} {i}. {step.title}", style=style)
        if jobid:
            text.append(f"  job {jobid[:8]}", style="dim")
        if elapsed:
            text.append(f"  {elapsed:.0f}s", style="dim")
        text.append("\n")
        if step.id in not_done:
            text.append(f"     not done (optional, going on): {not_done[step.id]}\n",
                        style="yellow")
    failed = next((e for e in task.events if e.kind is EventKind.STEP_FAILED), None)
    if failed is not None:
        text.append(f"\n{failed.title} failed: {failed.error}\n", style="bold red")
    if rollback:
        text.append("Rolling back:\n", style="bold yellow")
        for title, state, error in rollback:
            mark, style = STEP_MARK[state]
            text.append(f" {mark} {title}" + (f": {error}" if error else "") + "\n", style=style)
    return text


HEADINGS = {
    "succeeded": ("Restore finished.", "bold green"),
    "rolled-back": ("Rolled back.", "bold yellow"),
    "rollback-failed": ("Rollback did not finish: act now (see below).", "bold red"),
}


def outcome_text(text: Text, outcome: RestoreOutcome) -> None:
    """The end of a run, from the final read: the server's words and facts, labelled as
    such, apart from atlas-tui's own checks and advice."""
    heading, style = HEADINGS.get(outcome.status, (outcome.status, "bold"))
    if outcome.status == "rolled-back":
        heading += (" The final read matches the VM as it was." if outcome.verified else
                    " But the final read differs from the VM as it was: see below.")
    text.append(f"{heading}\n", style=style)
    if outcome.error:
        text.append(f"The server said: {outcome.error}\n", style="red")
    if outcome.vm_line or outcome.disks:
        text.append("On the server now:\n", style="bold")
        if outcome.vm_line:
            text.append(f"  {outcome.vm_line}\n")
        for line in outcome.disks:
            text.append(f"  {line}\n")
    listed = " ".join(outcome.disks)
    more = [k for k in outcome.kept if f"({k.id}" not in listed]  # not said twice
    if more:
        text.append("Created by this restore, still there:\n", style="bold")
        for kept in more:
            text.append(f"  {kept.kind} {kept.name or kept.id} ({kept.id}), {kept.state}"
                        + (f", {kept.where}" if kept.where else "") + "\n")
    for gone in outcome.gone:
        text.append(f"  created by this restore, no longer on the server: {gone}\n",
                    style="dim")
    for note in outcome.notes:
        text.append(f"  • {note}\n", style="dim")
    if outcome.checks:
        text.append("atlas-tui checked:\n", style="bold")
        for check in outcome.checks:
            text.append(f"  {check}\n", style="green" if check.ok else "bold red")
    if outcome.next_steps:
        text.append("Next:\n", style="bold")
        for step in outcome.next_steps:
            text.append(f"  → {step}\n")


class RestoreProgressScreen(Screen[None]):
    """Live progress of one restore; esc leaves it running."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back (the restore goes on)", id="progress-back"),
        Binding("escape", "back_done", "Back", id="progress-back-done"),
    ]
    DEFAULT_CSS = """
    RestoreProgressScreen #progress { height: 1fr; padding: 0 1; }
    RestoreProgressScreen ProgressBar { padding: 0 1; }
    """

    def __init__(self, restore: RestoreTask) -> None:
        super().__init__()
        self.restore = restore
        self._unsubscribe: Any = None
        self._painted_finished = False

    def compose(self) -> ComposeResult:
        plan = self.restore.plan
        yield Static(Text(f"Restoring {self.restore.where} from {plan.snapshot['name']} "
                          f"({plan.mode.value})", style="bold"))
        yield ProgressBar(total=len(plan.steps), show_eta=False, id="bar")
        with VerticalScroll(id="progress"):
            yield Static(id="progress-text")
        yield Footer()

    def on_mount(self) -> None:
        self._unsubscribe = self.restore.subscribe(lambda _t: self.call_later(self._paint))
        # On top only: a widget repainted on a screen below repaints the whole screen on top.
        self.set_interval(1.0, self._paint_when_on_top)
        self._paint()

    def _paint_when_on_top(self) -> None:
        if self.is_active:
            self._paint()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _paint(self) -> None:
        if self.restore.finished != self._painted_finished:
            self._painted_finished = self.restore.finished
            self.refresh_bindings()
        done = sum(1 for e in self.restore.events
                   if e.kind in (EventKind.STEP_FINISHED, EventKind.STEP_SKIPPED,
                                 EventKind.STEP_OPTIONAL_FAILED))
        self.query_one("#bar", ProgressBar).update(progress=done)
        quiet_update(self.query_one("#progress-text", Static), progress_text(self.restore))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # One escape key, worded for the moment: "the restore goes on" only while it does.
        if action == "back":
            return not self.restore.finished
        if action == "back_done":
            return self.restore.finished
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_back_done(self) -> None:
        self.dismiss(None)


class UnfinishedRestoreDialog(ModalScreen[str | None]):
    """At start: a restore a crash left open. What the VM is like now (a fresh read), and
    what Resume, Roll back and Later will each do. The first focus is Resume: it carries on
    what the user confirmed."""

    DEFAULT_CSS = DIALOG_CSS.format(name="UnfinishedRestoreDialog") + """
    UnfinishedRestoreDialog VerticalScroll { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "later", "Later", id="unfinished-later"),
    ]

    def __init__(self, summary: str, vm_line: str = "", disks: list[str] | None = None,
                 effects: dict[str, str] | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.vm_line = vm_line
        self.disks = disks or []
        self.effects = effects or {}

    def body(self) -> Text:
        text = Text(f"{self.summary}\n", style="bold")
        text.append("atlas-tui stopped while this restore was running.\n")
        if self.vm_line:
            text.append("On the server now: ", style="bold")
            text.append(f"{self.vm_line}\n",
                        style="bold red" if "cannot boot" in self.vm_line else "")
        for line in self.disks:
            text.append(f"  {line}\n")
        for key, label in (("resume", "Resume"), ("rollback", "Roll back"),
                           ("later", "Later")):
            if self.effects.get(key):
                text.append(f"{label}: ", style="bold")
                text.append(f"{self.effects[key]}\n")
        text.append("Either way it checks the cloud first, and deletes nothing.", style="dim")
        return text

    def compose(self) -> ComposeResult:
        with VerticalGroup() as box:
            box.border_title = "An unfinished restore"
            box.border_subtitle = "esc decides later"
            with VerticalScroll():
                yield Static(self.body())
            with HorizontalGroup():
                yield Button("Later", id="later", compact=True)
                yield Button("Roll back", id="rollback", variant="warning", compact=True)
                yield Button("Resume", id="resume", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "later" else event.button.id)

    def action_later(self) -> None:
        self.dismiss(None)
