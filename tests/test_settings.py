"""atlas-tui's own settings file and directories."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from atlas_tui.cloud.private_files import state_dir
from atlas_tui.settings import (
    Settings,
    SettingsError,
    config_dir,
    load_settings,
    settings_path,
)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "settings.toml")
    assert settings == Settings()
    assert settings.theme is None
    assert dict(settings.keymap) == {}
    assert settings.cost_per_gib_month is None
    assert settings.currency == "USD"
    assert settings.stuck_after_minutes == 10
    assert settings.refresh_seconds == 30
    assert settings.read_only_profiles == ()
    assert settings.mouse is False
    assert settings.source is None


def test_empty_file_gives_defaults_with_source(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", "")
    settings = load_settings(path)
    assert settings.source == path
    assert (settings.refresh_seconds, settings.mouse, settings.warnings) == (30, False, ())


def test_full_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "settings.toml",
        """
        theme = "nord"
        mouse = true
        refresh_seconds = 5
        stuck_after_minutes = 2.5
        cost_per_gib_month = 0.05
        currency = "EUR"
        read_only_profiles = ["prod", "dr"]

        [keymap]
        refresh = "r,f5"
        filter = ["/", "ctrl+f"]
        """,
    )
    settings = load_settings(path)
    assert settings.theme == "nord"
    assert settings.mouse is True
    assert settings.refresh_seconds == 5.0
    assert settings.stuck_after_minutes == 2.5
    assert settings.cost_per_gib_month == 0.05
    assert settings.currency == "EUR"
    assert settings.read_only_profiles == ("prod", "dr")
    assert dict(settings.keymap) == {"refresh": "r,f5", "filter": "/,ctrl+f"}
    assert settings.is_read_only("prod") and not settings.is_read_only("staging")
    assert settings.warnings == ()


def test_settings_are_immutable(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", '[keymap]\nrefresh = "r"\n')
    settings = load_settings(path)
    with pytest.raises(TypeError):
        settings.keymap["refresh"] = "x"  # type: ignore[index]  # what the test tries
    with pytest.raises(AttributeError):
        settings.mouse = True  # type: ignore[misc]  # what the test tries


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "settings.toml",
        """
        theme = "nord"
        refresh_seconds = = 5
        """,
    )
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid TOML")
    assert "line 2" in message
    assert "2 | refresh_seconds = = 5" in message  # the offending line is quoted
    assert (info.value.path, info.value.line) == (path, 2)


def test_wrong_type_names_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", 'theme = "x"\nrefresh_seconds = "often"\n')
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert str(info.value) == f"{path}, line 2: `refresh_seconds` must be a number, not 'often'."
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("mouse = 1", "`mouse` must be true or false"),
        ("refresh_seconds = true", "`refresh_seconds` must be a number"),
        ("refresh_seconds = 0", "`refresh_seconds` must be more than 0"),
        ("stuck_after_minutes = -1", "`stuck_after_minutes` must be more than 0"),
        ("cost_per_gib_month = -0.1", "`cost_per_gib_month` must be 0 or more"),
        ("read_only_profiles = [1, 2]", "`read_only_profiles` must be a list of profile names"),
        ('keymap = "r"', "`keymap` must be a table"),
        ("[keymap]\nrefresh = 5", "keymap `refresh` must be a key string"),
        ('theme = ""', "`theme` must be a non-empty string"),
    ],
)
def test_invalid_values(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "settings.toml", text + "\n")
    with pytest.raises(SettingsError, match=fragment):
        load_settings(path)


def test_single_read_only_profile_string_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", 'read_only_profiles = "prod"\n')
    assert load_settings(path).read_only_profiles == ("prod",)


def test_unknown_keys_are_warnings_not_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", 'colour = "red"\nmouse = true\n')
    settings = load_settings(path)
    assert settings.mouse is True
    assert settings.warnings == (f"{path}: unknown setting `colour` ignored.",)


def test_not_utf8_is_a_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_bytes(b'theme = "\xff"\n')
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_settings(path)


def test_unreadable_path_is_a_settings_error(tmp_path: Path) -> None:
    directory = tmp_path / "settings.toml"
    directory.mkdir()
    with pytest.raises(SettingsError, match="cannot read settings"):
        load_settings(directory)


def test_default_path_honours_config_dir_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATLAS_TUI_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path
    assert settings_path() == tmp_path / "settings.toml"
    write(tmp_path / "settings.toml", "refresh_seconds = 7\n")
    assert load_settings().refresh_seconds == 7


def test_config_dir_default_is_platform_dir() -> None:
    path = config_dir(env={})
    assert path.name == "atlas-tui"
    assert settings_path(env={}) == path / "settings.toml"


def test_state_dir_override_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state" / "nested"
    monkeypatch.setenv("ATLAS_TUI_STATE_DIR", str(target))
    assert not target.exists()
    assert state_dir() == target
    assert target.is_dir()
    assert state_dir() == target  # existing dir is fine
    assert state_dir(env={"ATLAS_TUI_STATE_DIR": str(tmp_path / "other")}) == tmp_path / "other"
