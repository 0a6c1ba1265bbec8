"""`FastTable`: a k9s-like, keyboard-first, virtualised table on Textual's line API.

Textual's DataTable measures every cell on the event loop (about 1 s of frozen UI per 10,000
rows), so this widget keeps rows as plain data in a `TableModel` and renders only the lines on
screen, like toolong: a `ScrollView` whose `render_line(y)` builds (or fetches from an LRU) one
`Strip` per visible row.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from time import monotonic
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from atlas_tui.ui.slices import sliced
from atlas_tui.ui.widgets import table_model
from atlas_tui.ui.widgets.content import same_cells, same_content
from atlas_tui.ui.widgets.table_model import (
    Align,
    CellValue,
    Column,
    LazyRows,
    Prepared,
    Row,
    Rows,
    TableModel,
    WidthMeter,
    layout_columns,
    width_sample,
)
from atlas_tui.ui.worker_errors import ReportsWorkerErrors

GUTTER = 2  # mark glyph + one space, left of the first column
ELLIPSIS = "…"
SORT_ARROWS = ("▲", "▼")
# Control characters from API data (names, descriptions) would corrupt the terminal.
_CONTROL = {c: " " for c in [*range(32), 127]}


def _tail(text: str, width: int) -> str:
    """The end of `text` that fits in `width` cells."""
    if text.isascii():
        return text[len(text) - width:] if width > 0 else ""
    taken = 0
    start = len(text)
    while start > 0 and taken + cell_len(text[start - 1]) <= width:
        start -= 1
        taken += cell_len(text[start])
    return text[start:]


def _middle_widths(width: int) -> tuple[int, int]:
    """Cells kept before and after the ellipsis: a third of the room for the start, the rest
    for the end (a name's end tells it from its siblings: a date, a number, a flag)."""
    head = (width - 1) // 3
    return head, width - 1 - head


def cut_middle(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut in the middle with an ellipsis when too long."""
    if cell_len(text) <= width:
        return text
    if width <= 2:
        return set_cell_size(text, width)
    head, tail = _middle_widths(width)
    end = _tail(text, tail)
    return set_cell_size(text, head) + ELLIPSIS + set_cell_size(end, tail)


def _cut_text_middle(text: Text, width: int) -> Text:
    """`cut_middle` for a Rich Text, keeping the styles of what is kept: a new Text."""
    plain = text.plain
    if cell_len(plain) <= width or width <= 2:
        return text.copy()  # the caller pads and cuts it: never the row's own cell
    head, tail = _middle_widths(width)
    start = len(plain) - len(_tail(plain, tail))
    kept_head, taken = 0, 0
    while taken + cell_len(plain[kept_head]) <= head:
        taken += cell_len(plain[kept_head])
        kept_head += 1
    out = text[:kept_head]
    out.append(ELLIPSIS)
    out.append_text(text[start:])
    return out


def _fit(text: str, width: int, align: Align, middle: bool = False) -> str:
    """Pad or truncate (with an ellipsis, at the end or in the middle) plain text to exactly
    `width` cells."""
    text = text.translate(_CONTROL)
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        if width <= 1:
            return set_cell_size(text, width)
        if middle:
            return set_cell_size(cut_middle(text, width), width)
        return set_cell_size(text, width - 1) + ELLIPSIS
    pad = width - length
    if not pad:
        return text
    if align == "right":
        return " " * pad + text
    if align == "center":
        left = pad // 2
        return " " * left + text + " " * (pad - left)
    return text + " " * pad


@dataclass
class TableTimings:
    """Durations in milliseconds of the table's most recent operations (see `FastTable`)."""

    filter_ms: float = 0.0
    sort_ms: float = 0.0
    set_rows_ms: float = 0.0
    render_ms: float = 0.0
    repaint_ms: float = 0.0
    repaint_kind: str = ""
    # (kind, ms) of recent repaints, newest last, for benchmarks.
    samples: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=1024))


class FastTable(ReportsWorkerErrors, ScrollView, can_focus=True):
    """A virtualised table: header + visible rows only, row cursor, marks, filter and sort.

    Keys: up/k, down/j, pageup/pagedown, home/g, end/G move the cursor; space marks the cursor
    row; enter posts `RowSelected`. Columns that don't fit drop by lowest `priority` first.

    Component classes: `fasttable--header`, `fasttable--cursor`, `fasttable--marked`,
    `fasttable--empty` (the "no rows" line). Under NO_COLOR (`:nocolor`) and ANSI themes
    the cursor also gets `reverse`, so it stays visible without colours.

    Timings (all `time.monotonic()` based, in `timings`, milliseconds):

    * `filter_ms`, `sort_ms`, `set_rows_ms`: the model recompute alone, inside the call.
    * `repaint_ms`: from a request to the end of the frame that shows it. A request is a
      `filter`, `sort_by`, `set_rows`, cursor move or scroll (including mouse wheel and
      scrollbar). Its time is the `requested_at` argument if given (pass the Key event's
      `.time` from the filter input; it is `time.monotonic()` on Linux and macOS), for this
      widget's own key bindings the bound Key event's `.time`, else the time of the call. The
      end is a callback queued with `loop.call_soon` from the first `render_lines` call that
      follows the request. The screen's update (compositor render of the dirty widgets, then
      writing the frame to the driver) is synchronous, so that callback runs right after the
      frame that first shows the change. Textual's frame pacing (up to 1/60 s between a
      refresh request and the screen update) is included; a later frame that only moves the
      scrollbar after a layout pass is not.
      Requests made before one frame are coalesced: the earliest one is measured.
      `repaint_kind` names that request; `samples` keeps the recent (kind, ms) pairs.
    * `render_ms`: time inside the most recent `render_lines` call (this widget's strips only).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home,g", "cursor_first", "First", show=False),
        Binding("end,G", "cursor_last", "Last", show=False),
        Binding("space", "toggle_mark", "Mark", show=False),
        Binding("enter", "select_row", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fasttable--header",
        "fasttable--cursor",
        "fasttable--marked",
        "fasttable--empty",
    }

    DEFAULT_CSS = """
    FastTable {
        width: 1fr;
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .fasttable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .fasttable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .fasttable--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .fasttable--marked {
            color: $text-warning;
            text-style: bold;
        }
        & > .fasttable--empty {
            color: $text-muted;
            text-style: italic;
        }
        &:ansi > .fasttable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        &:ansi > .fasttable--cursor, &:ansi:focus > .fasttable--cursor,
        &:nocolor > .fasttable--cursor, &:nocolor:focus > .fasttable--cursor {
            text-style: reverse bold;
        }
    }
    """

    class RowSelected(Message):
        """Enter was pressed on a row."""

        def __init__(self, table: FastTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FastTable:
            return self.table

    class CursorMoved(Message):
        """The cursor is on a different row key (None: the view is empty)."""

        def __init__(self, table: FastTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FastTable:
            return self.table

    class FilterApplied(Message):
        """A filter that waited for the rows' search texts is applied (see `ensure_search`):
        the rows shown changed without a key."""

        def __init__(self, table: FastTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> FastTable:
            return self.table

    class MarksChanged(Message):
        """The set of marked row keys changed."""

        def __init__(self, table: FastTable, marked_keys: frozenset[str]) -> None:
            super().__init__()
            self.table = table
            self.marked_keys = marked_keys

        @property
        def control(self) -> FastTable:
            return self.table

    def __init__(
        self,
        columns: Iterable[Column] = (),
        rows: Iterable[Row] = (),
        *,
        gap: int = 2,
        mark_glyph: str = "●",
        empty_message: str = "no rows",
        cache_size: int = 1024,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.model = TableModel(columns=list(columns))
        self.gap = gap
        self.mark_glyph = mark_glyph
        self.empty_message = empty_message
        self.timings = TableTimings()
        # Strips keyed by (row key, is cursor, is marked); cleared when the layout, styles or
        # data change, so the key needs neither width nor generation.
        self._strips: LRUCache[tuple[str, bool, bool], Strip] = LRUCache(cache_size)
        self._strip_layout: list[tuple[int, int]] | None = None
        self._styles: tuple[Style, ...] = ()
        self._layout: tuple[tuple[int, str | None], list[tuple[int, int]]] | None = None
        self._header: Strip | None = None
        self._pending_at: float | None = None
        self._pending_kind = ""
        self._painting: list[tuple[float, str]] = []
        self._last_cursor_key: str | None = None
        self._key_time: float | None = None
        self._building_search = False
        if rows:
            self.model.set_rows(rows)
            self._last_cursor_key = self.model.cursor_key
            self._sync_virtual_size()

    def on_unmount(self) -> None:
        # A screen's widgets are unmounted before the screen (its own on_unmount can no
        # longer query them), and a popped screen may live on, frozen (cloud/long_lived.py):
        # the table drops its rows itself, or 30,000 rows of a popped list live until exit.
        # Freed here at once (~10-25 ms for 30,000 protection rows, whose cells are mostly
        # shared): a worker of its own (`slices.release`) would be cancelled with the widget.
        self.model.set_rows([])
        self._strips.clear()

    # -- public API ----------------------------------------------------------------------

    @property
    def columns(self) -> list[Column]:
        return self.model.columns

    @property
    def row_count(self) -> int:
        """All rows, before the filter."""
        return self.model.row_count

    @property
    def visible_count(self) -> int:
        """Rows that pass the filter."""
        return self.model.visible_count

    @property
    def cursor_row(self) -> int:
        """Cursor position in the filtered, sorted view (-1 when it is empty)."""
        return self.model.cursor

    @property
    def cursor_key(self) -> str | None:
        return self.model.cursor_key

    @property
    def marked_keys(self) -> frozenset[str]:
        return frozenset(self.model.marked)

    @property
    def filter_query(self) -> str:
        return self.model.query.text

    @property
    def filter_error(self) -> str | None:
        return self.model.filter_error

    @property
    def sort_column(self) -> str | None:
        return self.model.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self.model.sort_reverse

    def set_columns(self, columns: Iterable[Column]) -> None:
        self.model.set_columns(columns)
        self._data_changed()

    async def prepare(self, rows: Rows) -> Prepared:
        """What `set_rows` needs built for `rows` (the index of keys, the natural widths, the
        search texts if a filter is set), a slice at a time: given the result, `set_rows`
        makes no row and walks none but to sort and filter."""
        model = self.model
        columns = model.columns
        keys = await sliced(rows.key_at if isinstance(rows, LazyRows)
                            else lambda i: rows[i].key, range(len(rows)))
        index = dict(zip(keys, range(len(keys)), strict=True))
        del keys
        meter = WidthMeter(columns)
        await sliced(lambda i: meter.see(rows[i]), width_sample(len(rows)))
        search = await sliced(model.held_search_text, rows) if model.search_wanted else None
        return Prepared(rows, index, columns, meter.widths(), search)

    def set_rows(self, rows: Iterable[Row] | LazyRows[Any] | Prepared, *,
                 requested_at: float | None = None,
                 search: list[str] | None = None) -> None:
        """Replace all rows; the cursor stays on its row key if that row still exists.
        `search`: each row's `TableModel.search_text`, if built already (a slice at a time).

        Only what reads differently is repainted: with the same columns, column widths and
        row count on screen, a line showing the same row as before repaints only the cells
        whose text changed (an age, "3 minutes ago" becoming "4 minutes ago"), and a refresh
        that brings the same data repaints nothing, so an idle screen stays quiet on the
        terminal. Anything else repaints the table."""
        before = self._lines_on_screen()
        old_layout, old_count = self._layout, self.model.visible_count
        cached = self._strips.keys()  # at most cache_size entries: cheap at any row count
        old_rows = {key: self.model.get_row(key) for key, _, _ in cached}
        start = monotonic()
        self.model.set_rows(rows, search)
        self.timings.set_rows_ms = (monotonic() - start) * 1000
        if self.model.filter_pending or self.model.keep_search:
            self.ensure_search()
        if old_layout is None or self.model.visible_count != old_count or not self.is_mounted:
            self._request("set_rows", requested_at)
            self._data_changed()
            return
        self._layout = None
        if self._current_layout(self.scrollable_content_region.width) != old_layout[1]:
            self._request("set_rows", requested_at)
            self._data_changed()
            return
        self._layout = old_layout  # the same object: the cached strips stay valid
        for key, row in old_rows.items():
            new = self.model.get_row(key)
            if row is None or new is None or not same_cells(row.cells, new.cells):
                self._discard_strips(key)
        if self._scroll_to_cursor():  # the cursor's row moved out of sight
            self._request("set_rows", requested_at)
            self.refresh()
        else:
            regions = self._changed_regions(before, self._lines_on_screen())
            if regions:
                self._request("set_rows", requested_at)
                self.refresh(*regions)
        self._post_cursor_moved()

    def filter_opened(self) -> None:
        """The filter bar opened for this table: its rows' search texts are built now (a
        slice at a time, while the first key is typed) and kept until `filter_closed`, even
        across a reload with no filter set yet."""
        self.model.keep_search = True
        self.ensure_search()

    def filter_closed(self) -> None:
        """The filter bar closed: the texts go with the rows at the next reload, unless a
        filter is set."""
        self.model.keep_search = False

    def ensure_search(self) -> None:
        """Have the rows' search texts built, a slice at a time, unless they are (or being
        built) already: the filter bar asks when it opens, a filter key when they are not
        there yet. A filter set meanwhile waits for them (`TableModel.filter_pending`) and
        is applied, repainted and announced (`FilterApplied`) when they are done."""
        if self.model.search_ready or self._building_search or not self.is_mounted:
            return
        if self.model.row_count <= table_model.EAGER_SEARCH_ROWS:
            self._apply_search([TableModel.search_text(r) for r in self.model.rows])
            return
        self._building_search = True
        self.run_worker(self._build_search(), name="Preparing the filter",
                        group="search-texts", exclusive=True, exit_on_error=False)

    async def _build_search(self) -> None:
        try:
            model = self.model
            while not model.search_ready:
                version = model.rows_version
                # The rows as they are now (a list is copied: `update_row` changes it
                # in place; lazy rows are made one at a time, never all held).
                rows = model.rows
                texts = await sliced(TableModel.search_text,
                                     rows if isinstance(rows, LazyRows) else list(rows))
                # Rows replaced or changed meanwhile (a reload): build again for them.
                if model.rows_version == version and not model.search_ready:
                    self._apply_search(texts)
        finally:
            self._building_search = False

    def _apply_search(self, texts: list[str]) -> None:
        if self.model.set_search(texts):
            self._request("filter")
            self._view_changed()
            self.post_message(self.FilterApplied(self))

    def replace_rows(self, rows: list[Row] | LazyRows[Any] | Prepared,
                     search: list[str] | None = None) -> list[Row]:
        """`set_rows` with the search texts built; returns the rows replaced, still alive:
        freeing 10,000 rows of Rich Text at once is ~50 ms, so the caller frees them with
        `slices.release` (in a worker of its own). Lazy rows hold none."""
        old = self.model.rows
        # Keeps them alive past set_rows (lazy rows hold none: their items are the screen's).
        replaced = list(old) if isinstance(old, list) else []
        self.set_rows(rows, search=search)
        return replaced

    def update_row(
        self, key: str, cells: tuple[CellValue, ...], values: tuple[Any, ...] | None = None
    ) -> bool:
        """Change one row in place (O(1) + repaint of its line if on screen)."""
        if not self.model.update_row(key, cells, values):
            return False
        self._discard_strips(key)
        line = self._screen_line_of(key)
        if line is not None:
            self.refresh(Region(0, line, self.size.width, 1))
        return True

    def filter(self, query: str, *, requested_at: float | None = None) -> str | None:
        """Filter rows (see `table_model` for the syntax); returns an error message or None."""
        start = monotonic()
        error = self.model.filter(query)
        self.timings.filter_ms = (monotonic() - start) * 1000
        if self.model.filter_pending:
            self.ensure_search()
        # Even an error repaints, so the app's timing sees every keystroke.
        self._request("filter", requested_at)
        self._view_changed()
        return error

    def sort_by(
        self,
        column_key: str | None,
        reverse: bool | None = None,
        *,
        requested_at: float | None = None,
    ) -> None:
        """Sort by a column's raw values; `reverse=None` toggles on the same column."""
        self._request("sort", requested_at)
        start = monotonic()
        self.model.sort_by(column_key, reverse)
        self.timings.sort_ms = (monotonic() - start) * 1000
        self._view_changed()

    def move_cursor(self, position: int, *, requested_at: float | None = None) -> None:
        """Move the cursor to a position in the view (clamped) and scroll it into view."""
        model = self.model
        old = model.cursor
        if not model.move_cursor(position):
            return
        self._request("cursor", requested_at)
        if not self._scroll_to_cursor():
            self._refresh_position(old)
            self._refresh_position(model.cursor)
        self._post_cursor_moved()

    def move_cursor_to_key(self, key: str) -> bool:
        position = self.model.position_of(key)
        if position is None:
            return False
        self.move_cursor(position)
        return True

    def toggle_mark(self, key: str | None = None) -> None:
        key = key if key is not None else self.model.cursor_key
        if key is None or self.model.toggle_mark(key) is None:
            return
        self._refresh_key(key)
        self.post_message(self.MarksChanged(self, self.marked_keys))

    def clear_marks(self) -> None:
        if self.model.marked:
            self.model.clear_marks()
            self._strips.clear()
            self.refresh()
            self.post_message(self.MarksChanged(self, self.marked_keys))

    # -- actions -------------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        # Keep the key's own timestamp so repaint timings start at the keystroke, not at the
        # action. Only our bound keys: an unbound key would leave a stale stamp behind.
        if event.key in self._bindings.key_to_bindings:
            self._key_time = event.time
        await super()._on_key(event)

    def _take_key_time(self) -> float | None:
        at, self._key_time = self._key_time, None
        return at

    def action_cursor_up(self) -> None:
        self.move_cursor(self.model.cursor - 1, requested_at=self._take_key_time())

    def action_cursor_down(self) -> None:
        self.move_cursor(self.model.cursor + 1, requested_at=self._take_key_time())

    def action_cursor_first(self) -> None:
        self.move_cursor(0, requested_at=self._take_key_time())

    def action_cursor_last(self) -> None:
        self.move_cursor(self.model.visible_count - 1, requested_at=self._take_key_time())

    def action_cursor_page_down(self) -> None:
        self._move_page(1)

    def action_cursor_page_up(self) -> None:
        self._move_page(-1)

    def _move_page(self, direction: int) -> None:
        # Cursor and scroll move by a page together, so the cursor keeps its screen line.
        at = self._take_key_time()
        page = self._page_height() * direction
        top = self.scroll_offset.y
        new_top = min(max(0, top + page), self.max_scroll_y)
        position = min(max(0, self.model.cursor + page), self.model.visible_count - 1)
        if new_top == top and position == self.model.cursor:
            return  # at the end already: no repaint will come, so nothing to time
        self._request("page", at)
        self.scroll_to(y=new_top, animate=False, force=True)
        self.move_cursor(position)

    def action_toggle_mark(self) -> None:
        self._take_key_time()
        self.toggle_mark()

    def action_select_row(self) -> None:
        self._take_key_time()
        key = self.model.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    # -- mouse (the app runs with the mouse off by default, but it costs little) ----------

    async def _on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.sort_by(column)
            return
        position = self.scroll_offset.y + event.y - 1
        if 0 <= position < self.model.visible_count:
            if position == self.model.cursor and event.chain >= 2:
                self.action_select_row()
            self.move_cursor(position)

    def _column_at(self, x: int) -> str | None:
        left = GUTTER
        for index, width in self._current_layout(self.scrollable_content_region.width):
            if left <= x < left + width + self.gap:
                return self.model.columns[index].key
            left += width + self.gap
        return None

    # -- rendering -----------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        start = monotonic()
        styles = (
            self.rich_style,
            self.get_component_rich_style("fasttable--header"),
            self.get_component_rich_style("fasttable--cursor"),
            self.get_component_rich_style("fasttable--marked"),
            self.get_component_rich_style("fasttable--empty"),
        )
        if styles != self._styles:
            # Theme, focus or NO_COLOR changed: every cached strip is stale.
            self._styles = styles
            self._strips.clear()
            self._header = None
        strips = super().render_lines(crop)
        self.timings.render_ms = (monotonic() - start) * 1000
        if self._pending_at is not None:
            if not self._painting:
                # The compositor pass that called us is synchronous up to writing the frame,
                # so a call_soon callback runs right after that frame. (call_after_refresh
                # would wait for the screen to go idle: one more frame after a layout change.)
                try:
                    asyncio.get_running_loop().call_soon(self._painted)
                except RuntimeError:  # rendered outside the app's loop: nothing to time
                    return strips
            self._painting.append((self._pending_at, self._pending_kind))
            self._pending_at = None
        return strips

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        layout = self._current_layout(width)
        if layout is not self._strip_layout:
            # New width or columns (or room for a sort arrow): cached strips are stale.
            self._strip_layout = layout
            self._strips.clear()
            self._header = None
        if not self._styles:
            # render_line called directly (tests) before any render_lines.
            self._styles = (self.rich_style, *(Style() for _ in range(4)))
        base = self._styles[0]
        if y == 0:
            if self._header is None:
                self._header = self._render_header(width)
            return self._header
        model = self.model
        if not model.view:
            return self._render_empty(width) if y == 1 else Strip.blank(width, base)
        position = self.scroll_offset.y + y - 1
        if position >= len(model.view):
            return Strip.blank(width, base)
        row = model.row_at(position)
        cache_key = (row.key, position == model.cursor, row.key in model.marked)
        strip = self._strips.get(cache_key)
        if strip is None:
            strip = self._render_row(row, width, cache_key[1], cache_key[2])
            self._strips.set(cache_key, strip)
        return strip

    def _render_header(self, width: int) -> Strip:
        style = self._styles[0] + self._styles[1]
        model = self.model
        segments = [Segment(" " * GUTTER, style)]
        for n, (index, col_width) in enumerate(self._current_layout(width)):
            column = model.columns[index]
            label = column.label
            if column.key == model.sort_column:
                # The arrow takes the label's last cell rather than truncating it to "…".
                arrow = SORT_ARROWS[model.sort_reverse]
                if cell_len(label) >= col_width:
                    label = set_cell_size(label, max(0, col_width - 1))
                label += arrow
            if n:
                segments.append(Segment(" " * self.gap, style))
            segments.append(Segment(_fit(label, col_width, column.align), style))
        return Strip(segments).adjust_cell_length(width, style)

    def _render_empty(self, width: int) -> Strip:
        style = self._styles[0] + self._styles[4]
        model = self.model
        if model.row_count and not model.query.is_empty:
            message = f"no rows match filter {model.query.text!r}"
        else:
            message = self.empty_message
        text = " " * GUTTER + message
        return Strip([Segment(_fit(text, width, "left"), style)], width)

    def _render_row(self, row: Row, width: int, is_cursor: bool, is_marked: bool) -> Strip:
        base, _, cursor_style, marked_style, _ = self._styles
        row_style = base
        if is_marked:
            row_style += marked_style
        if is_cursor:
            row_style += cursor_style  # the cursor wins over marks and cell colours
        glyph = self.mark_glyph if is_marked else " "
        segments = [Segment(_fit(glyph, GUTTER, "left"), row_style)]
        columns = self.model.columns
        gap = " " * self.gap
        for n, (index, col_width) in enumerate(self._current_layout(width)):
            if n:
                segments.append(Segment(gap, row_style))
            cell = row.cells[index]
            align = columns[index].align
            middle = columns[index].cut == "middle"
            if isinstance(cell, str):
                segments.append(Segment(_fit(cell, col_width, align, middle), row_style))
            elif isinstance(cell, Text):
                text = _cut_text_middle(cell, col_width) if middle else cell.copy()
                text.no_wrap = True
                text.overflow = "ellipsis"
                text.truncate(col_width, overflow="ellipsis")
                text.align(align, col_width)
                # Text.render leaves out the Text's own base style; add it under the spans.
                own = Style.parse(text.style) if isinstance(text.style, str) else text.style
                segments.extend(
                    Segment.apply_style(
                        text.render(self.app.console),
                        row_style + own,
                        row_style if is_cursor else None,
                    )
                )
            else:
                plain, cell_style = cell
                style = row_style
                if not is_cursor:
                    parsed = Style.parse(cell_style) if isinstance(cell_style, str) else cell_style
                    style = row_style + parsed
                segments.append(Segment(_fit(plain, col_width, align, middle), style))
        return Strip(segments).adjust_cell_length(width, row_style)

    def _current_layout(self, width: int) -> list[tuple[int, int]]:
        model = self.model
        layout_key = (width, model.sort_column)
        if self._layout is None or self._layout[0] != layout_key:
            natural = list(model.natural_widths())
            if model.sort_column is not None:
                # Room for the sort arrow after the label, unless the width is fixed.
                index = model.column_index(model.sort_column)
                column = model.columns[index]
                if column.width is None:
                    natural[index] = max(natural[index], cell_len(column.label) + 1)
            fitted = layout_columns(model.columns, natural, width - GUTTER, self.gap)
            self._layout = (layout_key, fitted)
        return self._layout[1]

    def visible_columns(self, width: int | None = None) -> list[str]:
        """Keys of the columns shown at a width (default: the current width)."""
        width = self.scrollable_content_region.width if width is None else width
        return [self.model.columns[i].key for i, _ in self._current_layout(width)]

    # -- internals -----------------------------------------------------------------------

    def _discard_strips(self, key: str) -> None:
        for cursor in (False, True):
            for marked in (False, True):
                self._strips.discard((key, cursor, marked))

    def _lines_on_screen(self) -> list[tuple[Any, ...]]:
        """What each table line below the header shows: (row key, cursor, marked, cells),
        or the empty table's message."""
        model = self.model
        if not model.view:
            return [(None, False, False, (self.empty_message, model.row_count, model.query.text))]
        top = self.scroll_offset.y
        lines: list[tuple[Any, ...]] = []
        for position in range(top, min(top + self._page_height(), len(model.view))):
            row = model.row_at(position)
            lines.append((row.key, position == model.cursor, row.key in model.marked, row.cells))
        return lines

    def _changed_regions(self, before: list[tuple[Any, ...]],
                         after: list[tuple[Any, ...]]) -> list[Region]:
        """The regions to repaint between two `_lines_on_screen()`: a line showing another
        row (or the cursor, a mark) whole; on a line showing the same row, the changed cells."""
        width = self.size.width
        spans: list[tuple[int, int]] = []  # (x, width) per shown column
        x = GUTTER
        layout = self._current_layout(self.scrollable_content_region.width)
        for _index, col_width in layout:
            spans.append((x, col_width))
            x += col_width + self.gap
        regions: list[Region] = []
        for line, (old, new) in enumerate(zip_longest(before, after), start=1):
            if old is None or new is None or old[:3] != new[:3]:
                regions.append(Region(0, line, width, 1))
                continue
            if old[0] is None:  # the empty table's message
                if old[3] != new[3]:
                    regions.append(Region(0, line, width, 1))
                continue
            for (index, _), (cx, cw) in zip(layout, spans, strict=True):
                if not same_content(old[3][index], new[3][index]):
                    regions.append(Region(cx, line, cw, 1))
        return regions

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        resized = self._size != size
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if resized:
            # Textual's ScrollView marks the whole table to repaint here without asking for
            # an update: the layout that resized it repaints it anyway, and the mark stayed
            # until the next small refresh (an age), which then repainted the whole table.
            # ~7 KB to an idle terminal where ~600 bytes were due, once a reload's turns let
            # a layout (the summary's height) come between its set_rows and its repaint.
            self._repaint_regions.clear()
        return changed

    def _sync_virtual_size(self) -> None:
        # One header line + one line per visible row; no horizontal scrolling.
        size = Size(0, self.model.visible_count + 1)
        if size == self.virtual_size:
            return
        # Not `self.virtual_size = size`: that reactive asks for a layout pass, in which the
        # scrollbar learns the new size and repaints, one frame after the rows (a filter key
        # showed its rows ~30 ms before the screen settled). The table's own size does not
        # depend on its rows: set the size and update the scrollbar now, in the rows' frame;
        # showing or hiding the scrollbar still asks for a layout (its reactive does).
        self.set_reactive(FastTable.virtual_size, size)
        self._scroll_update(size)

    def _data_changed(self) -> None:
        self._strips.clear()
        self._layout = None
        self._header = None
        self._view_changed()

    def _view_changed(self) -> None:
        # Strips stay cached: they depend on row data, layout, cursor and mark, not on order.
        self._header = None
        self._sync_virtual_size()
        self._scroll_to_cursor()
        self.refresh()
        self._post_cursor_moved()

    def _scroll_to_cursor(self) -> bool:
        """Scroll just enough to show the cursor; True if the scroll position changed."""
        cursor = self.model.cursor
        top = self.scroll_offset.y
        if cursor < 0:
            target = 0
        else:
            page = self._page_height()
            if cursor < top:
                target = cursor
            elif cursor >= top + page:
                target = cursor - page + 1
            else:
                return False
        if target == top:
            return False
        self.scroll_to(y=target, animate=False, force=True)
        return self.scroll_offset.y != top

    def _refresh_position(self, position: int) -> None:
        line = position - self.scroll_offset.y + 1
        if 1 <= line < self.size.height:
            self.refresh(Region(0, line, self.size.width, 1))

    def _screen_line_of(self, key: str) -> int | None:
        """Screen line showing a row key, scanning only the rows on screen."""
        model = self.model
        top = self.scroll_offset.y
        for line in range(1, self.size.height):
            position = top + line - 1
            if position >= model.visible_count:
                break
            if model.row_at(position).key == key:
                return line
        return None

    def _refresh_key(self, key: str) -> None:
        line = self._screen_line_of(key)
        if line is not None:
            self.refresh(Region(0, line, self.size.width, 1))

    def _post_cursor_moved(self) -> None:
        key = self.model.cursor_key
        if key != self._last_cursor_key:
            self._last_cursor_key = key
            self.post_message(self.CursorMoved(self, key))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if round(old_value) != round(new_value):
            self._request("scroll")
        super().watch_scroll_y(old_value, new_value)

    # -- timing --------------------------------------------------------------------------

    def _request(self, kind: str, at: float | None = None) -> None:
        # Only while on screen: a hidden table isn't repainted, so a stamp would go stale.
        if not self.is_mounted or not self.screen.is_current:
            return
        if self._pending_at is None:
            self._pending_at = monotonic() if at is None else at
            self._pending_kind = kind

    def _painted(self) -> None:
        now = monotonic()
        timings = self.timings
        for at, kind in self._painting:
            timings.samples.append((kind, (now - at) * 1000))
        # Several requests painted in one frame: report the oldest, the user waited longest.
        at, kind = self._painting[0]
        timings.repaint_ms = (now - at) * 1000
        timings.repaint_kind = kind
        self._painting.clear()
