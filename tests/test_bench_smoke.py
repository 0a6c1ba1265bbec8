"""The benchmark scripts run end to end at a tiny size and write every figure of issue 13.

Figures are benchmark output: nothing here checks how fast anything is, only that each
figure was measured (a number, not missing) and lands in the results file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "scale:50,scale:100",
         "--filter-rounds", "1", "--idle-s", "1", "--poll-speed", "30", "--out", str(out)],
        capture_output=True, text=True, timeout=280, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    for key in ("full_load_ratio_vs_aio", "aio_fetch_s", "cs_sync_fetch_s", "loop_stall_max_ms",
                "filter_pty_ms_p95", "rss_mb", "poll_calls_per_min_20_jobs",
                "poll_detect_ms_p50", "poll_detect_ms_p95", "poll_baseline_calls_per_min",
                "poll_baseline_detect_ms_p95"):
        assert isinstance(figures[key], (int, float)), key
    assert set(figures["idle_bytes_per_min"]) == {
        "instances", "volumes", "policies", "snapshots", "protection", "jobs", "restores"}
    assert all(isinstance(v, (int, float)) for v in figures["idle_bytes_per_min"].values())
    assert set(figures["sizes"]) == {"scale:50", "scale:100"}
    assert figures["growth"]["rss_mb"]["factor"] is not None
    assert "full_load_ratio_vs_aio" in done.stdout and "<= 1.2" in done.stdout
