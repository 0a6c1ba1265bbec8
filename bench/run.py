"""`make bench`: the app against the simulator, each figure of issue 13 beside its target and its
same-run reference, at several sizes; writes `bench/results.json`.

For each size (`--sizes`, default scale:1000,scale:10000,scale:30000), one simulator in its OWN
process (`python -m atlas_tui.sim --seed scale:N --speed 0`, a free loopback port):

1. warm-up: the four lists fetched once with `cs.AIOCloudStack` (discarded; it fills the
   simulator's caches the same way for everything after it);
2. the app in this process (`bench/load_bench.py`): full load, loop stalls during the load and
   during a refresh, in-app filter and scroll;
3. the references (`bench/aio_ref.py`): the four lists with `cs.AIOCloudStack` at the app's
   concurrency (6 pages in flight, JSON decoded) and with `cs` sync `fetch_list`; with
   `--rounds N` the app and the AIO fetch alternate N times (medians are reported);
4. the app as a program in a pty (`bench/pty_bench.py`): filter key to repaint end to end,
   peak RSS of the app process, bytes written per idle minute on five screens.

Then, once (it does not depend on the size), polling (`bench/poll_bench.py`): 20 snapshot jobs
with the app's `JobTracker` beside one `listAsyncJobs` every 2 s.

The headline figures (top of results.json) are those of scale:10000, the issue's seed, or of
the largest size measured when it is not in `--sizes`. The growth table gives each figure at
every size and its factor from the smallest size to the largest, beside the size factor.
`--quick`: scale:1000 only, one filter round, 10 s idle windows, polling at speed 3.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aio_ref import aio_fetch, cs_sync_fetch
from common import RESULTS, rounded, seed_size, write_results
from load_bench import measure_app
from pty_bench import SCREENS, measure_pty

from atlas_tui.sim.process import SimProcess

IDLE_TARGET = 2048  # bytes per idle minute, every screen
TARGETS: dict[str, tuple[str, float]] = {  # figure -> (comparison, limit)
    "full_load_ratio_vs_aio": ("<=", 1.2),
    "loop_stall_max_ms": ("<=", 50),
    "filter_pty_ms_p95": ("<=", 25),
    "rss_mb": ("<=", 150),
    "poll_calls_per_min_20_jobs": ("<=", 36),
    "poll_detect_ms_p95": ("<=", 2000),
}
GROWTH = ("full_load_s", "aio_fetch_s", "full_load_ratio_vs_aio", "cs_sync_fetch_s",
          "loop_stall_load_ms", "loop_stall_refresh_ms", "refresh_s", "filter_pty_ms_p95",
          "filter_inapp_ms_p95", "rss_mb", *(f"idle_{s}" for s in SCREENS))


def measure_size(seed: str, *, rounds: int, filter_rounds: int, idle_s: float,
                 cs_sync: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"seed": seed}
    began = time.monotonic()
    with SimProcess(seed=seed, speed=0) as sim:
        creds = (sim.endpoint, sim.api_key, sim.secret_key)
        figures["aio_warmup_s"], figures["counts"] = aio_fetch(*creds)
        apps: list[dict[str, Any]] = []
        aio: list[float] = []
        for _ in range(rounds):
            apps.append(measure_app(*creds))
            aio.append(aio_fetch(*creds)[0])
        figures.update(apps[-1])  # the last run's details, medians below for the timings
        for key in ("first_rows_s", "full_load_s", "refresh_s"):
            figures[key] = statistics.median(a[key] for a in apps)
        for key in ("loop_stall_load_ms", "loop_stall_refresh_ms", "loop_stall_max_ms"):
            figures[key] = max(a[key] for a in apps)
        figures["aio_fetch_s"] = statistics.median(aio)
        figures["full_load_ratio_vs_aio"] = figures["full_load_s"] / figures["aio_fetch_s"]
        if cs_sync:
            figures["cs_sync_fetch_s"] = cs_sync_fetch(*creds)[0]
        pty = measure_pty(*creds, seed_size(seed), rounds=filter_rounds, idle_s=idle_s)
        figures.update(pty)
        for screen, value in pty["idle_bytes_per_min"].items():
            figures[f"idle_{screen}"] = value
        figures["sim_calls"] = sim.control("/sim/stats")["calls"]
    figures["size_bench_s"] = time.monotonic() - began
    return figures


def met(key: str, value: Any) -> bool | None:
    if value is None or key not in TARGETS:
        return None
    _, limit = TARGETS[key]
    return bool(value <= limit)


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(
            value) < 10 else f"{value:.1f}"
    return str(value)


def size_report(f: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, Any, str, str]] = [
        ("full_load_s", f["full_load_s"], "", "start -> every instance with its columns"),
        ("  aio_fetch_s", f["aio_fetch_s"], "", "ref: AIOCloudStack, 6 in flight, decoded"),
        ("  cs_sync_fetch_s", f.get("cs_sync_fetch_s"), "", "ref: cs sync fetch_list"),
        ("full_load_ratio_vs_aio", f["full_load_ratio_vs_aio"], "<= 1.2", "full / aio"),
        ("first_rows_s", f["first_rows_s"], "", "start -> first rows painted"),
        ("pty_full_load_s", f["pty_full_load_s"], "", "in a pty, process start included"),
        ("loop_stall_load_ms", f["loop_stall_load_ms"], "", "longest freeze while loading"),
        ("loop_stall_refresh_ms", f["loop_stall_refresh_ms"], "",
         f"longest freeze during a refresh ({f['refresh_s']:.1f} s)"),
        ("loop_stall_max_ms", f["loop_stall_max_ms"], "<= 50", "the larger"),
        ("filter_pty_ms_p50", f["filter_pty_ms_p50"], "", "key bytes -> screen, pty"),
        ("filter_pty_ms_p95", f["filter_pty_ms_p95"], "<= 25",
         f"({f['filter_pty_samples']} keys, {f['filter_pty_misses']} missed, "
         f"{f['filter_query']!r})"),
        ("  filter_inapp_ms_p95", f["filter_inapp_ms_p95"], "", "in-app cross-check (Pilot)"),
        ("rss_mb", f["rss_mb"], "<= 150", "peak RSS of the app process"),
    ]
    for screen in SCREENS:
        rows.append((f"idle_{screen}", f.get(f"idle_{screen}"), "<= 2048",
                     f"bytes per idle minute ({f['idle_s']:g} s window x {60 / f['idle_s']:g})"))
    lines = [f"== {f['seed']}: {f['instances']} instances, {f['counts']}",
             f"  {'figure':<24} {'value':>10}  {'target':<8} {'met':<4} how"]
    for key, value, target, how in rows:
        name = key.strip()
        ok = (value is not None and value <= IDLE_TARGET) if name.startswith("idle_") else met(
            name, value)
        mark = "" if not target or ok is None else ("yes" if ok else "NO")
        lines.append(f"  {key:<24} {fmt(value):>10}  {target:<8} {mark:<4} {how}")
    for screen, why in f.get("idle_problems", {}).items():
        lines.append(f"  ! {screen}: {why}")
    return lines


def growth(sizes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    first, last = sizes[0], sizes[-1]
    for key in GROWTH:
        row: dict[str, Any] = {s["seed"]: s.get(key) for s in sizes}
        a, b = first.get(key), last.get(key)
        row["factor"] = b / a if a and b is not None and len(sizes) > 1 else None
        table[key] = row
    n0, n1 = seed_size(first["seed"]), seed_size(last["seed"])
    table["size"] = {s["seed"]: seed_size(s["seed"]) for s in sizes}
    table["size"]["factor"] = n1 / n0 if n0 and len(sizes) > 1 else None
    return table


def growth_report(table: dict[str, dict[str, Any]], seeds: list[str]) -> list[str]:
    lines = ["== how it grows (factor: largest size / smallest; compare with the size's)",
             f"  {'figure':<24}" + "".join(f"{s:>14}" for s in seeds) + f"{'factor':>9}"]
    for key in ("size", *GROWTH):
        row = table[key]
        factor = row.get("factor")
        lines.append(f"  {key:<24}" + "".join(f"{fmt(row.get(s)):>14}" for s in seeds)
                     + f"{('x' + format(factor, '.1f')) if factor else '-':>9}")
    return lines


def headline(sizes: list[dict[str, Any]], poll: dict[str, Any] | None) -> dict[str, Any]:
    main = next((s for s in sizes if s["seed"] == "scale:10000"), sizes[-1])
    out: dict[str, Any] = {"headline_seed": main["seed"]}
    for key in ("full_load_s", "aio_fetch_s", "cs_sync_fetch_s", "full_load_ratio_vs_aio",
                "first_rows_s", "loop_stall_load_ms", "loop_stall_refresh_ms",
                "loop_stall_max_ms", "filter_pty_ms_p50", "filter_pty_ms_p95",
                "filter_inapp_ms_p95", "rss_mb", "idle_bytes_per_min", "idle_s"):
        out[key] = main.get(key)
    if poll:
        out.update(poll)
    targets_met = {key: met(key, out.get(key)) for key in TARGETS if out.get(key) is not None}
    idle = out.get("idle_bytes_per_min") or {}
    targets_met["idle_bytes_per_min"] = all(
        v is not None and v <= IDLE_TARGET for v in idle.values()) if idle else None
    out["targets"] = {k: f"{c} {v:g}" for k, (c, v) in TARGETS.items()}
    out["targets"]["idle_bytes_per_min"] = f"<= {IDLE_TARGET} per screen"
    out["targets_met"] = targets_met
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="scale:1000,scale:10000,scale:30000",
                        help="comma-separated seeds, smallest first")
    parser.add_argument("--quick", action="store_true",
                        help="scale:1000 only, 1 filter round, 10 s idle, polling at speed 3")
    parser.add_argument("--rounds", type=int, default=1,
                        help="app / AIO fetch alternations per size (medians)")
    parser.add_argument("--filter-rounds", type=int, default=3)
    parser.add_argument("--idle-s", type=float, default=30.0, help="idle window per screen")
    parser.add_argument("--poll-speed", type=float, default=1.5)
    parser.add_argument("--no-poll", action="store_true", help="skip the polling bench")
    parser.add_argument("--no-cs-sync", action="store_true", help="skip the cs sync reference")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the figures")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.filter_rounds, args.idle_s, args.poll_speed = "scale:1000", 1, 10.0, 3.0

    began = time.monotonic()
    seeds = [s.strip() for s in args.sizes.split(",") if s.strip()]
    sizes: list[dict[str, Any]] = []
    for seed in seeds:
        print(f"-- measuring {seed} ...", flush=True)
        sizes.append(measure_size(seed, rounds=args.rounds, filter_rounds=args.filter_rounds,
                                  idle_s=args.idle_s, cs_sync=not args.no_cs_sync))
        print("\n".join(size_report(sizes[-1])), flush=True)
    poll: dict[str, Any] | None = None
    if not args.no_poll:
        import poll_bench

        print(f"-- polling, simulator speed {args.poll_speed:g} ...", flush=True)
        results = poll_bench.measure(args.poll_speed, naive=False)
        print("\n".join(poll_bench.report(results, args.poll_speed)))
        poll = poll_bench.figures(results)
        poll["poll_speed"] = args.poll_speed
    table = growth(sizes)
    print("\n".join(growth_report(table, seeds)))

    out = headline(sizes, poll)
    print(f"== headline ({out['headline_seed']}): targets met: "
          + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in out["targets_met"].items()))
    out["growth"] = table
    out["sizes"] = {s["seed"]: s for s in sizes}
    out["bench_args"] = sys.argv[1:]
    out["bench_s"] = time.monotonic() - began
    out["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"bench took {out['bench_s']:.0f} s")
    if not args.no_write:
        write_results(rounded(out), replace=True, path=args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
