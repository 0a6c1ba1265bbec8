"""The audit log: one JSON line per mutating call, appended to a file in the state dir.

Lines carry time, profile, command, parameters, job id and outcome. Parameters never
contain the API key or the signature (cs adds those below us), and any parameter whose
name suggests a secret is redacted anyway; the outcome text goes through `redact_text`.
The file is 0600 in a 0700 directory (`private_files`).

A write that fails does not stop the call (an unwritable log must not stop a recovery),
but it is not silent either: `on_failure` is called once, the first time, so the user hears
about it once rather than on every action.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atlas_tui.cloud.api.redact import MASK, is_secret_name, redact_text
from atlas_tui.cloud.private_files import append_private, tighten


def redact(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (MASK if is_secret_name(k) else redact_text(v) if isinstance(v, str) else v)
        for k, v in params.items()
        if v is not None
    }


class AuditLog:
    def __init__(self, path: Path, profile: str,
                 on_failure: Callable[[Path, OSError], None] | None = None) -> None:
        self.path = path
        self.profile = profile
        self.on_failure = on_failure
        self.failed = False  # a failure was reported already: the next ones are not
        tighten(path)  # an audit log left world-readable by an older version is closed now

    def __call__(self, command: str, params: dict[str, Any], outcome: str,
                 jobid: str | None) -> None:
        line = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "profile": self.profile,
            "command": command,
            "params": redact(params),
            "jobid": jobid,
            "outcome": redact_text(outcome),
        }
        try:
            append_private(self.path, json.dumps(line, default=str) + "\n")
        except OSError as e:
            if not self.failed:
                self.failed = True
                if self.on_failure is not None:
                    self.on_failure(self.path, e)

    def read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
