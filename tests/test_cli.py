"""The command line as a user types it: `atlas-tui --help`, `atlas-tui sim ...`."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest
from cs import CloudStack

from atlas_tui.sim.process import SimProcess
from tests.helpers import present


def test_help_names_the_ways_to_start() -> None:
    out = subprocess.run([sys.executable, "-m", "atlas_tui", "--help"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    for option in ("--profile", "--read-only", "--demo", "atlas-tui sim"):
        assert option in out


@pytest.mark.slow
def test_atlas_tui_sim_subcommand_serves_the_api() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlas_tui", "sim", "--port", "0", "--seed", "empty",
         "--api-key", "key-1", "--secret-key", "secret-1", "--speed", "0",
         "--start", "2026-11-02T09:30:00Z"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        for line in proc.stdout:
            banner += line
            if line.startswith("Press Ctrl+C"):
                break
        endpoint = present(re.search(r"listening on (\S+)", banner)).group(1)
        cs = CloudStack(endpoint=endpoint, key="key-1", secret="secret-1")
        assert cs.listZones()["count"] == 2
        assert "[atlas-sim]" in banner
        base = endpoint.rsplit("/client/api", 1)[0]
        assert SimProcess.call(base, "/sim/clock")["now"] == "2026-11-02T09:30:00+0000"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_sim_help_says_what_roles_and_versions_change() -> None:
    out = subprocess.run([sys.executable, "-m", "atlas_tui", "sim", "--help"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    flat = " ".join(out.split())
    for needle in ("--role {user,admin}", "regular account", "full view", "--server-version",
                   "listSnapshotPolicies requires volumeid", "only size", "--date-header"):
        assert needle in flat, needle


@pytest.mark.slow
def test_sim_plays_a_role_and_a_version() -> None:
    sim = SimProcess(seed="demo", speed=0, extra=["--role", "admin", "--server-version", "4.15"])
    sim.start()
    try:
        cs = CloudStack(endpoint=sim.endpoint, key=sim.api_key, secret=sim.secret_key)
        assert cs.listCapabilities()["capability"]["cloudstackversion"] == "4.15.0.0"
        [root] = cs.listVolumes(name="ROOT-42")["volume"]
        assert root["hypervisor"] == "KVM"  # the full view
        snaps = cs.listSnapshots(volumeid=root["id"])["snapshot"]
        assert "size" in snaps[0] and "virtualsize" not in snaps[0]  # an older server
    finally:
        sim.stop()
