"""The local error log: one entry per failure the user was told about, for whoever debugs it.

`errors.log` in the state dir, beside `audit.jsonl`: a line saying when, what failed and
why, followed (for an unexpected exception, which is a bug) by its traceback, indented. No
secrets: the text goes through `redact_text` (URL credentials, secret parameters and the
profile's own keys) and `clean_text` (no control sequence from API text reaches a terminal
that shows the file). The file is rotated once at 1 MiB so it cannot grow without end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from atlas_tui.cloud.api.redact import redact_text
from atlas_tui.cloud.api.text import clean_text
from atlas_tui.cloud.private_files import append_private, tighten

MAX_BYTES = 1 << 20


def describe(error: BaseException) -> str:
    """`Type: message` of an exception, safe to show and to write."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class ErrorLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        tighten(path)
        self.secrets: tuple[str, ...] = ()  # the current profile's keys, masked if ever seen

    def safe(self, text: str) -> str:
        return redact_text(clean_text(text), self.secrets)

    def write(self, what: str, message: str, error: BaseException | None = None) -> bool:
        """Append one entry; with `error`, its traceback too. False if it cannot be written
        (the caller has already told the user what failed; nothing more can be done)."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = [f"{stamp} {self.safe(what)}: {self.safe(message)}"]
        if error is not None:
            trace = traceback.format_exception(type(error), error, error.__traceback__)
            lines += ["    " + self.safe(line) for chunk in trace
                      for line in chunk.rstrip("\n").split("\n")]
        try:
            self._rotate(self.path)
            append_private(self.path, "\n".join(lines) + "\n")
        except OSError:
            return False
        return True

    @staticmethod
    def _rotate(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size > MAX_BYTES:
                os.replace(path, path.with_name(path.name + ".1"))


class ErrorLogHandler(logging.Handler):
    """What cloud/ logs where it must not raise (a failed subscriber, a tracker tick: "a
    broken view must never stop a restore") goes to errors.log too, instead of nowhere."""

    def __init__(self, log: ErrorLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            error = record.exc_info[1] if record.exc_info else None
            self.log.write(record.name, record.getMessage(), error)
        except Exception:
            self.handleError(record)
