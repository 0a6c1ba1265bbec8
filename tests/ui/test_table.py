"""FastTable: the pure model (filter, sort, cursor, layout) and the widget through Pilot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Static

from atlas_tui.ui.widgets import Column, FastTable, Row, TableModel
from atlas_tui.ui.widgets.table_model import CellValue, layout_columns, shared_text
from tests.helpers import present

NOW = datetime(2025, 1, 1, 12, 0)

# The shape of the instances list: 8 columns, wider than 80 cells in total.
COLUMNS = [
    Column("name", "NAME", priority=100, min_width=8, max_width=24),
    Column("state", "STATE", priority=90),
    Column("zone", "ZONE", priority=40),
    Column("hypervisor", "HYPERVISOR", priority=10),
    Column("volumes", "VOLS", priority=30, align="right"),
    Column("newest", "NEWEST SNAPSHOT", priority=60),
    Column("protection", "PROTECTION", priority=80),
    Column("storage", "STORAGE", priority=50, align="right"),
]


def make_row(i: int) -> Row:
    state = ("Running", "green") if i % 3 else ("Stopped", "red")
    hours = i % 24
    size = (i * 37) % 1000
    return Row(
        key=f"uuid-{i:05d}",
        cells=(
            f"web-{i}",
            state,
            f"zone-{i % 4}",
            "KVM",
            str(i % 5),
            f"{hours} hours ago",
            "daily" if i % 2 else "none",
            f"{size} GB",
        ),
        values=(
            f"web-{i}",
            state[0],
            f"zone-{i % 4}",
            "KVM",
            i % 5,
            NOW - timedelta(hours=hours),
            "daily" if i % 2 else "none",
            size * 1024**3,
        ),
    )


def make_rows(n: int) -> list[Row]:
    return [make_row(i) for i in range(n)]


def names(model: TableModel) -> list[CellValue]:
    return [model.row_at(p).cells[0] for p in range(model.visible_count)]


# -- model: filter ------------------------------------------------------------------------


def test_substring_filter_is_case_insensitive_over_all_cells() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(30))
    assert model.filter("WEB-2") is None
    assert names(model) == ["web-2", *[f"web-{i}" for i in range(20, 30)]]
    # A match in another cell (the coloured state tuple) counts too.
    model.filter("stopped")
    assert names(model) == [f"web-{i}" for i in range(0, 30, 3)]


def test_regex_filter_anchors_per_cell() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(30))
    model.filter("~^web-1[23]$")
    assert names(model) == ["web-12", "web-13"]
    # `.` doesn't cross cells: "web-1" followed later in the row by "daily" is no match.
    model.filter("~web-1.*daily")
    assert names(model) == []


def test_invert_filter_for_substring_and_regex() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(12))
    model.filter("!web-1")
    assert set(names(model)) == {f"web-{i}" for i in (0, 2, 3, 4, 5, 6, 7, 8, 9)}
    model.filter("!~^web-\\d$")
    assert names(model) == ["web-10", "web-11"]


def test_prefix_only_query_filters_nothing() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(5))
    for query in ("!", "~", "!~", ""):
        assert model.filter(query) is None
        assert model.visible_count == 5, query


def test_invalid_regex_reports_error_and_keeps_previous_result() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(30))
    model.filter("~^web-2")
    before = names(model)
    error = model.filter("~^web-2(")
    assert error is not None and "regex" in error
    assert model.filter_error == error
    assert names(model) == before
    assert model.query.text == "~^web-2"
    # The next valid query clears the error.
    assert model.filter("web-3") is None
    assert model.filter_error is None
    assert names(model) == ["web-3"]


def test_typing_then_deleting_matches_a_fresh_filter() -> None:
    # Typing narrows from the previous view (a shortcut); results must equal a full recompute.
    rows = make_rows(500)
    typed = TableModel(columns=COLUMNS, rows=rows)
    query = "web-12"
    steps = [query[:i] for i in range(1, len(query) + 1)] + [query[:i] for i in range(5, -1, -1)]
    for step in steps:
        typed.filter(step)
        fresh = TableModel(columns=COLUMNS, rows=rows)
        fresh.filter(step)
        assert typed.view == fresh.view, step


def test_update_row_changes_search_text_without_moving_the_row() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(10))
    model.sort_by("name")
    position = model.position_of("uuid-00003")
    new = make_row(3)
    new_values = ("zzz", *present(new.values)[1:])
    assert model.update_row("uuid-00003", ("zzz-renamed", *new.cells[1:]), new_values)
    assert model.position_of("uuid-00003") == position
    assert model.update_row("missing", new.cells) is False
    model.filter("zzz-renamed")
    assert [model.row_at(p).key for p in range(model.visible_count)] == ["uuid-00003"]


# -- model: sort --------------------------------------------------------------------------


def test_sort_uses_raw_values_not_display_text() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(30))
    model.sort_by("storage")
    sizes = [present(model.row_at(p).values)[7] for p in range(30)]
    assert sizes == sorted(sizes)
    # As text "999 GB" < "99 GB" would be wrong; bytes sort numerically.
    assert model.row_at(0).cells[7] == "0 GB"
    model.sort_by("newest", reverse=True)
    ages = [present(model.row_at(p).values)[5] for p in range(30)]
    assert ages == sorted(ages, reverse=True)
    # Newest first: "0 hours ago" rows (i % 24 == 0) lead.
    assert model.row_at(0).cells[5] == "0 hours ago"


def test_sort_puts_none_last_in_both_directions_and_is_stable() -> None:
    rows = [
        Row("a", ("a", "x"), ("a", 2)),
        Row("b", ("b", "-"), ("b", None)),
        Row("c", ("c", "x"), ("c", 1)),
        Row("d", ("d", "x"), ("d", 2)),
        Row("e", ("e", "-"), ("e", None)),
    ]
    model = TableModel(columns=[Column("k", "K"), Column("v", "V")], rows=rows)
    model.sort_by("v")
    assert [model.row_at(p).key for p in range(5)] == ["c", "a", "d", "b", "e"]
    assert model.sort_reverse is False
    model.sort_by("v")  # same column again toggles
    assert model.sort_reverse is True
    # Equal values (a, d) keep their original order in reverse too; None still last.
    assert [model.row_at(p).key for p in range(5)] == ["a", "d", "c", "b", "e"]
    model.sort_by(None)
    assert [model.row_at(p).key for p in range(5)] == ["a", "b", "c", "d", "e"]


def test_sort_key_callable_and_unknown_column() -> None:
    columns = [Column("k", "K"), Column("v", "V", sort_key=lambda v: -v)]
    model = TableModel(
        columns=columns,
        rows=[Row(k, (k, str(v)), (k, v)) for k, v in [("a", 1), ("b", 3), ("c", 2)]],
    )
    model.sort_by("v")
    assert [model.row_at(p).key for p in range(3)] == ["b", "c", "a"]
    with pytest.raises(KeyError):
        model.sort_by("nope")


# -- model: cursor and marks --------------------------------------------------------------


def test_set_rows_keeps_cursor_on_the_same_key() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(100))
    model.move_cursor(40)
    assert model.cursor_key == "uuid-00040"
    model.toggle_mark()
    model.toggle_mark("uuid-00099")
    # Refresh: new order, row 99 gone, others still there.
    model.set_rows(list(reversed(make_rows(99))))
    assert model.cursor_key == "uuid-00040"
    assert model.cursor == 98 - 40
    assert model.marked == {"uuid-00040"}  # marks of vanished rows are dropped
    # When the cursor's row disappears, the cursor keeps its position (clamped).
    model.set_rows([r for r in make_rows(99) if r.key != "uuid-00040"])
    assert model.cursor == 98 - 40
    model.set_rows(make_rows(3))
    assert model.cursor == 2


def test_filter_keeps_cursor_key_or_goes_to_top() -> None:
    model = TableModel(columns=COLUMNS, rows=make_rows(30))
    model.move_cursor(25)
    model.filter("web-2")
    assert model.cursor_key == "uuid-00025"
    model.filter("web-1")
    assert model.cursor == 0
    model.filter("nothing matches this")
    assert model.cursor == -1 and model.cursor_key is None


# -- model: column layout -----------------------------------------------------------------


def test_layout_drops_lowest_priority_columns_first() -> None:
    natural = [20, 7, 6, 10, 4, 15, 10, 7]
    everything = layout_columns(COLUMNS, natural, 200, gap=2)
    assert [i for i, _ in everything] == list(range(8))
    assert [w for _, w in everything] == natural
    # 77 cells (80 minus scrollbar and gutter): hypervisor (priority 10) goes, then volumes;
    # name shrinks towards its min_width before anything more important is dropped.
    at_80 = layout_columns(COLUMNS, natural, 77, gap=2)
    keys = [COLUMNS[i].key for i, _ in at_80]
    assert "hypervisor" not in keys and keys[:2] == ["name", "state"]
    assert sum(w for _, w in at_80) + 2 * (len(at_80) - 1) <= 77
    at_40 = layout_columns(COLUMNS, natural, 40, gap=2)
    assert [COLUMNS[i].key for i, _ in at_40] == ["name", "state", "protection"]
    # A single survivor is truncated to what is left.
    assert layout_columns(COLUMNS, natural, 5, gap=2) == [(0, 5)]


def test_layout_shrinks_only_columns_with_min_width() -> None:
    columns = [Column("a", "A", min_width=5, priority=1), Column("b", "B", priority=2)]
    assert layout_columns(columns, [30, 10], 30, gap=2) == [(0, 18), (1, 10)]
    # Below a's minimum, the lower-priority column is dropped instead.
    assert layout_columns(columns, [30, 10], 16, gap=2) == [(1, 10)]
    # Nor does a column shrink below its label, whatever its min_width.
    labelled = [Column("a", "LONGLABEL", min_width=3, priority=1), Column("b", "B", priority=2)]
    assert layout_columns(labelled, [30, 10], 21, gap=2) == [(0, 9), (1, 10)]
    assert layout_columns(labelled, [30, 10], 15, gap=2) == [(1, 10)]


# -- widget -------------------------------------------------------------------------------


class TableApp(App[None]):
    """A screen holding only a FastTable; records the table's messages."""

    def __init__(self, rows: list[Row], columns: list[Column] = COLUMNS) -> None:
        super().__init__()
        self.rows = rows
        self.columns = columns
        self.selected: list[str] = []
        self.moves: list[str | None] = []
        self.marks: list[frozenset[str]] = []

    def compose(self) -> ComposeResult:
        yield FastTable(self.columns, self.rows, id="table")

    def on_fast_table_row_selected(self, message: FastTable.RowSelected) -> None:
        self.selected.append(message.key)

    def on_fast_table_cursor_moved(self, message: FastTable.CursorMoved) -> None:
        self.moves.append(message.key)

    def on_fast_table_marks_changed(self, message: FastTable.MarksChanged) -> None:
        self.marks.append(message.marked_keys)


def colours(strip: Strip) -> set[str]:
    return {seg.style.color.name for seg in strip if seg.style and seg.style.color}


def lines(table: FastTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


async def test_renders_header_and_first_rows_at_80x24() -> None:
    app = TableApp(make_rows(50))
    async with app.run_test(size=(80, 24)):
        table = app.query_one(FastTable)
        shown = lines(table)
        assert shown[0].split() == [
            "NAME",
            "STATE",
            "ZONE",
            "VOLS",
            "NEWEST",
            "SNAPSHOT",
            "PROTECTION",
            "STORAGE",
        ]
        assert shown[1].split()[:3] == ["web-0", "Stopped", "zone-0"]
        assert shown[23].split()[0] == "web-22"
        assert all(len(line) == 79 for line in shown)  # one cell left for the scrollbar
        # All 8 columns need 79 of the 77 cells: the lowest priority (hypervisor) goes.
        assert table.visible_columns() == [
            "name",
            "state",
            "zone",
            "volumes",
            "newest",
            "protection",
            "storage",
        ]
        # The screenshot (what the user sees) holds the same rows.
        assert "web-22" in app.export_screenshot()


async def test_wider_terminal_shows_every_column() -> None:
    app = TableApp(make_rows(50))
    async with app.run_test(size=(120, 24)):
        table = app.query_one(FastTable)
        assert table.visible_columns() == [c.key for c in COLUMNS]
        assert "HYPERVISOR" in table.render_line(0).text


async def test_cursor_moves_with_keys_and_scroll_follows() -> None:
    app = TableApp(make_rows(200))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        await pilot.press(*["down"] * 30)
        assert table.cursor_row == 30
        # 23 row lines under the header: the cursor sits on the last one.
        assert table.scroll_offset.y == 30 - 23 + 1
        assert table.render_line(23).text.split()[0] == "web-30"
        await pilot.press("k", "k", "j")
        assert table.cursor_key == "uuid-00029"
        await pilot.press(*["up"] * 29)
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        await pilot.press("up")  # no wrap at the top
        assert table.cursor_row == 0
        await pilot.pause()
        assert app.moves[:2] == ["uuid-00001", "uuid-00002"]
        assert app.moves[-1] == "uuid-00000"


async def test_page_keys_and_end_home_on_10000_rows() -> None:
    app = TableApp(make_rows(10_000))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("pagedown")
        assert table.cursor_row == 23 and table.scroll_offset.y == 23
        await pilot.press("pagedown", "pageup")
        assert table.cursor_row == 23 and table.scroll_offset.y == 23
        await pilot.press("end")
        assert table.cursor_key == "uuid-09999"
        assert table.scroll_offset.y == 10_000 - 23
        assert table.render_line(23).text.split()[0] == "web-9999"
        await pilot.press("g")
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        await pilot.press("G")
        assert table.cursor_row == 9_999
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_enter_posts_row_selected_with_the_cursor_key() -> None:
    app = TableApp(make_rows(20))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.selected == ["uuid-00002"]


async def test_space_marks_the_cursor_row() -> None:
    app = TableApp(make_rows(20))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("space", "down", "down", "space")
        assert table.marked_keys == {"uuid-00000", "uuid-00002"}
        assert table.render_line(1).text.startswith("●")
        assert not table.render_line(2).text.startswith("●")
        await pilot.press("space")
        assert table.marked_keys == {"uuid-00000"}
        assert not table.render_line(3).text.startswith("●")
        await pilot.pause()
        assert app.marks[-1] == {"uuid-00000"}


async def test_filter_reduces_rows_and_shows_empty_message() -> None:
    app = TableApp(make_rows(300))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        assert table.filter("web-12") is None
        await pilot.pause()
        assert table.row_count == 300 and table.visible_count == 11
        shown = [line.split()[0] for line in lines(table)[1:12]]
        assert shown == ["web-12", *[f"web-{i}" for i in range(120, 130)]]
        assert table.render_line(12).text.strip() == ""
        assert table.filter("~web-(") is not None  # invalid: previous result stays
        assert table.visible_count == 11
        table.filter("nothing-like-this")
        await pilot.pause()
        assert table.visible_count == 0 and table.cursor_key is None
        assert table.render_line(1).text.strip() == "no rows match filter 'nothing-like-this'"
        table.filter("")
        table.set_rows([])
        await pilot.pause()
        assert table.render_line(1).text.strip() == "no rows"


async def test_sort_by_toggles_and_marks_the_header() -> None:
    app = TableApp(make_rows(30))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("down", "down")  # cursor on uuid-00002
        table.sort_by("storage")
        await pilot.pause()
        assert "STORAGE▲" in table.render_line(0).text
        assert table.render_line(1).text.split()[-2:] == ["0", "GB"]
        assert table.cursor_key == "uuid-00002"  # the cursor follows its row
        table.sort_by("storage")
        await pilot.pause()
        assert "STORAGE▼" in table.render_line(0).text
        assert table.sort_reverse is True


async def test_set_rows_keeps_cursor_and_screen_position_of_the_row() -> None:
    app = TableApp(make_rows(1000))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        await pilot.press("pagedown", "down")
        key = table.cursor_key
        assert key == "uuid-00024"
        # An auto-refresh with one new row on top: the cursor stays on its row.
        table.set_rows([make_row(5000), *make_rows(1000)])
        await pilot.pause()
        assert table.cursor_key == key and table.cursor_row == 25
        top = table.scroll_offset.y
        assert top <= table.cursor_row < top + 23


async def test_update_row_changes_one_line() -> None:
    app = TableApp(make_rows(30))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        row = make_row(4)
        cells = (row.cells[0], ("Error", "bold red"), *row.cells[2:])
        assert table.update_row("uuid-00004", cells)
        await pilot.pause()
        assert table.render_line(5).text.split()[:2] == ["web-4", "Error"]
        assert table.update_row("no-such-key", cells) is False


async def test_rich_text_and_styled_cells_keep_their_colour_off_the_cursor() -> None:
    columns = [Column("name", "NAME", max_width=10), Column("state", "STATE")]
    rows = [
        Row("a", (Text("a-very-long-name", style="italic"), Text("Error", style="red"))),
        Row("b", ("b", ("Creating", "yellow"))),
    ]
    app = TableApp(rows, columns)
    async with app.run_test(size=(40, 5)) as pilot:
        table = app.query_one(FastTable)
        assert table.render_line(1).text.split()[:2] == ["a-very-lo…", "Error"]
        assert table.render_line(1).cell_length == 40
        await pilot.press("down")  # the cursor moves to b: a shows its own colours again
        assert "red" in colours(table.render_line(1))
        await pilot.press("up")
        assert "yellow" in colours(table.render_line(2))


async def test_mouse_click_moves_cursor_and_header_click_sorts() -> None:
    app = TableApp(make_rows(30))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        assert await pilot.click(FastTable, offset=(5, 5))
        assert table.cursor_key == "uuid-00004"
        x = table.render_line(0).text.index("STORAGE")
        assert await pilot.click(FastTable, offset=(x + 1, 0))
        assert table.sort_column == "storage" and table.sort_reverse is False
        assert table.cursor_key == "uuid-00004"


async def test_large_set_rows_renders_only_visible_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    original = FastTable._render_row

    def counting(self: FastTable, row: Row, *args: Any) -> Any:
        rendered.append(row.key)
        return original(self, row, *args)

    monkeypatch.setattr(FastTable, "_render_row", counting)
    app = TableApp([])
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        table.set_rows(make_rows(10_000))
        await pilot.pause()
        assert table.row_count == 10_000
        assert "uuid-00000" in rendered
        assert 23 <= len(rendered) < 3 * 24  # a screen or so, never 10,000
        rendered.clear()
        await pilot.press("pagedown", "pagedown", "end")
        await pilot.pause()
        assert "uuid-09999" in rendered
        assert len(rendered) < 4 * 24


async def test_timings_record_the_last_request() -> None:
    app = TableApp(make_rows(500))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        table.timings.samples.clear()
        table.filter("web-4")
        await pilot.pause()
        await pilot.pause()
        assert table.timings.repaint_kind == "filter"
        assert [kind for kind, _ in table.timings.samples] == ["filter"]
        await pilot.press("pagedown")
        await pilot.pause()
        assert table.timings.repaint_kind in {"page", "scroll"}
        assert len(table.timings.samples) == 2
        # A pagedown at the end changes nothing and must not leave a stamp behind that the
        # next repaint would be charged with.
        await pilot.press("end")
        await pilot.pause()
        table.timings.samples.clear()
        await pilot.press("pagedown")
        await pilot.pause()
        assert list(table.timings.samples) == []
        await pilot.press("up")
        await pilot.pause()
        assert [kind for kind, _ in table.timings.samples] == ["cursor"]


async def test_cursor_is_reverse_video_under_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = TableApp(make_rows(5))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(FastTable)
        cursor_styles = {seg.style.reverse for seg in table.render_line(1) if seg.style}
        other_styles = {seg.style.reverse for seg in table.render_line(2) if seg.style}
        assert cursor_styles == {True}
        assert True not in other_styles


# -- snapshot -----------------------------------------------------------------------------


class SnapshotApp(App[None]):
    """40 instances at 80x24: coloured states, one marked row, the cursor on row 4."""

    def compose(self) -> ComposeResult:
        yield FastTable(COLUMNS, make_rows(40))


def test_snapshot_80x24(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(
        SnapshotApp(), press=["down", "space", "down", "down", "down"], terminal_size=(80, 24)
    )


async def test_a_shared_text_cell_is_rendered_from_a_copy() -> None:
    # Rows share their Text cells (table_model.shared_text): rendering one must not pad or
    # cut it, or every row showing it would change, and so would their search texts.
    shared = shared_text("ok", "green")
    columns = [Column("name", "NAME", max_width=12, cut="middle"), Column("state", "STATE")]
    rows = [Row("a", (shared, shared)), Row("b", (shared_text("ok", "green"), "x"))]
    assert rows[1].cells[0] is shared
    app = TableApp(rows, columns)
    async with app.run_test(size=(40, 5)):
        table = app.query_one(FastTable)
        assert table.render_line(1).text.split()[:2] == ["ok", "ok"]
        assert table.render_line(2).text.split()[:2] == ["ok", "x"]
        assert shared.plain == "ok" and not shared.spans
        assert table.model.search_text(table.model.rows[0]) == "ok\nok"


def test_sort_key_lower_sorts_names_without_lower_case_copies() -> None:
    columns = [Column("name", "NAME", sort_key=str.lower)]
    names = ["beta", "Alpha", "gamma", "alpha", "Beta"]
    model = TableModel(columns, [Row(n, (n,), (n,)) for n in names])
    model.sort_by("name")
    assert [model.row_at(p).key for p in range(5)] == ["Alpha", "alpha", "beta", "Beta",
                                                        "gamma"]
    assert model.rows[1].values is not None and model.rows[1].values[0] is model.rows[1].key


def test_a_rebuilt_row_that_reads_the_same_keeps_its_held_search_text() -> None:
    columns = [Column("name", "NAME"), Column("state", "STATE")]
    model = TableModel(columns, [Row("a", ("web", shared_text("ok", "green")), ("web", 1)),
                                 Row("b", ("db", Text("Error", style="red")), ("db", 2))])
    model.filter("e")  # a filter builds the texts (a small table: at once)
    assert model._search is not None
    held_a, held_b = model._search
    # Rows made again (a reload): the same text is the held object; another is its own.
    same_a = model.held_search_text(Row("a", ("web", shared_text("ok", "green")), ("web", 3)))
    renamed = model.held_search_text(Row("b", ("dbx", Text("Error", style="red")), ("db", 2)))
    new = model.held_search_text(Row("c", ("c", "x"), ("c", 0)))
    assert same_a is held_a and same_a == "web\nok"
    assert renamed == "dbx\nerror" and renamed is not held_b
    assert new == "c\nx"


class ResizedTableApp(App[None]):
    """A line of text over the table: when it grows, the layout makes the table shorter."""

    def compose(self) -> ComposeResult:
        yield Static("one line", id="above")
        yield FastTable(COLUMNS, make_rows(50), id="table")


async def test_after_a_resize_a_changed_cell_repaints_that_cell_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Over SSH an idle list must stay quiet: an age that changes rewrites its cell. Textual
    # marked the whole table dirty when a layout resized it, and the next small refresh
    # repainted every line (~7 KB at 80x24 instead of ~600 bytes a minute).
    app = ResizedTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        app.query_one("#above", Static).update("three\nlines\nnow")
        await pilot.pause()
        await pilot.pause()
        assert table.size.height == 21  # the layout made it shorter
        lines_written: list[int] = []
        display = app._display

        def spy(on: Any, update: Any) -> None:
            if isinstance(update, ChopsUpdate):
                lines_written.extend(y for y, _x1, _x2 in update.spans)
            elif update is not None:
                lines_written.extend(range(24))  # a whole-screen update
            display(on, update)

        monkeypatch.setattr(app, "_display", spy)
        rows = make_rows(50)
        rows[4] = Row(rows[4].key, (*rows[4].cells[:5], "5 hours ago", *rows[4].cells[6:]),
                      rows[4].values)
        table.set_rows(rows)
        await pilot.pause()
        await pilot.pause()
        # Row 4 is the 5th line under the header, itself under the three lines of text.
        assert lines_written == [3 + 1 + 4]
