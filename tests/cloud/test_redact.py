"""Credentials in an endpoint URL never reach a message, a log or a journal; local files are
owner-only even when they existed before; a failed audit write is said once."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from atlas_tui.cloud.api.client import CloudClient
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.api.errors import CloudError, ErrorKind
from atlas_tui.cloud.api.redact import redact_text, redact_url
from atlas_tui.cloud.audit import AuditLog
from atlas_tui.cloud.error_log import ErrorLog
from atlas_tui.cloud.private_files import state_dir
from atlas_tui.cloud.restore import RestoreRunner, gather_context, plan_root_swap
from atlas_tui.cloud.restore.journal import Journal, restores_dir
from tests.conftest import FAST_RETRY, running_sim

SECRETS = ("alice", "hunter2", "T0KEN-123", "APIKEY-xyz", "SIG/abc=")


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://alice:hunter2@h.example/client/api", "https://***@h.example/client/api"),
    ("https://alice@h.example:8443/client/api", "https://***@h.example:8443/client/api"),
    ("https://h.example/client/api?token=T0KEN-123", "https://h.example/client/api?token=***"),
    ("https://h.example/api?command=listZones&apikey=APIKEY-xyz&signature=SIG/abc=&x=1",
     "https://h.example/api?command=listZones&apikey=***&signature=***&x=1"),
    ("https://h.example/client/api", "https://h.example/client/api"),
    ("http://[::1]:8080/client/api?access_token=T0KEN-123",
     "http://[::1]:8080/client/api?access_token=***"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_text_finds_urls_and_secret_pairs_anywhere() -> None:
    text = ("Cannot connect to https://alice:hunter2@h.example/client/api?token=T0KEN-123 "
            "(url='http://h.example/x?apikey=APIKEY-xyz&signature=SIG/abc='); "
            "also password=hunter2 and a plain monkey=1")
    shown = redact_text(text)
    assert_clean(shown)
    assert "h.example/client/api" in shown and "monkey=1" in shown


def test_redact_text_masks_given_secret_values() -> None:
    assert redact_text("the secret is S3cretValue!", ("S3cretValue!",)) == "the secret is ***"


def test_cloud_error_text_is_redacted() -> None:
    error = CloudError("listZones", "TooManyRedirects: 0, message='', "
                       "url='http://alice:hunter2@h.example/client/api?token=T0KEN-123"
                       "&apikey=APIKEY-xyz&signature=SIG/abc='", kind=ErrorKind.TRANSPORT)
    assert_clean(error.user_message())
    assert_clean(str(error))


def test_error_log_redacts_and_masks_the_profile_keys(tmp_path: Path) -> None:
    log = ErrorLog(tmp_path / "state" / "errors.log")
    log.secrets = ("hunter2",)
    try:
        raise RuntimeError("boom at https://alice:hunter2@h.example/?token=T0KEN-123 "
                           "\x1b]52;c;x\x07")
    except RuntimeError as e:
        assert log.write("Snapshot", "RuntimeError: boom hunter2", e)
    text = log.path.read_text()
    assert_clean(text)
    assert "\x1b" not in text and "\x07" not in text  # no control sequence for a terminal
    assert "Traceback" in text and "Snapshot: RuntimeError: boom ***" in text


def test_audit_log_redacts_outcome_and_params(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", "p")
    audit("createSnapshot", {"volumeid": "v1", "password": "hunter2",
                             "name": "note token=T0KEN-123"},
          "failed: http://alice:hunter2@h.example/client/api", None)
    text = (tmp_path / "audit.jsonl").read_text()
    assert_clean(text)
    [line] = audit.read()
    assert line["params"]["volumeid"] == "v1"


async def test_restore_journal_keeps_the_endpoint_without_its_credentials() -> None:
    """A restore planned and journalled through an endpoint with user:pass@ (basic auth for
    a proxy; the simulator ignores it): the journal names the endpoint, masked."""
    async with running_sim(speed=2000) as sim:
        url = sim.endpoint.replace("http://", "http://alice:hunter2@")
        profile = Profile(name="p", url=url, api_key=sim.api_key, secret_key=sim.secret_key,
                          source="test")
        async with CloudClient(profile, retry=FAST_RETRY) as client:
            vm = next(v for v in await client.virtual_machines() if v.name == "hello-atlas")
            root = next(v for v in await client.volumes_of(vm.id) if v.deviceid == 0)
            snap = next(s for s in await client.snapshots_of(root.id) if s.state == "BackedUp")
            plan = plan_root_swap(await gather_context(client, snap.id), move_policies=False)
            runner = RestoreRunner(client, plan)
        path = restores_dir() / f"{plan.id}.json"
        text = path.read_text()
        assert_clean(text)
        assert json.loads(text)["endpoint"] == redact_url(url)
        assert runner.journal.path == path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- local files ---------------------------------------------------------------------------


def loosen(*paths: Path) -> None:
    for path in paths:
        path.chmod(0o777 if path.is_dir() else 0o666)


def test_existing_loose_state_files_are_tightened(sim_free_state: Path) -> None:
    state = sim_free_state
    restores = state / "restores"
    restores.mkdir(parents=True)
    audit_path, journal_path = state / "audit.jsonl", restores / "old.json"
    audit_path.write_text("")
    journal_path.write_text(json.dumps({"format": 1, "id": "old", "status": "running",
                                        "updated": "2026-01-01T00:00:00+00:00"}))
    loosen(state, restores, audit_path, journal_path)

    errors_path = state / "errors.log"
    errors_path.write_text("")
    loosen(errors_path)

    # What the app does at start: find the state dir, open the logs, look for journals.
    state_dir()
    AuditLog(audit_path, "p")
    ErrorLog(errors_path)
    Journal.unfinished()

    for directory in (state, restores):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    for file in (audit_path, journal_path, errors_path):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_audit_write_failure_is_reported_once(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the audit directory should be")
    failures: list[tuple[Path, OSError]] = []
    audit = AuditLog(blocked / "audit.jsonl", "p",
                     on_failure=lambda p, e: failures.append((p, e)))
    for _ in range(3):
        audit("createSnapshot", {"volumeid": "v"}, "accepted", None)
    assert len(failures) == 1 and failures[0][0] == blocked / "audit.jsonl"


@pytest.fixture
def sim_free_state(tmp_path: Path) -> Path:
    return tmp_path / "state"  # the ATLAS_TUI_STATE_DIR of conftest's _isolated_dirs



def test_new_log_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        audit = AuditLog(tmp_path / "fresh" / "audit.jsonl", "p")
        audit("createSnapshot", {"volumeid": "v"}, "accepted", None)
        log = ErrorLog(tmp_path / "fresh" / "errors.log")
        assert log.write("x", "y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    for name in ("audit.jsonl", "errors.log"):
        assert stat.S_IMODE((tmp_path / "fresh" / name).stat().st_mode) == 0o600
