"""atlas-tui's own settings, and where it keeps its files.

Settings live in ``settings.toml`` in the platform config directory
(``~/.config/atlas-tui/settings.toml`` on Linux, ``~/Library/Application Support/atlas-tui/``
on macOS; ``$ATLAS_TUI_CONFIG_DIR`` overrides the directory). The file is optional, and so is
every key in it. Credentials never go here: they come from ``~/.cmk/config``,
``~/.cloudstack.ini`` or the ``CLOUDSTACK_*`` variables (see ``atlas_tui.cloud.api.config``).

Keys, with their defaults::

    theme = "textual-dark"        # a Textual theme name; unset: the app's default
    mouse = false                 # true lets the mouse click and scroll
    refresh_seconds = 30          # how often lists refresh on their own (> 0)
    stuck_after_minutes = 10      # a snapshot this long in Allocated/Creating/BackingUp
                                  # is flagged as stuck (> 0)
    cost_per_gib_month = 0.05     # snapshot storage price; unset: no cost column
    currency = "USD"              # shown next to costs
    support_address = "help@runatlas.is"  # where the stuck-snapshot advice says to write
    read_only_profiles = ["prod"] # profiles that always open read-only, as with --read-only

    [keymap]                      # binding id = keys, in Textual's notation; several
    refresh = "r,f5"              # keys separated by commas (or a list of strings)
    filter = ["/", "ctrl+f"]

Unknown keys are not an error (a newer file still opens); they are reported in
``Settings.warnings``. A file that is not valid TOML, or a key with the wrong type, raises
`SettingsError` naming the file, the line and the key.

The state directory (audit log, journals) is ``platformdirs.user_state_path("atlas-tui")``
(``~/.local/state/atlas-tui`` on Linux), or ``$ATLAS_TUI_STATE_DIR``; it is created on demand.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import platformdirs

from atlas_tui.cloud.private_files import APP_NAME

__all__ = [
    "CONFIG_DIR_ENV",
    "Settings",
    "SettingsError",
    "config_dir",
    "load_settings",
    "settings_path",
]


CONFIG_DIR_ENV = "ATLAS_TUI_CONFIG_DIR"
SETTINGS_FILE = "settings.toml"


class SettingsError(Exception):
    """The settings file cannot be used. ``str()`` is a complete message for the user."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class Settings:
    theme: str | None = None
    # binding id -> Textual key string ("r,f5"); read-only so a frozen Settings stays frozen.
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    cost_per_gib_month: float | None = None
    currency: str = "USD"
    # Named in the stuck-snapshot advice; Atlas's support by default, since the app also
    # serves other CloudStack clouds.
    support_address: str = "help@runatlas.is"
    stuck_after_minutes: float = 10
    refresh_seconds: float = 30
    read_only_profiles: tuple[str, ...] = ()
    mouse: bool = False
    source: Path | None = None  # the file read; None when running on defaults
    warnings: tuple[str, ...] = ()  # unknown keys and the like, for the UI to show

    def is_read_only(self, profile: str) -> bool:
        return profile in self.read_only_profiles


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """atlas-tui's config directory (not created: nothing is written there)."""
    env = os.environ if env is None else env
    override = env.get(CONFIG_DIR_ENV, "").strip()
    return Path(override).expanduser() if override else platformdirs.user_config_path(APP_NAME)


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing file means all defaults. Raises `SettingsError`."""
    path = settings_path() if path is None else path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(path, f"{path}: cannot read settings: {exc.strerror}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(path, f"{path}: not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, raw, exc) from None
    return _build(path, data)


# --- internals ---------------------------------------------------------------------------

_KNOWN = {
    "theme",
    "keymap",
    "cost_per_gib_month",
    "currency",
    "support_address",
    "stuck_after_minutes",
    "refresh_seconds",
    "read_only_profiles",
    "mouse",
}


def _toml_error(path: Path, raw: bytes, exc: tomllib.TOMLDecodeError) -> SettingsError:
    # tomllib (3.11) puts "(at line N, column M)" in its message but has no attributes for it.
    message = str(exc)
    match = re.search(r"at line (\d+)", message)
    line = int(match.group(1)) if match else None
    text = f"{path}: not valid TOML: {message}"
    if line is not None:
        lines = raw.decode("utf-8", errors="replace").splitlines()
        if 0 < line <= len(lines):
            text += f"\n  {line} | {lines[line - 1]}"
    return SettingsError(path, text, line)


def _build(path: Path, data: dict[str, Any]) -> Settings:
    def fail(key: str, expected: str) -> SettingsError:
        return _key_error(path, key, f"`{key}` must be {expected}, not {data[key]!r}.")

    def number(key: str, *, positive: bool) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        # bool is an int in Python; `refresh_seconds = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(key, "a number")
        if positive and not value > 0:
            raise fail(key, "more than 0")
        if not positive and value < 0:
            raise fail(key, "0 or more")
        return float(value)

    def string(key: str) -> str | None:
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise fail(key, "a non-empty string")
        return value

    defaults = Settings()
    mouse = data.get("mouse", defaults.mouse)
    if not isinstance(mouse, bool):
        raise fail("mouse", "true or false")

    profiles = data.get("read_only_profiles", [])
    if isinstance(profiles, str):  # forgiving: one name without brackets
        profiles = [profiles]
    if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
        raise fail("read_only_profiles", "a list of profile names")

    keymap_raw = data.get("keymap", {})
    if not isinstance(keymap_raw, dict):
        raise fail("keymap", 'a table ([keymap] with binding = "keys")')
    keymap: dict[str, str] = {}
    for binding, keys in keymap_raw.items():
        if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str) or not keys.strip():
            raise _key_error(
                path,
                binding,
                f'keymap `{binding}` must be a key string like "ctrl+r" or a list '
                f"of them, not {keys!r}.",
            )
        keymap[binding] = keys.strip()

    stuck = number("stuck_after_minutes", positive=True)
    refresh = number("refresh_seconds", positive=True)
    unknown = sorted(set(data) - _KNOWN)
    return Settings(
        theme=string("theme"),
        keymap=MappingProxyType(keymap),
        cost_per_gib_month=number("cost_per_gib_month", positive=False),
        currency=string("currency") or defaults.currency,
        support_address=string("support_address") or defaults.support_address,
        stuck_after_minutes=defaults.stuck_after_minutes if stuck is None else stuck,
        refresh_seconds=defaults.refresh_seconds if refresh is None else refresh,
        read_only_profiles=tuple(profiles),
        mouse=mouse,
        source=path,
        warnings=tuple(f"{path}: unknown setting `{key}` ignored." for key in unknown),
    )


def _key_error(path: Path, key: str, message: str) -> SettingsError:
    line = _line_of(path, key)
    where = f"{path}, line {line}" if line else str(path)
    return SettingsError(path, f"{where}: {message}", line)


def _line_of(path: Path, key: str) -> int | None:
    """Best-effort line number of `key = ...`, so type errors point somewhere too."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    return next((n for n, text in enumerate(lines, 1) if pattern.match(text)), None)
