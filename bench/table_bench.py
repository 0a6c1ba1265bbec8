"""FastTable benchmark: model and in-app figures at 10,000 and 300,000 synthetic rows.

Run: `.venv/bin/python bench/table_bench.py [--sizes 10000,300000] [--rounds 3]`.
It prints figures and asserts nothing. Everything runs in one process, headless, on synthetic
instance-like rows (8 columns, a coloured state, datetime and byte raw values).

How each figure is measured (clock: `time.monotonic()`, the clock of Textual's events):

* `set_rows`: `TableModel.set_rows` alone (key index, lowercase search strings, sort, filter).
* `filter p50/p95`: `TableModel.filter` per keystroke while typing "web-12" one character at a
  time and deleting it again back to "" (12 steps per round).
* `sort`: `TableModel.sort_by` on name (str), newest snapshot (datetime), storage (int bytes).
* `key→paint p50/p95` (filter): `App.run_test(size=(80, 24))` with an Input above a
  FastTable. Pilot sends each key as a real Key event through the headless driver into the
  Input; the Input's Changed handler calls `FastTable.filter(value, requested_at=<the Key
  event's .time>)`. The widget records from that time until a `call_after_refresh` callback
  scheduled by its next `render_lines`, i.e. after the frame showing the new rows has been
  composed and written to the driver (Textual's frame pacing included). Pilot's own waiting
  after each key is not part of the figure.
* `pgdn→paint p50/p95`: the FastTable focused, Pilot presses pagedown repeatedly; the widget
  records from the pagedown Key event's `.time` to the end of the next frame, as above.
* `set_rows→paint`: in the app, `FastTable.set_rows` (all rows) to the end of the next frame.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from time import monotonic

from common import pct
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from atlas_tui.ui.widgets import Column, FastTable, Row, TableModel

TYPED = "web-12"
NOW = datetime(2025, 1, 1)
PREFIXES = ("web", "db", "app", "cache", "k8s-node", "batch")
STATES = (("Running", "green"), ("Stopped", "red"), ("Starting", "yellow"))

COLUMNS = [
    Column("name", "NAME", priority=100, min_width=12, max_width=32),
    Column("state", "STATE", priority=90),
    Column("zone", "ZONE", priority=40),
    Column("hypervisor", "HYPERVISOR", priority=10),
    Column("volumes", "VOLS", priority=30, align="right"),
    Column("newest", "NEWEST SNAPSHOT", priority=60),
    Column("protection", "PROTECTION", priority=80),
    Column("storage", "STORAGE", priority=50, align="right"),
]


def make_rows(n: int) -> list[Row]:
    rows = []
    for i in range(n):
        name = f"{PREFIXES[i % len(PREFIXES)]}-{i // len(PREFIXES)}"
        state = STATES[i % 7 % 3]
        hours = (i * 7) % 500
        size = (i * 7919) % 2_000_000_000_000
        rows.append(
            Row(
                key=f"{i:08x}-0000-4000-8000-{i:012x}",
                cells=(
                    name,
                    state,
                    f"zone-{i % 5}",
                    "KVM" if i % 4 else "XenServer",
                    str(1 + i % 4),
                    f"{hours} hours ago",
                    "daily, hourly" if i % 3 else "none",
                    f"{size / 1024**3:.1f} GB",
                ),
                values=(
                    name,
                    state[0],
                    f"zone-{i % 5}",
                    "KVM" if i % 4 else "XenServer",
                    1 + i % 4,
                    NOW - timedelta(hours=hours),
                    "daily, hourly" if i % 3 else "none",
                    size,
                ),
            )
        )
    return rows


def keystrokes() -> list[str]:
    """Queries after each keystroke: typing TYPED, then backspacing to empty."""
    typed = [TYPED[: i + 1] for i in range(len(TYPED))]
    return typed + [TYPED[:i] for i in range(len(TYPED) - 1, -1, -1)]


def timed(fn: Callable[[], object]) -> float:
    start = monotonic()
    fn()
    return (monotonic() - start) * 1000


def bench_model(rows: list[Row], rounds: int) -> dict[str, float]:
    model = TableModel(columns=COLUMNS)
    # With the search texts, as before they became lazy (a table builds them when its
    # filter bar opens): the filter figures are those of a table that has them.
    figures = {"set_rows_ms": timed(
        lambda: model.set_rows(rows, [TableModel.search_text(r) for r in rows]))}
    samples = [timed(lambda q=q: model.filter(q)) for _ in range(rounds) for q in keystrokes()]
    figures["filter_p50_ms"] = pct(samples, 50)
    figures["filter_p95_ms"] = pct(samples, 95)
    for key in ("name", "newest", "storage"):
        asc = timed(lambda key=key: model.sort_by(key, reverse=False))
        desc = timed(lambda key=key: model.sort_by(key, reverse=True))
        figures[f"sort_{key}_ms"] = max(asc, desc)
    return figures


class TimedInput(Input):
    """An Input that remembers the time of the Key event it is handling."""

    key_time: float | None = None

    async def _on_key(self, event: events.Key) -> None:
        self.key_time = event.time
        await super()._on_key(event)


class BenchApp(App[None]):
    CSS = "TimedInput { height: 3; }"

    def compose(self) -> ComposeResult:
        yield TimedInput(placeholder="filter")
        yield FastTable(COLUMNS)

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one(FastTable)
        table.filter(event.value, requested_at=self.query_one(TimedInput).key_time)


async def bench_app(rows: list[Row], rounds: int, pages: int) -> dict[str, float]:
    app = BenchApp()
    figures: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        table.set_rows(rows, search=[TableModel.search_text(r) for r in rows])
        await pilot.pause()
        await pilot.pause()
        figures["app_set_rows_paint_ms"] = table.timings.repaint_ms
        samples = table.timings.samples

        app.query_one(TimedInput).focus()
        await pilot.pause()
        filter_ms: list[float] = []
        for _ in range(rounds):
            samples.clear()
            await pilot.press(*TYPED)
            await pilot.press(*["backspace"] * len(TYPED))
            await pilot.pause()
            filter_ms += [ms for kind, ms in samples if kind == "filter"]
        figures["key_paint_samples"] = len(filter_ms)
        figures["key_paint_p50_ms"] = pct(filter_ms, 50)
        figures["key_paint_p95_ms"] = pct(filter_ms, 95)

        table.focus()
        await pilot.pause()
        samples.clear()
        await pilot.press(*["pagedown"] * pages)
        await pilot.pause()
        page_ms = [ms for kind, ms in samples if kind == "page"]
        figures["pgdn_samples"] = len(page_ms)
        figures["pgdn_paint_p50_ms"] = pct(page_ms, 50)
        figures["pgdn_paint_p95_ms"] = pct(page_ms, 95)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,300000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        rows = make_rows(n)
        figures = bench_model(rows, args.rounds * 5)
        figures.update(asyncio.run(bench_app(rows, args.rounds, args.pages)))
        results[n] = figures

    labels = [
        ("set_rows_ms", "model set_rows (ms)"),
        ("filter_p50_ms", "model filter p50 (ms)"),
        ("filter_p95_ms", "model filter p95 (ms)"),
        ("sort_name_ms", "model sort name (ms)"),
        ("sort_newest_ms", "model sort datetime (ms)"),
        ("sort_storage_ms", "model sort bytes (ms)"),
        ("app_set_rows_paint_ms", "app set_rows→paint (ms)"),
        ("key_paint_p50_ms", "app key→paint p50 (ms)"),
        ("key_paint_p95_ms", "app key→paint p95 (ms)"),
        ("key_paint_samples", "  (filter keystrokes)"),
        ("pgdn_paint_p50_ms", "app pgdn→paint p50 (ms)"),
        ("pgdn_paint_p95_ms", "app pgdn→paint p95 (ms)"),
        ("pgdn_samples", "  (pagedown presses)"),
    ]
    width = max(len(label) for _, label in labels)
    print(f"{'':{width}}" + "".join(f"{n:>12,}" for n in sizes))
    for key, label in labels:
        cells = []
        for n in sizes:
            value = results[n][key]
            cells.append(f"{value:>12.0f}" if key.endswith("samples") else f"{value:>12.2f}")
        print(f"{label:{width}}" + "".join(cells))


if __name__ == "__main__":
    main()
