"""The server without HTTP: verification, throttling, fault errors, dispatch, list shaping.

``SimCore.execute`` takes the merged request parameters and returns (HTTP status, JSON body).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import commands
from .clock import SimClock
from .commands import REGISTRY, Ctx, ListReply
from .domain.scheduler import Scheduler
from .domain.world import World
from .errors import (
    CS_SERVER_API,
    CS_UNAVAILABLE_COMMAND,
    INTERNAL_TEXT,
    UNSUPPORTED_ACTION_ERROR,
    ApiError,
    auth_error,
)
from .faults import FaultSet
from .jobs import JobEngine
from .model import Job
from .params import Params
from .signing import verify
from .state import SimState
from .view import ServerView

log = logging.getLogger(__name__)
assert commands  # the import registers every command

JOB_FAILURE_TEXTS: dict[str, Callable[[Job], str]] = {
    "createVolume": lambda job: f"Failed to create volume: {job.instance_id}",
    "attachVolume": lambda job: "Failed to attach volume",
    "detachVolume": lambda job: "Failed to detach volume",
    "updateVolume": lambda job: "Failed to update volume",
    "revertSnapshot": lambda job: "Failed to revert snapshot",
    "createTemplate": lambda job: "Failed to create template",
    "startVirtualMachine": lambda job: "Unable to start the instance",
    "stopVirtualMachine": lambda job: "Failed to stop the instance",
}


class SimCore:
    def __init__(
        self,
        clock: SimClock,
        api_key: str,
        secret_key: str,
        settings: dict[str, str] | None,
        rng_seed: int,
        faults: FaultSet,
        view: ServerView | None = None,
    ) -> None:
        self.clock = clock
        self.state = SimState(clock, settings, rng_seed, view)

        self.faults = faults
        self.jobs = JobEngine(self.state)
        self.jobs.fault_hook = faults.job_failure
        self.jobs.default_failure_texts = dict(JOB_FAILURE_TEXTS)
        self.jobs.default_failure_texts["createSnapshot"] = lambda job: (
            "Failed to create snapshot due to an internal error creating snapshot for volume "
            + self._volume_text(job)
        )
        self.world = World(self.state, self.jobs, faults)
        self.scheduler = Scheduler(self.world)
        self.keys: dict[str, str] = {api_key: secret_key}
        self._ticked_at: datetime | None = None
        clock.on_advance(self.tick)

    def _volume_text(self, job: Job) -> str:
        snap = self.state.snapshots.get(job.instance_id or "")
        return snap.volume.id if snap is not None else str(job.instance_id)

    def tick(self) -> None:
        with self.state.lock:
            self.state.process_due()
            now = self.clock.now()
            if now != self._ticked_at:
                # Time moved: time-filtered lists (listAsyncJobs) must rebuild. Frozen time
                # (speed 0) keeps every list cache, so paging 300k snapshots filters once.
                self._ticked_at = now
                self.state.touch()

    def execute(self, raw: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        state = self.state
        with state.lock:
            state.process_due()
            state.requests += 1
            command = raw.get("command")
            if command is None:
                command = next((v for k, v in raw.items() if k.lower() == "command"), None)
            if not command:
                err = ApiError(UNSUPPORTED_ACTION_ERROR, "Invalid request, no command sent")
                return err.errorcode, {"errorresponse": err.body()}
            handler = REGISTRY.get(command)
            if handler is None or command in self._denied():
                state.calls[command if handler else "(unknown)"] += 1
                if not verify(raw, self.keys, datetime.now(UTC)):
                    return 401, {"errorresponse": auth_error().body()}
                err = self._unavailable(command)
                return err.errorcode, {"errorresponse": err.body()}
            key = command.lower() + "response"
            state.calls[command] += 1
            if not verify(raw, self.keys, datetime.now(UTC)):
                return 401, {key: auth_error().body()}
            # Root admins are never throttled by api.throttling.* (ApiRateLimitServiceImpl);
            # injected throttle faults still apply.
            limits = {} if state.view.admin else state.settings
            fault = self.faults.throttle(limits) or self.faults.error(command)
            if fault is not None:
                return fault.errorcode, {key: self._versioned(fault).body()}
            params = Params(command, raw)
            ctx = Ctx(self.world, self.scheduler, params)
            try:
                reply = handler(ctx)
                if isinstance(reply, ListReply):
                    body = self._shape_list(params, reply)
                else:
                    body = reply.body
            except ApiError as err:
                return err.errorcode, {key: err.for_caller(state.view.admin).body()}
            except Exception as exc:  # a bug in the simulator: answer like the server would
                log.exception("simulator error in %s", command)
                self.state.unexpected.append((command, exc))
                return 530, {key: ApiError(530, INTERNAL_TEXT, CS_SERVER_API).body()}
            return 200, {key: body}

    def _denied(self) -> set[str]:
        text = self.state.settings.get("sim.role.denied.apis", "")
        return {name.strip() for name in text.split(",") if name.strip()}

    def _unavailable(self, command: str) -> ApiError:
        """432: DynamicRoleBasedAPIAccessChecker.java ~159 (UnavailableCommandException),
        for an unknown command and for one the role does not allow alike."""
        acct = self.state.account
        return ApiError(
            UNSUPPORTED_ACTION_ERROR,
            f"The API [{command}] does not exist or is not available for the account "
            f'Account {{"accountName":"{acct.name}","id":2,"uuid":"{acct.id}"}}.',
            CS_UNAVAILABLE_COMMAND,
        )

    def _versioned(self, err: ApiError) -> ApiError:
        """Before 4.20 the rate limiter's text had no brackets around the number."""
        if err.errorcode == 429 and not self.state.view.since(4, 20):
            err = ApiError(err.errorcode, err.errortext.replace("[", "").replace("]", ""),
                           err.cserrorcode)
        return err

    def _shape_list(self, params: Params, reply: ListReply) -> dict[str, Any]:
        state = self.state
        start, size = params.paging(state.setting_int("default.page.size", 500))
        items = reply.items
        total = len(items)
        if total == 0:
            return {}
        page = items[start : start + size] if size is not None else items[start:]
        if not page:
            return {"count": total}
        return {"count": total, reply.key: [reply.render(state, o) for o in page]}
