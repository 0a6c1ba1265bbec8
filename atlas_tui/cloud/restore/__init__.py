"""Guided restore: the planner, the operations, the runner and the journal in one import.

    ctx = await gather_context(client, snapshot_id)
    plan = plan_root_swap(ctx, move_policies=True)       # data: steps, undo, blockers
    plan.steps[0].call                                   # an Operation: send, inspect, undo
    runner = RestoreRunner(client, plan, on_event=show)  # journal in state_dir()/restores
    outcome = await runner.run()                         # rolls back by itself on failure

At start: `Journal.unfinished()` lists restores a crash left open; offer
`RestoreRunner.resume(client, journal)` or `RestoreRunner.rollback_from(client, journal)`.
The App runs a restore as a `RestoreTask`; `drill_many` checks snapshots by restoring them
into scratch volumes. Callers outside restore/ import from here, not from its modules.
"""

from atlas_tui.cloud.restore.drill import (
    DrillProgress,
    DrillResult,
    drill_many,
    load_results,
    newest_backed_up,
    verified_words,
)
from atlas_tui.cloud.restore.history import RestoreRecord, history
from atlas_tui.cloud.restore.journal import Journal, restores_dir
from atlas_tui.cloud.restore.operations import Inspection, Look, Operation, operation_from_dict
from atlas_tui.cloud.restore.plan import (
    Blocker,
    Mode,
    RestoreContext,
    RestorePlan,
    Step,
    available_modes,
    gather_context,
    networks_of,
    pick_disk_offering,
    plan_attach,
    plan_data_swap,
    plan_revert,
    plan_root_swap,
    plan_template,
    replaced_name,
    run_tag,
    run_tags,
    snapshot_label,
    swapped_schedules,
)
from atlas_tui.cloud.restore.report import (
    NO_BOOT_DISK,
    boot_flag,
    choice_effects,
    read_server,
    view_disks,
)
from atlas_tui.cloud.restore.runner import (
    EventKind,
    KeptResource,
    PlanBlocked,
    RestoreEvent,
    RestoreOutcome,
    RestoreRunner,
)
from atlas_tui.cloud.restore.task import RESTORE_LABEL_PREFIX, RestoreTask

__all__ = [
    "NO_BOOT_DISK", "RESTORE_LABEL_PREFIX", "Blocker", "DrillProgress", "DrillResult",
    "EventKind", "Inspection", "Journal", "KeptResource", "Look", "Mode", "Operation",
    "PlanBlocked", "RestoreContext", "RestoreEvent", "RestoreOutcome", "RestorePlan",
    "RestoreRecord", "RestoreRunner", "RestoreTask", "Step", "available_modes", "boot_flag",
    "choice_effects", "drill_many", "gather_context", "history", "load_results", "networks_of",
    "newest_backed_up", "operation_from_dict", "pick_disk_offering", "plan_attach",
    "plan_data_swap", "plan_revert", "plan_root_swap", "plan_template", "read_server",
    "replaced_name", "restores_dir", "run_tag", "run_tags", "snapshot_label",
    "swapped_schedules", "verified_words", "view_disks",
]
