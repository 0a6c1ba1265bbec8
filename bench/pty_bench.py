"""The app as a program in a real pseudo-terminal (80x24, TERM=xterm-256color), read back
through a terminal emulator (pyte), with the harness of `tests/test_terminal.py`
(`tests/pty_terminal.py`): what a user over SSH gets. `python -m atlas_tui` is started
with `pty.fork()`, pointed at the simulator with the
CLOUDSTACK_* variables, its settings at their defaults (empty config and state directories).

Figures:

* `pty_full_load_s`: fork to the screen showing the loaded instances list (the breadcrumb says
  "updated", no cell shows "…"): interpreter and Textual start-up included.
* `filter_pty_ms_p50/p95` (`filter_pty_samples` keys): `/` opens the filter bar, then the bench
  types the query (`vm-012` at 10,000 VMs: 100 rows) one key at a time and deletes it with
  backspace, `rounds` rounds. Per key: from just before the key's bytes are written to the
  pty master to the read after which the emulated screen shows exactly what it shows once
  settled for that query (which rows, by the NAME column, and the bar's text). The settled
  screens come from an untimed calibration round, after an untimed warm-up round (a screen
  is settled when it has not changed for 0.4 s). Each key is sent only after the previous
  one's screen showed (no coalescing). A key whose screen does not show within 3 s is
  counted in `filter_pty_misses`, not timed.
* `rss_mb`: the app process's peak resident set (`VmHWM` in /proc/PID/status) read just before
  it quits, the larger of the two app processes (the keystroke run and the idle run, which
  visits every screen). `rss_after_load_mb`: the same, read right after the full load.
* `idle_bytes_per_min`: per screen (volumes of vm-00000 (`:vm`), the policies of its first
  volume (`p`), that volume's snapshots (escape, enter); protection, jobs, restores (`:`
  jumps): each pushed on top of the instances list; then the instances list itself, back
  with escape), the bytes the app
  wrote to the terminal during `idle_s` seconds while nothing changed on the simulator (speed
  0: its clock stands still), after the screen had loaded and 2 s of settling, scaled to a
  minute (x 60 / idle_s); the window starts once the app has written nothing for 1.5 s (the
  tail of a load: the list below may still be finishing its own). The lists refresh on their
  own every 30 s (the default), so a 30 s
  window holds about one refresh; a shorter window may hold none. `idle_problems` names a
  screen that did not load.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from common import ROOT, filter_query, pct

from tests.pty_terminal import Terminal, running

SETTLE_S = 0.4
MISS_S = 3.0
QUIET_SETTINGS = "refresh_seconds = 3600\n"
SCREENS = ("instances", "volumes", "policies", "snapshots", "protection", "jobs", "restores")
# The instances list last: the others are opened while the first load is fresh, before the
# list's own auto refresh comes due (a refresh replaces the inventory the `:vm` jump reads).
IDLE_ORDER = ("volumes", "policies", "snapshots", "protection", "jobs", "restores", "instances")


def steady(term: Terminal) -> tuple[str, ...]:
    """Which rows show, and what the filter bar says: the first 12 columns of every line
    (the NAME column; the bar's text) but the breadcrumb's (its "updated N s ago" and
    the "3 minutes ago" cells move on their own)."""
    lines = term.lines()
    return tuple(line[:12] for line in lines[:1] + lines[2:])


def settled(term: Terminal, timeout: float = 10) -> tuple[str, ...]:
    """The screen once it has not changed for SETTLE_S."""
    end = time.monotonic() + timeout
    last, since = steady(term), time.monotonic()
    while time.monotonic() < end:
        term.read_once(0.02)
        now = steady(term)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S:
            return now
    raise SystemExit(f"pty: the screen never settled:\n{term.text()}")


def loaded(term: Terminal, crumb: str) -> Callable[[], bool]:
    def test() -> bool:
        lines = term.lines()
        # On the instances list "…" marks a column still loading.
        return (f"› {crumb}" in lines[1] and "updated" in lines[1]
                and (crumb != "instances" or not any("…" in line for line in lines[2:-1])))
    return test


KEYS = {"backspace": b"\x7f", "enter": b"\r", "escape": b"\x1b"}


def measure_filter(term: Terminal, query: str, rounds: int) -> dict[str, Any]:
    term.write(b"/")
    term.wait_for(lambda: any(line.startswith("▊  ") for line in term.lines()), "the filter bar")
    settled(term)
    steps = [ch.encode() for ch in query] + [KEYS["backspace"]] * len(query)
    # Two untimed rounds first: a warm-up (it leaves the table scrolled where every later
    # round leaves it), then what the screen shows once settled after each key.
    expected: list[tuple[str, ...]] = []
    for calibrating in (False, True):
        for key in steps:
            term.write(key)
            screen = settled(term)
            if calibrating:
                expected.append(screen)
    samples: list[float] = []
    misses = 0
    for _ in range(rounds):
        for key, screen in zip(steps, expected, strict=True):
            sent = term.write(key)
            shown = term.until(lambda screen=screen: steady(term) == screen, MISS_S)
            if shown is None:
                misses += 1
                if os.environ.get("BENCH_DEBUG"):
                    print("MISS", key, "\n".join(screen), "\n---\n", term.text())
                settled(term)
            else:
                samples.append((shown - sent) * 1000)
            term.pump(0.03)  # the key's trailing output (cursor), before the next key
    term.write(KEYS["escape"])  # clears the filter, focus back to the table
    term.wait_for(lambda: not any(line.startswith("▊  ") for line in term.lines()),
                  "the filter bar to close")
    return {"filter_pty_ms_p50": pct(samples, 50), "filter_pty_ms_p95": pct(samples, 95),
            "filter_pty_ms_max": max(samples, default=float("nan")),
            "filter_pty_samples": len(samples), "filter_pty_misses": misses,
            "filter_query": query}


def quiet(term: Terminal, gap_s: float = 1.5, timeout: float = 10.0) -> None:
    """Read until the app has written nothing for `gap_s` (the screen's load, or a load of
    the screen below that was still running when this one was pushed, has ended)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        written = term.written
        term.pump(gap_s)
        if term.written == written:
            return


def idle_bytes(term: Terminal, idle_s: float) -> float:
    term.pump(2.0)
    quiet(term)
    before = term.written
    term.pump(idle_s)
    return (term.written - before) * 60 / idle_s


def jump(term: Terminal, text: str) -> None:
    term.write(b":")
    term.wait_for(lambda: "jump:" in term.text(), "the jump bar", timeout=10)
    term.write(text.encode())
    term.pump(0.3)
    term.write(KEYS["enter"])


def open_screen(term: Terminal, name: str, stack: list[str]) -> None:
    """Screens are pushed on top of the instances list in IDLE_ORDER (`stack` holds them):
    `:` jumps, but the policies (`p`) and the snapshots (enter) of the VM's first volume
    (ROOT), opened from its volumes; the instances list comes last, back down the stack with
    escape."""
    if name == "volumes":
        jump(term, "vm vm-00000")
    elif name == "policies":
        term.write(b"p")
    elif name == "snapshots":
        while stack and stack[-1] != "volumes":  # back to the volumes
            term.write(KEYS["escape"])
            term.pump(0.5)
            stack.pop()
        term.write(KEYS["enter"])
    elif name == "instances":
        while stack:
            term.write(KEYS["escape"])
            term.pump(0.5)
            stack.pop()
        for _ in range(3):  # an escape that a busy app took for the start of a sequence
            if term.until(loaded(term, name), 5) is not None:
                break
            term.write(KEYS["escape"])
    else:
        jump(term, name)
    if name != "instances":
        stack.append(name)
    wait = 60 if name == "instances" else 120
    if term.until(loaded(term, name), wait) is None:
        raise LookupError(f"the {name} screen did not load in {wait} s")


@contextmanager
def app_in_pty(endpoint: str, api_key: str, secret_key: str,
               settings: str = "") -> Iterator[tuple[Terminal, float]]:
    """The app started in a pty; yields it with its start time (monotonic)."""
    with tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": home, "LANG": "C.UTF-8",
            "TERM": "xterm-256color", "PYTHONPATH": str(ROOT),
            "ATLAS_TUI_STATE_DIR": os.path.join(home, "state"),
            "ATLAS_TUI_CONFIG_DIR": os.path.join(home, "config"),
            "CLOUDSTACK_ENDPOINT": endpoint, "CLOUDSTACK_KEY": api_key,
            "CLOUDSTACK_SECRET": secret_key,
        }
        if settings:
            os.makedirs(env["ATLAS_TUI_CONFIG_DIR"])
            with open(os.path.join(env["ATLAS_TUI_CONFIG_DIR"], "settings.toml"), "w",
                      encoding="utf-8") as out:
                out.write(settings)
        started = time.monotonic()
        with running([], env, cwd=home) as term:
            yield term, started


def measure_pty(endpoint: str, api_key: str, secret_key: str, vms: int, *,
                rounds: int = 3, idle_s: float = 30.0) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    # The keystrokes: with the auto refresh out of the way (it is measured below).
    with app_in_pty(endpoint, api_key, secret_key, QUIET_SETTINGS) as (term, started):
        shown = term.wait_for(loaded(term, "instances"), "the loaded instances list", 300)
        figures["pty_full_load_s"] = shown - started
        figures["rss_after_load_mb"] = term.peak_rss_mb()
        figures.update(measure_filter(term, filter_query(vms), rounds))
        figures["rss_mb"] = term.peak_rss_mb()
        term.write(b"\x11")  # ctrl+q
        term.until(lambda: False, 1.0)
    # Idle, with the default settings.
    with app_in_pty(endpoint, api_key, secret_key) as (term, started):
        term.wait_for(loaded(term, "instances"), "the loaded instances list", 300)
        idle: dict[str, float | None] = {}
        problems: dict[str, str] = {}
        stack: list[str] = []
        for name in IDLE_ORDER:
            try:
                open_screen(term, name, stack)
            except LookupError as e:
                problems[name] = f"{e}; it shows {term.lines()[1].strip()!r}"
                if name != "instances":  # the list is on screen whatever its state
                    idle[name] = None
                    continue
            idle[name] = idle_bytes(term, idle_s)
        figures["idle_bytes_per_min"] = {name: idle[name] for name in SCREENS}
        if problems:
            figures["idle_problems"] = problems
        figures["idle_s"] = idle_s
        figures["rss_mb"] = max(figures["rss_mb"], term.peak_rss_mb())
        term.write(b"\x11")  # ctrl+q
        term.until(lambda: False, 1.0)
    return figures


if __name__ == "__main__":  # a quick look: python bench/pty_bench.py [scale:N]
    from atlas_tui.sim.process import SimProcess

    seed = sys.argv[1] if len(sys.argv) > 1 else "scale:1000"
    with SimProcess(seed=seed, speed=0) as sim:
        size = int(seed.split(":")[1])
        print(measure_pty(sim.endpoint, sim.api_key, sim.secret_key, size, rounds=1,
                          idle_s=float(sys.argv[2]) if len(sys.argv) > 2 else 5))
