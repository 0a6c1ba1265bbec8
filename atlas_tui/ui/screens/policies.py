"""The recurring snapshot policies of one volume: in words, the raw schedule, the next
runs, a warning where the stored string does not mean what it seems to, and the keys that
add, edit, delete and fix them. After every change the list is read back from the server."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import INTERVAL_NAMES, SnapshotPolicy, VirtualMachine, Volume
from atlas_tui.ui.actions import POLICIES, bindings_for
from atlas_tui.ui.policy_text import (
    next_run_short,
    next_runs_text,
    policy_fix,
    policy_raw,
    policy_warning,
    policy_words,
)
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.screens.dialogs import TypeToConfirm
from atlas_tui.ui.screens.policy_form import FixConfirm, PolicyForm
from atlas_tui.ui.widgets.quiet import quiet_update
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.widgets.table_model import Column, Row

COLUMNS = [
    Column("words", "RUNS", min_width=20, max_width=44, priority=100),
    Column("schedule", "RAW", min_width=7, max_width=10, priority=80),
    Column("next", "NEXT", min_width=10, max_width=16, priority=70),
    Column("check", "CHECK", min_width=5, max_width=30, priority=90),
]
RAW_COLUMNS = [
    Column("words", "AS THE API HOLDS IT", min_width=20, max_width=60, priority=100),
    *COLUMNS[1:],
]


class PoliciesScreen(BrowseScreen):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(POLICIES)
    ACTION_SCOPE = POLICIES
    WORK_LABELS: ClassVar[dict[str, str]] = {"_delete": "Deleting the policy",
                                             "_fix": "Fixing the schedule"}
    DEFAULT_CSS = """
    PoliciesScreen #policy-note { height: auto; max-height: 7; padding: 0 1; }
    """

    def __init__(self, vm: VirtualMachine | None, volume: Volume) -> None:
        super().__init__()
        self.vm = vm
        self.volume = volume
        self.policies: list[SnapshotPolicy] = []
        self.show_raw = False

    def crumbs(self) -> tuple[str, ...]:
        owner = self.vm.name if self.vm else (self.volume.vmname or "detached")
        return (self.session.profile.name, owner, self.volume.name, "policies")

    def compose_body(self) -> ComposeResult:
        yield FastTable(COLUMNS, id="policies",
                        empty_message="no recurring snapshots: this volume is not protected "
                                      "(a adds a policy)")
        yield Static(id="policy-note")

    def on_mount(self) -> None:
        # No super().on_mount(): Textual dispatches BrowseScreen.on_mount by itself.
        self.query_one(FastTable).focus()

    async def load(self) -> None:
        self.policies = sorted(
            await self.session.client.snapshot_policies(self.volume.id),
            key=lambda p: INTERVAL_NAMES.index(p.interval) if p.interval in INTERVAL_NAMES
            else 9,
        )
        inventory = self.session.inventory
        if "policies" in inventory.loaded:  # keep the account view in step with the server
            inventory.policies_by_volume[self.volume.id] = list(self.policies)
        self.rerender()

    def rerender(self) -> None:
        now = self.session.client.server_now()
        rows = []
        for order, p in enumerate(self.policies):
            warning = policy_warning(p)
            rows.append(Row(
                key=p.id,
                cells=(policy_raw(p) if self.show_raw else policy_words(p), p.schedule,
                       next_run_short(p, now),
                       Text("check ⚠" if warning else "ok",
                            style="bold yellow" if warning else "green")),
                values=(order, p.schedule, order, bool(warning)),
            ))
        table = self.query_one(FastTable)
        table.set_rows(rows)
        self._note()

    @on(FastTable.CursorMoved)
    def _moved(self) -> None:
        self._note()

    def selected(self) -> SnapshotPolicy | None:
        key = self.query_one(FastTable).cursor_key
        return next((p for p in self.policies if p.id == key), None)

    def _note(self) -> None:
        note = Text()
        policy = self.selected()
        if policy is not None:
            warning = policy_warning(policy)
            if warning:
                note.append(f"⚠ {warning}\n", style="bold yellow")
            fix = policy_fix(policy)
            if fix is not None and fix.fix:
                note.append(f'f fixes it: schedule "{policy.schedule}" → "{fix.fix}"\n',
                            style="yellow")
            note.append(next_runs_text(policy, self.session.client.server_now()), style="dim")
        quiet_update(self.query_one("#policy-note", Static), note)

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        policy = next((p for p in self.policies if p.id == key), None)
        # read back from its page if archived (raw_archive)
        return (f"{policy.interval.lower()} policy", dict(policy.raw)) if policy else None

    # -- what is possible ----------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        if action in ("edit_policy", "delete_policy", "fix_policy") and self.selected() is None:
            return "no policy selected"
        if action == "fix_policy":
            policy = self.selected()
            if policy is not None and policy_fix(policy) is None:
                return "this schedule reads as it runs: nothing to fix"
        return None

    # -- actions -------------------------------------------------------------------------

    def action_toggle_raw(self) -> None:
        self.show_raw = not self.show_raw
        table = self.query_one(FastTable)
        table.set_columns(RAW_COLUMNS if self.show_raw else COLUMNS)
        self.rerender()

    def _form(self, policy: SnapshotPolicy | None) -> PolicyForm:
        assert self.atlas.actions is not None
        return PolicyForm(self.atlas.actions, self.volume, list(self.policies), policy,
                          now=self.session.client.server_now())

    def action_add_policy(self) -> None:
        if self.refuse_if_unavailable("add_policy"):
            return
        self.app.push_screen(self._form(None), self._saved)

    def action_edit_policy(self) -> None:
        if self.refuse_if_unavailable("edit_policy"):
            return
        self.app.push_screen(self._form(self.selected()), self._saved)

    def _saved(self, policy: SnapshotPolicy | None) -> None:
        if policy is None:
            return
        self.notify(f"saved: {policy_words(policy)}", timeout=4, markup=False)
        self.refresh_data()

    def action_delete_policy(self) -> None:
        if self.refuse_if_unavailable("delete_policy"):
            return
        policy = self.selected()
        assert policy is not None
        word = policy.interval.lower()
        lines = [f"Delete the {word} policy of {self.volume.name}?",
                 f"  {policy_words(policy)}",
                 "No more recurring snapshots of this interval will be taken; the snapshots "
                 "it made stay."]
        confirm = TypeToConfirm(f"Delete {word} policy", lines, word)

        def delete_if(ok: object) -> None:
            if ok:
                self._delete(policy)

        self.app.push_screen(confirm, delete_if)

    @work(group="policy-change", exit_on_error=False)
    async def _delete(self, policy: SnapshotPolicy) -> None:
        try:
            assert self.atlas.actions is not None
            await self.atlas.actions.delete_policies([policy.id])
        except CloudError as e:
            self.atlas.report(e)
        else:
            self.notify(f"deleted the {policy.interval.lower()} policy", timeout=4)
        self.refresh_data()

    def action_fix_policy(self) -> None:
        if self.refuse_if_unavailable("fix_policy"):
            return
        policy = self.selected()
        assert policy is not None
        finding = policy_fix(policy)
        assert finding is not None and finding.fix is not None
        fix = finding.fix
        confirm = FixConfirm(policy, fix, finding.message, self.session.client.server_now())

        def fix_if(ok: object) -> None:
            if ok:
                self._fix(policy, fix)

        self.app.push_screen(confirm, fix_if)

    @work(group="policy-change", exit_on_error=False)
    async def _fix(self, policy: SnapshotPolicy, schedule: str) -> None:
        try:
            # The server's upsert per (volume, interval): same policy id, new schedule.
            assert self.atlas.actions is not None
            await self.atlas.actions.save_policy(
                policy.volumeid, interval=policy.interval, schedule=schedule,
                timezone=policy.timezone, maxsnaps=policy.maxsnaps,
            )
        except CloudError as e:
            self.atlas.report(e)
        else:
            self.notify(f'fixed: schedule "{policy.schedule}" → "{schedule}"', timeout=4,
                        markup=False)
        self.refresh_data()
