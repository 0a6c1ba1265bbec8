"""What the server does, without HTTP: the operations on the simulator's state.

Each module holds one area's rules, texts and job plans, as plain functions on a ``World``
(the state, the job engine, the injected faults). ``commands/`` parses a request's parameters,
calls one of these and renders the answer; the policy scheduler calls them too. Nothing here
knows about requests, parameters or HTTP.

    world       the World every operation acts on
    snapshots   take (checks, then the job Allocated -> ... -> BackedUp), delete, revert
    volumes     create, delete, attach, detach, rename
    vms         deploy, start, stop
    vmsnapshots create, revert, delete
    templates   create from a snapshot or a volume
    policies    create (an upsert per volume and interval), remove
    scheduler   the recurring snapshots: each policy fires at its next run, then prunes
"""
