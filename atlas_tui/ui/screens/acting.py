"""The action flows shared by the browse screens: ask cloud/rules whether it may run, show
the dialog, then hand the workflow to the App (so leaving the screen never cancels it).

Reasons from the rules are said, not hidden: a blocked action explains itself when pressed.
"""

from __future__ import annotations

from collections.abc import Sequence

from atlas_tui.cloud import rules
from atlas_tui.cloud.actions import SnapshotTarget, default_targets
from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import Snapshot, VirtualMachine, VMSnapshot, Volume
from atlas_tui.cloud.restore import (
    Mode,
    RestoreContext,
    RestorePlan,
    available_modes,
    gather_context,
    plan_attach,
    plan_data_swap,
    plan_revert,
    plan_root_swap,
    plan_template,
    snapshot_label,
    swapped_schedules,
)
from atlas_tui.ui.screens.base import BrowseScreen
from atlas_tui.ui.screens.dialogs import (
    SnapshotDialog,
    TypeToConfirm,
    VMSnapshotDialog,
)
from atlas_tui.ui.screens.restore import (
    RestoreChoice,
    RestoreFacts,
    RestoreModeDialog,
    RestorePlanScreen,
)


class ActingScreen(BrowseScreen):
    """A BrowseScreen that can start actions. Subclasses bind keys to the flows below."""

    def _ready(self) -> bool:
        if self.atlas.actions is None:
            self.notify("not connected", severity="warning")
            return False
        return True

    def snapshot_job_on(self, vm: VirtualMachine | None) -> bool:
        """A snapshot job this app started on one of the VM's volumes is still running."""
        tracker = self.atlas.tracker
        if vm is None or tracker is None:
            return False
        ids = {v.id for v in self.session.inventory.volumes.values()
               if v.virtualmachineid == vm.id}
        return any(j.command == "createSnapshot" and (j.volume_id or j.resource_id) in ids
                   for j in tracker.in_flight)

    async def snapshot_flow(self, volumes: Sequence[Volume],
                            vms: dict[str, VirtualMachine]) -> None:
        """Check, ask, and start snapshots of these volumes (one or many)."""
        if not self._ready() or not volumes:
            return
        caps = self.session.capabilities
        client = self.session.client
        allowed: list[Volume] = []
        refused: list[str] = []
        vm_snaps: dict[str, list[VMSnapshot]] = {}
        for volume in volumes:
            vm = vms.get(volume.virtualmachineid)
            if vm is not None and vm.id not in vm_snaps:
                try:
                    vm_snaps[vm.id] = await client.vm_snapshots_of(vm.id)
                except CloudError as e:
                    self.atlas.report(e)
                    return
            reason = rules.snapshot_volume(
                volume, vm, caps, vm_snapshots=vm_snaps.get(vm.id, []) if vm else [],
                snapshot_job_on_vm=self.snapshot_job_on(vm))
            if reason:
                refused.append(f"{volume.name}: {reason}")
            else:
                allowed.append(volume)
        if refused:
            self.notify("\n".join(refused), title="Cannot snapshot", severity="warning",
                        markup=False, timeout=10)
        if not allowed:
            return
        targets = default_targets(allowed, vms, client.server_now())
        running = sorted({t.vm.name for t in targets if t.vm is not None and t.vm.running})
        title = (f"Snapshot {allowed[0].name}" if len(allowed) == 1
                 else f"Snapshot {len(allowed)} volumes")
        # Quiesce is offered where the storage says it can (the volume's `quiescevm`).
        can_quiesce = rules.volume_snapshot_can_quiesce(allowed)
        choice = await self.app.push_screen_wait(
            SnapshotDialog(title, [v.name for v in allowed], [t.name for t in targets], running,
                           can_quiesce)
        )
        if choice is None:
            return
        named = [SnapshotTarget(t.volume, t.vm, name)
                 for t, name in zip(targets, choice.names, strict=True)]
        assert self.atlas.actions is not None
        self.atlas.run_actions(
            self.atlas.actions.snapshot_volumes(named, quiesce=choice.quiesce,
                                                stop_first=choice.stop_first),
            title,
        )

    async def vm_snapshot_flow(self, vm: VirtualMachine) -> None:
        if not self._ready():
            return
        try:
            existing = await self.session.client.vm_snapshots_of(vm.id)
        except CloudError as e:
            self.atlas.report(e)
            return
        reason = rules.vm_snapshot(vm, existing)
        if reason:
            self.notify(reason, title="Cannot take a VM snapshot", severity="warning",
                        markup=False)
            return
        memory_note = rules.vm_snapshot(vm, existing, memory=True)
        name = rules.vm_snapshot_name(vm.name, self.session.client.server_now())
        choice = await self.app.push_screen_wait(
            VMSnapshotDialog(vm.name, name, memory_note, rules.vm_snapshot_memory_first(vm),
                             can_quiesce=rules.vm_snapshot_can_quiesce(vm)))
        if choice is None:
            return
        assert self.atlas.actions is not None
        actions = self.atlas.actions

        async def run() -> list:
            return [await actions.vm_snapshot(vm, name=choice.name,
                                              description=choice.description,
                                              memory=choice.memory, quiesce=choice.quiesce)]

        self.atlas.run_actions(run(), f"VM snapshot of {vm.name}")

    async def delete_snapshots_flow(self, snapshots: Sequence[Snapshot]) -> None:
        if not self._ready() or not snapshots:
            return
        refused = [f"{s.name}: {r}" for s in snapshots if (r := rules.delete_snapshot(s))]
        if refused:
            # Refused before any call, with the reason; nothing is deleted.
            self.notify("\n".join(refused), title="Cannot delete", severity="warning",
                        markup=False, timeout=10)
            return
        if len(snapshots) == 1:
            expected = snapshots[0].name
            lines = [f"Delete snapshot {expected} of {snapshots[0].volumename}?",
                     "It cannot be undone; the volume itself is not touched."]
        else:
            expected = str(len(snapshots))
            lines = [f"Delete {len(snapshots)} snapshots?"] + [
                f"  {s.name}" for s in snapshots[:8]] + (["  …"] if len(snapshots) > 8 else [])
        confirmed = await self.app.push_screen_wait(
            TypeToConfirm("Delete snapshots", lines, expected))
        if confirmed is None:
            return
        assert self.atlas.actions is not None
        self.atlas.run_actions(self.atlas.actions.delete_snapshots(snapshots), "Delete")

    async def revert_vm_snapshot_flow(self, vm: VirtualMachine, snap: VMSnapshot) -> None:
        if not self._ready():
            return
        reason = rules.revert_vm_snapshot(snap, vm)
        if reason:
            self.notify(reason, title="Cannot revert", severity="warning", markup=False)
            return
        first = rules.revert_first(snap, vm)
        lines = [f"Revert {vm.name} to VM snapshot {snap.displayname} ({snap.type}).",
                 "Everything written to its disks since then is lost."]
        option = None
        if first == "stop":
            lines.append(f"A disk-only snapshot reverts a stopped VM: {vm.name} will be "
                         "stopped first.")
            option = "Start the VM again after the revert"
        elif first == "start":
            lines.append(f"A snapshot with memory reverts a running VM: {vm.name} will be "
                         "started first.")
        confirmed = await self.app.push_screen_wait(
            TypeToConfirm(f"Revert {vm.name}", lines, vm.name, verb="Revert", option=option))
        if confirmed is None:
            return
        assert self.atlas.actions is not None
        self.atlas.run_actions(
            self.atlas.actions.revert_vm_snapshot(vm, snap, start_after=confirmed.option),
            f"Revert {vm.name}")

    async def delete_vm_snapshots_flow(self, snapshots: Sequence[VMSnapshot]) -> None:
        if not self._ready() or not snapshots:
            return
        refused = [f"{s.displayname}: {r}" for s in snapshots if (r := rules.delete_vm_snapshot(s))]
        if refused:
            self.notify("\n".join(refused), title="Cannot delete", severity="warning",
                        markup=False)
            return
        expected = snapshots[0].displayname if len(snapshots) == 1 else str(len(snapshots))
        lines = ["Delete VM snapshot(s): " + ", ".join(s.displayname for s in snapshots),
                 "The VM itself is not touched."]
        confirmed = await self.app.push_screen_wait(
            TypeToConfirm("Delete VM snapshots", lines, expected))
        if confirmed is None:
            return
        assert self.atlas.actions is not None
        self.atlas.run_actions(self.atlas.actions.delete_vm_snapshots(snapshots), "Delete")

    async def restore_flow(self, snap: Snapshot) -> None:
        """Choose a mode, read the plan, type the name, and hand the run to the App."""
        if not self._ready():
            return
        client = self.session.client
        try:
            ctx = await gather_context(client, snap.id, for_template=True)
        except (CloudError, LookupError) as e:
            self.atlas.report(e)
            return
        inventory = self.session.inventory
        vms = sorted((vm for vm in inventory.vms.values()
                      if not snap.zoneid or vm.zoneid == snap.zoneid), key=lambda v: v.name)
        if ctx.vm is not None:
            vms = [ctx.vm] + [v for v in vms if v.id != ctx.vm.id]
        facts = RestoreFacts(
            snapshot=snap.name,
            vm=ctx.vm.name if ctx.vm else "(no VM)",
            modes=available_modes(ctx),
            vm_snapshots=[s.displayname for s in ctx.vm_snapshots],
            policies=len(ctx.policies),
            attach_targets=[(v.name, v.id) for v in vms],
            template_name=f"{snap.volumename or 'restored'}-{snapshot_label(snap)}",
            os_types=[(o.description, o.id) for o in ctx.os_types],
            default_os=snap.ostypeid,
            zones=[(z.name, z.id) for z in ctx.zones],
            default_zone=snap.zoneid,
            offerings=[(o.name, o.id) for o in ctx.service_offerings],
            schedule_warnings=[f"{p.interval} {p.schedule!r}: {warning}"
                               for p, warning, _fix in swapped_schedules(ctx.policies)],
        )
        choice = await self.app.push_screen_wait(RestoreModeDialog(facts))
        if choice is None:
            return
        try:
            plan = await self._plan(ctx, choice)
        except CloudError as e:
            self.atlas.report(e)
            return
        self.app.push_screen(RestorePlanScreen(plan))

    async def _plan(self, ctx: RestoreContext, choice: RestoreChoice) -> RestorePlan:
        o = choice.options
        if choice.mode is Mode.ROOT_SWAP:
            return plan_root_swap(ctx, delete_vm_snapshots=o.get("delete_vm_snapshots", False),
                                  move_policies=o.get("move_policies", False),
                                  fix_schedules=o.get("fix_schedules", False))
        if choice.mode is Mode.DATA_SWAP:
            return plan_data_swap(ctx, delete_vm_snapshots=o.get("delete_vm_snapshots", False),
                                  move_policies=o.get("move_policies", False),
                                  stop_vm=o.get("stop_vm", True),
                                  fix_schedules=o.get("fix_schedules", False))
        if choice.mode is Mode.REVERT:
            return plan_revert(ctx, delete_vm_snapshots=o.get("delete_vm_snapshots", False))
        if choice.mode is Mode.ATTACH:
            target_id = o.get("target")
            if ctx.vm is not None and target_id == ctx.vm.id:
                return plan_attach(ctx, delete_vm_snapshots=o.get("delete_vm_snapshots", False))
            client = self.session.client
            target = await client.virtual_machine(str(target_id))
            vmsnaps = await client.vm_snapshots_of(str(target_id)) if target else []
            vols = await client.volumes_of(str(target_id)) if target else []
            return plan_attach(ctx, target=target, target_vm_snapshots=vmsnaps,
                               target_volumes=vols,
                               delete_vm_snapshots=o.get("delete_vm_snapshots", False))
        return plan_template(ctx, name=o["name"], ostype_id=o.get("ostype"),
                             launch=o.get("launch", False), zone_id=o.get("zone"),
                             service_offering_id=o.get("offering"))
