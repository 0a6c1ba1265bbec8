"""The audit log: one JSON line per mutating call, appended to a file in the state dir.

Lines carry time, profile, command, parameters, job id and outcome. Parameters never
contain the API key or the signature (cs adds those below us), and any parameter whose
name suggests a secret is redacted anyway.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SECRET_HINTS = ("secret", "password", "signature", "apikey", "userdata", "token")


def redact(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ("<redacted>" if any(h in k.lower() for h in SECRET_HINTS) else v)
        for k, v in params.items()
        if v is not None
    }


class AuditLog:
    def __init__(self, path: Path, profile: str) -> None:
        self.path = path
        self.profile = profile

    def __call__(self, command: str, params: dict[str, Any], outcome: str,
                 jobid: str | None) -> None:
        line = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "profile": self.profile,
            "command": command,
            "params": redact(params),
            "jobid": jobid,
            "outcome": outcome,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                f.write(json.dumps(line, default=str) + "\n")
        except OSError:
            pass  # an unwritable log must not stop a recovery; the UI still shows outcomes

    def read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
