"""Guided restore: the planner, the runner and the journal in one import.

    ctx = await gather_context(client, snapshot_id)
    plan = plan_root_swap(ctx, move_policies=True)       # data: steps, undo, blockers
    plan.steps[0].call                                   # an Operation: send, inspect, undo
    runner = RestoreRunner(client, plan, on_event=show)  # journal in state_dir()/restores
    outcome = await runner.run()                         # rolls back by itself on failure

At start: `Journal.unfinished()` lists restores a crash left open; offer
`RestoreRunner.resume(client, journal)` or `RestoreRunner.rollback_from(client, journal)`.
"""

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
    snapshot_label,
)
from atlas_tui.cloud.restore.runner import (
    EventKind,
    KeptResource,
    PlanBlocked,
    RestoreEvent,
    RestoreOutcome,
    RestoreRunner,
)

__all__ = [
    "Blocker", "EventKind", "Inspection", "Journal", "KeptResource", "Look", "Mode",
    "Operation", "PlanBlocked", "RestoreContext", "RestoreEvent", "RestoreOutcome",
    "RestorePlan", "RestoreRunner", "Step", "available_modes", "gather_context", "networks_of",
    "operation_from_dict", "pick_disk_offering", "plan_attach", "plan_data_swap", "plan_revert",
    "plan_root_swap", "plan_template", "replaced_name", "restores_dir", "run_tag",
    "snapshot_label",
]
