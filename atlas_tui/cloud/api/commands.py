"""What the app knows about each API command it sends or tracks: the server's Java class
(how listAsyncJobs names a job) and the verb a job of it is shown with.

One table, read by the job tracker (jobs the app did not start come as a Java class) and by
the restore operations (each names its command here, and takes its verb from it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str  # the API command: "attachVolume"
    job_class: str  # its Java class, without package: "AttachVolumeCmd"
    verb: str  # a job of it in the UI: "Attach volume"


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("createSnapshot", "CreateSnapshotCmd", "Snapshot"),
    Command("deleteSnapshot", "DeleteSnapshotCmd", "Delete snapshot"),
    Command("revertSnapshot", "RevertSnapshotCmd", "Revert snapshot"),
    Command("createVMSnapshot", "CreateVMSnapshotCmd", "VM snapshot"),
    Command("revertToVMSnapshot", "RevertToVMSnapshotCmd", "Revert VM snapshot"),
    Command("deleteVMSnapshot", "DeleteVMSnapshotCmd", "Delete VM snapshot"),
    Command("createVolume", "CreateVolumeCmd", "Create volume"),
    Command("attachVolume", "AttachVolumeCmd", "Attach volume"),
    Command("detachVolume", "DetachVolumeCmd", "Detach volume"),
    Command("updateVolume", "UpdateVolumeCmd", "Update volume"),
    Command("stopVirtualMachine", "StopVMCmd", "Stop"),
    Command("startVirtualMachine", "StartVMCmd", "Start"),
    Command("deployVirtualMachine", "DeployVMCmd", "Deploy"),
    Command("restoreVirtualMachine", "RestoreVMCmd", "Restore"),
    Command("createTemplate", "CreateTemplateCmd", "Create template"),
    # Synchronous: never a job, but named in the audit log and by the restore steps.
    Command("updateSnapshotPolicy", "UpdateSnapshotPolicyCmd", "updateSnapshotPolicy"),
    Command("createSnapshotPolicy", "CreateSnapshotPolicyCmd", "createSnapshotPolicy"),
    Command("deleteSnapshotPolicies", "DeleteSnapshotPoliciesCmd", "deleteSnapshotPolicies"),
)}
_BY_CLASS = {c.job_class: c.name for c in COMMANDS.values()}


def api_name(cmd_class: str) -> str:
    """`createSnapshot` from `org.apache...CreateSnapshotCmd` (or `...CmdByAdmin`)."""
    simple = cmd_class.rsplit(".", 1)[-1].removesuffix("ByAdmin")
    if simple in _BY_CLASS:
        return _BY_CLASS[simple]
    simple = simple.removesuffix("Cmd")
    return simple[:1].lower() + simple[1:] if simple else "job"


def verb_of(command: str) -> str:
    """The verb a job of `command` is shown with; the command itself when not known."""
    known = COMMANDS.get(command)
    return known.verb if known is not None else command
