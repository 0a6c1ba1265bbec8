"""Files only the user may read: the audit log, the error log and the restore journals.

They name the account's resources and what was done to them, so they are 0600 in a 0700
directory, and made so on every open: a file or directory that existed before with a looser
mode (an older version, a restored backup, a umask of 000) is tightened, not trusted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

DIR_MODE = 0o700
FILE_MODE = 0o600
APP_NAME = "atlas-tui"
STATE_DIR_ENV = "ATLAS_TUI_STATE_DIR"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing; make it owner-only either way."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    # Not ours (a shared dir named by an override): tightening is not ours to do either.
    with contextlib.suppress(PermissionError):
        os.chmod(path, DIR_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing file owner-only (best effort: a file we do not own, or one that is
    not there, stays as it is; writing to it is what reports a problem)."""
    with contextlib.suppress(OSError):
        os.chmod(path, FILE_MODE)


def append_private(path: Path, text: str) -> None:
    """Append `text` to `path`, a 0600 file in a 0700 directory. Raises OSError."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        # O_CREAT's mode applies only to a new file: an old one is tightened here.
        with contextlib.suppress(PermissionError):
            os.fchmod(f.fileno(), FILE_MODE)
        f.write(text)


def state_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the audit log, the error log and the journals go (not created here)."""
    env = os.environ if env is None else env
    override = env.get(STATE_DIR_ENV, "").strip()
    return Path(override).expanduser() if override else platformdirs.user_state_path(APP_NAME)


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`state_path()`, created (owner-only) if missing. Raises OSError if it cannot be."""
    return private_dir(state_path(env))  # an existing, looser directory is tightened too
