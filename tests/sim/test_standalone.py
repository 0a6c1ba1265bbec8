"""The standalone server, the scale seed, and the layer rule for sim/."""

from __future__ import annotations

import ast
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cs import CloudStack

from atlas_tui.sim import SimServer
from tests.helpers import present

SIM_DIR = Path(__file__).resolve().parents[2] / "atlas_tui" / "sim"


def test_sim_imports_nothing_from_cloud_ui_or_textual() -> None:
    for path in SIM_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                names = [("." * node.level) + base]
            for name in names:
                assert not name.startswith(("atlas_tui.cloud", "atlas_tui.ui", "textual")), path
                assert not re.match(r"^\.\.+(cloud|ui)\b", name), path


def test_scale_seed_is_fast_and_lists() -> None:
    t0 = time.perf_counter()
    sim = SimServer(seed="scale:10000", speed=0)
    seconds = time.perf_counter() - t0
    print(
        f"\nscale:10000 seeded in {seconds:.2f} s: {len(sim.state.vms)} VMs, "
        f"{len(sim.state.volumes)} volumes, {len(sim.state.snapshots)} snapshots"
    )
    assert len(sim.state.vms) == 10000 and len(sim.state.volumes) == 30000
    assert 8 * 30000 <= len(sim.state.snapshots) <= 12 * 30000
    endpoint = sim.start_in_thread()
    try:
        cs = CloudStack(endpoint=endpoint, key=sim.api_key, secret=sim.secret_key)
        t0 = time.perf_counter()
        first = cs.listSnapshots(page=1, pagesize=500)
        later = cs.listSnapshots(page=300, pagesize=500)
        print(f"two snapshot pages in {time.perf_counter() - t0:.2f} s")
        assert first["count"] == later["count"] == len(sim.state.snapshots)
        assert len(later["snapshot"]) == 500
        assert cs.listVirtualMachines(page=20, pagesize=500)["count"] == 10000
    finally:
        sim.stop_thread()


def test_bad_seed_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown seed"):
        SimServer(seed="huge")


@pytest.mark.slow
def test_standalone_cli_serves_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "atlas_tui.sim",
            "--port",
            "0",
            "--api-key",
            "k1",
            "--secret-key",
            "s1",
            "--seed",
            "empty",
            "--set",
            "kvm.snapshot.enabled=false",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        banner = "".join(lines)
        endpoint = present(re.search(r"listening on (\S+)", banner)).group(1)
        assert "[atlas-sim]" in banner and "apikey = k1" in banner and "secretkey = s1" in banner
        assert "cmk set url " + endpoint in banner and "secret = s1" in banner
        cs = CloudStack(endpoint=endpoint, key="k1", secret="s1")
        assert cs.listCapabilities()["capability"]["kvmsnapshotenabled"] is False
        assert cs.listZones()["count"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
