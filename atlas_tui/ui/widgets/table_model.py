"""The pure half of `FastTable`: rows, filter, sort, cursor and marks on plain data.

Nothing here imports Textual, so the logic is testable (and benchmarkable) without an app, and
it stays O(n) per filter keystroke and O(n log n) per sort on plain Python lists.

Filter syntax (the query typed after `/`):

* `text`   case-insensitive substring of any cell of the row.
* `~re`    case-insensitive regular expression (`re.search`) over the row's cells, one line
           per cell, so `^` and `$` anchor at each cell and `.` never crosses cells:
           `~^web-\\d+$` matches a cell that is exactly "web-" and digits.
* `!...`   inverts either form: `!web`, `!~^db`.
* A query that is empty once the prefixes are removed (`!`, `~`, `!~`) filters nothing, so
  typing a prefix never blanks the list for a moment.
* An invalid regex does not raise: `filter_error` holds the message and the previous result stays.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any, Generic, Literal, TypeVar, overload

from rich.cells import cell_len
from rich.style import StyleType
from rich.text import Text

# A display cell: plain text, a Rich Text (own styles), or (text, style) for coloured states.
CellValue = str | Text | tuple[str, StyleType]
Align = Literal["left", "center", "right"]

REGEX_PREFIX = "~"
INVERT_PREFIX = "!"
# Natural column widths are measured on at most this many rows (evenly spaced), so set_rows
# stays cheap at 300,000 rows while widths still reflect the data.
WIDTH_SAMPLE = 1000
# Cells are lines of the search string, so a match can't glue two cells together and regex
# anchors (with re.MULTILINE) apply per cell.
_CELL_SEP = "\n"
# Search texts are built when a filter first needs them, not with the rows (30,000 of them
# are ~6 MB that a list never filtered keeps for nothing). Up to this many rows they are
# built at once, inside the filter call (~5 µs a row); past it the table builds them a slice
# at a time (`FastTable.ensure_search`) and the filter waits for them (`filter_pending`).
EAGER_SEARCH_ROWS = 1000


# Bound of the shared-Text cache: past it, it starts again (what is shared stays shared).
SHARED_MAX = 8192
_shared_texts: dict[tuple[str, str], Text] = {}


def shared_text(plain: str, style: str = "") -> Text:
    """One `Text(plain, style=style)` for every row that shows it. A Text is ~300 bytes (its
    lists, and the copy of `plain` it makes while stripping control codes): 30,000
    protection rows show five status words, 10,000 instances a handful of states. Safe
    because no one changes a cell in place (`FastTable` renders a copy)."""
    key = (plain, style)
    text = _shared_texts.get(key)
    if text is None:
        if len(_shared_texts) >= SHARED_MAX:
            _shared_texts.clear()
        text = _shared_texts[key] = Text(plain, style=style)
    return text


def shared(text: str) -> str:
    """One copy of a cell's text for all rows that read the same ("3 hours ago", "1.2 GiB"):
    each row formats its own copy, ~60 bytes, 90,000 rows at the largest seed. `sys.intern`
    does exactly that, and lets a text go once no row shows it."""
    return sys.intern(text)


def cell_text(cell: CellValue) -> str:
    """The plain text of a display cell."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Text):
        return cell.plain
    return cell[0]


@dataclass(frozen=True, slots=True)
class Column:
    """One column. `priority`: higher is kept longer when the table is too narrow.

    `width` fixes the width; otherwise the natural width is the widest sampled cell (or the
    label) up to `max_width`. Only a column with a `min_width` shrinks (towards it, never below
    its label) when space is short; the others keep their natural width or are dropped.
    `sort_key` maps the row's raw value to what is compared (default: the raw value itself);
    None values never reach it and always sort last.
    `cut`: where a too-long cell loses its text. Names are cut in the "middle", keeping the end
    that tells them apart (`hello-at…42_20261122093000`); the rest lose their end.
    `whole`: the column never shrinks below its natural width (exact times must read whole):
    other columns shrink or are dropped first.
    """

    key: str
    label: str
    width: int | None = None
    min_width: int | None = None
    max_width: int = 40
    priority: int = 50
    align: Align = "left"
    sort_key: Callable[[Any], Any] | None = None
    cut: Literal["end", "middle"] = "end"
    whole: bool = False


@dataclass(slots=True)
class Row:
    """One row: a stable `key` (the resource UUID), display `cells` (one per column) and raw
    sortable `values` (one per column; `None` sorts last). Without `values` the cell text sorts."""

    key: str
    cells: tuple[CellValue, ...]
    values: tuple[Any, ...] | None = None

    def value(self, index: int) -> Any:
        if self.values is not None:
            return self.values[index]
        return cell_text(self.cells[index])


_Item = TypeVar("_Item")


class LazyRows(Sequence[Row], Generic[_Item]):
    """Rows made from `items` when read, not held: a list of 30,000 volumes keeps its items
    (which its screen holds anyway) and an index, not 30,000 `Row`s and their two tuples
    (~7 MB, and as much again while a reload builds the next ones). What reads a row (the
    lines on screen, a width sample, the search texts a slice at a time) makes it again.

    `make(item)` gives the row, `key(item)` its key, `values(item)` its sort values (without
    making the cells: a sort reads one column of every row). `make` must read as the same row
    every time for the same item: what it depends on (the time shown as an age, say) is
    fixed when the `LazyRows` is made. A row changed in place (`TableModel.update_row`) is
    kept as given."""

    __slots__ = ("_changed", "_items", "_key", "_make", "_values")

    def __init__(self, items: Sequence[_Item], make: Callable[[_Item], Row],
                 key: Callable[[_Item], str],
                 values: Callable[[_Item], tuple[Any, ...]]) -> None:
        self._items = items
        self._make = make
        self._key = key
        self._values = values
        self._changed: dict[int, Row] = {}

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._items)))]
        if index < 0:
            index += len(self._items)
        changed = self._changed.get(index)
        return changed if changed is not None else self._make(self._items[index])

    def __iter__(self) -> Iterator[Row]:
        for i in range(len(self._items)):
            yield self[i]

    def key_at(self, index: int) -> str:
        changed = self._changed.get(index)
        return changed.key if changed is not None else self._key(self._items[index])

    def keys(self) -> list[str]:
        key = self._key
        return [key(item) for item in self._items]

    def column(self, col: int) -> list[Any]:
        """Every row's sort value of column `col`, no cells made."""
        values, changed = self._values, self._changed
        out = [values(item)[col] for item in self._items]
        for i, row in changed.items():
            out[i] = row.value(col)
        return out

    def replace(self, index: int, row: Row) -> None:
        self._changed[index] = row


Rows = list[Row] | LazyRows[Any]


def width_sample(count: int) -> range:
    """The rows natural widths are measured on: at most WIDTH_SAMPLE, evenly spaced. As many
    lazy rows as held ones: a smaller sample (250 were tried) missed the widest age at 30,000
    rows, and a `whole` column was cut ("13 minutes a…")."""
    return range(0, count, max(1, count // WIDTH_SAMPLE))[:WIDTH_SAMPLE]


class WidthMeter:
    """Natural column widths from rows seen one at a time (`see`): the widest cell or label,
    within the column's `max_width`; a fixed `width` as given. Made for a list of columns."""

    def __init__(self, columns: list[Column]) -> None:
        self.columns = columns
        self._widest = [cell_len(column.label) for column in columns]

    def see(self, row: Row) -> None:
        widest = self._widest
        # A cell past the columns is not measured (as before the meter: not an IndexError).
        for i, c in zip(range(len(widest)), row.cells, strict=False):
            text = c if c.__class__ is str else cell_text(c)
            # len for ASCII (most cells): cell_len costs ~1 µs a call, x 8,000.
            width = len(text) if text.isascii() else cell_len(text)
            if width > widest[i]:
                widest[i] = width

    def widths(self) -> list[int]:
        return [column.width if column.width is not None
                else max(1, min(column.max_width, widest))
                for column, widest in zip(self.columns, self._widest, strict=True)]


@dataclass(frozen=True, slots=True)
class Prepared:
    """Rows with what `TableModel.set_rows` would otherwise build in one piece, built ahead a
    slice at a time (`FastTable.prepare`): the index of keys, the natural widths (for the
    very `columns` list they were measured for), and the search texts if a filter wants them.
    Making 1,000 lazy rows for the widths is ~30-40 ms at 10,000 instances, and the index
    ~10 ms more: in the piece that sets the rows, the load's longest stall (issue 13)."""

    rows: Rows
    index: dict[str, int]
    columns: list[Column]
    widths: list[int]
    search: list[str] | None


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A filter query split into its parts; `pattern` is None for a plain substring."""

    text: str
    needle: str
    invert: bool
    pattern: re.Pattern[str] | None

    @property
    def is_empty(self) -> bool:
        return not self.needle


def parse_query(query: str) -> ParsedQuery:
    """Parse a filter query; raises `re.error` for an invalid regex."""
    rest = query
    invert = rest.startswith(INVERT_PREFIX)
    if invert:
        rest = rest[len(INVERT_PREFIX) :]
    if rest.startswith(REGEX_PREFIX):
        needle = rest[len(REGEX_PREFIX) :]
        pattern = re.compile(needle, re.IGNORECASE | re.MULTILINE) if needle else None
        return ParsedQuery(query, needle, invert, pattern)
    return ParsedQuery(query, rest.lower(), invert, None)


def layout_columns(
    columns: Sequence[Column], natural: Sequence[int], available: int, gap: int
) -> list[tuple[int, int]]:
    """Fit columns into `available` cells: [(column index, width)], in column order.

    Natural widths first; if too wide, shrink the columns that have a `min_width` (lowest
    priority first); if still too wide, drop the lowest-priority column (rightmost on ties)
    and try again. A last survivor is truncated to whatever space is left.
    """
    kept = list(range(len(columns)))
    # Shrinking stops at min_width or the label, whichever is wider (a column that can't show
    # its header is worth less than the room it takes); without min_width it doesn't shrink.
    mins = [
        natural[i]
        if c.width is not None or c.min_width is None or c.whole
        else min(natural[i], max(c.min_width, cell_len(c.label)))
        for i, c in enumerate(columns)
    ]
    while kept:
        gaps = gap * (len(kept) - 1)
        want = sum(natural[i] for i in kept) + gaps
        if want <= available:
            return [(i, natural[i]) for i in kept]
        least = sum(mins[i] for i in kept) + gaps
        if least <= available:
            # Start from the minimums and hand out the spare cells by priority.
            widths = {i: mins[i] for i in kept}
            spare = available - least
            for i in sorted(kept, key=lambda i: -columns[i].priority):
                extra = min(spare, natural[i] - widths[i])
                widths[i] += extra
                spare -= extra
            return [(i, widths[i]) for i in kept]
        if len(kept) == 1:
            return [(kept[0], max(0, available))]
        drop = min(reversed(kept), key=lambda i: columns[i].priority)
        kept.remove(drop)
    return []


@dataclass(slots=True)
class _Sort:
    column: str | None = None
    reverse: bool = False


@dataclass
class TableModel:
    """Rows plus the filtered and sorted view (a list of row indices), cursor and marks.

    The cursor is a position in the view (`-1` when the view is empty); `set_rows`, `filter` and
    `sort_by` keep it on the same row key whenever that row is still in the view.
    """

    columns: list[Column] = field(default_factory=list)
    rows: Rows = field(default_factory=list)
    view: list[int] = field(default_factory=list, init=False)
    cursor: int = field(default=-1, init=False)
    marked: set[str] = field(default_factory=set, init=False)
    query: ParsedQuery = field(default_factory=lambda: parse_query(""), init=False)
    filter_error: str | None = field(default=None, init=False)
    # Bumped on every data or view change, for caches outside the model.
    generation: int = field(default=0, init=False)
    # Bumped whenever a row changes (set_rows, update_row): search texts built from the rows
    # of another version are not theirs.
    rows_version: int = field(default=0, init=False)
    _sort: _Sort = field(default_factory=_Sort, init=False, repr=False)
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    # Each row's search text, or None until a filter needs them (see EAGER_SEARCH_ROWS).
    _search: list[str] | None = field(default=None, init=False, repr=False)
    # The filter bar is open: the next key needs the texts, so a reload keeps them too.
    keep_search: bool = field(default=False, init=False)
    # All rows in sort order, and their search strings in that order.
    _sorted: list[int] = field(default_factory=list, init=False, repr=False)
    _sorted_search: list[str] = field(default_factory=list, init=False, repr=False)
    _natural: list[int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rows:
            self.set_rows(self.rows)

    # -- queries -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def visible_count(self) -> int:
        return len(self.view)

    @property
    def search_ready(self) -> bool:
        """The rows' search texts are built."""
        return self._search is not None

    @property
    def search_wanted(self) -> bool:
        """A filter is set (or its bar open: `keep_search`): rows given to `set_rows` should
        come with their search texts."""
        return self.keep_search or not self.query.is_empty

    @property
    def filter_pending(self) -> bool:
        """A filter waits for the search texts (`set_search`); the view shows the rows it
        showed before, in the current order."""
        return not self.query.is_empty and self._search is None

    @property
    def sort_column(self) -> str | None:
        return self._sort.column

    @property
    def sort_reverse(self) -> bool:
        return self._sort.reverse

    @property
    def cursor_key(self) -> str | None:
        if 0 <= self.cursor < len(self.view):
            return self._key_at(self.view[self.cursor])
        return None

    def _key_at(self, index: int) -> str:
        rows = self.rows
        return rows.key_at(index) if isinstance(rows, LazyRows) else rows[index].key

    def row_at(self, position: int) -> Row:
        """The row at a position of the view."""
        return self.rows[self.view[position]]

    def get_row(self, key: str) -> Row | None:
        index = self._index.get(key)
        return None if index is None else self.rows[index]

    def position_of(self, key: str) -> int | None:
        """Position of a row key in the view, or None (O(n): for occasional use)."""
        index = self._index.get(key)
        if index is None:
            return None
        try:
            return self.view.index(index)
        except ValueError:
            return None

    def column_index(self, key: str) -> int:
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(key)

    def natural_widths(self) -> list[int]:
        """Per-column natural width from the label and a sample of rows (cached per data)."""
        if self._natural is None:
            rows = self.rows
            meter = WidthMeter(self.columns)
            for i in width_sample(len(rows)):
                meter.see(rows[i])
            self._natural = meter.widths()
        return self._natural

    # -- data ----------------------------------------------------------------------------

    def set_columns(self, columns: Iterable[Column]) -> None:
        self.columns = list(columns)
        if self._sort.column is not None and all(c.key != self._sort.column for c in self.columns):
            self._sort = _Sort()
        self.set_rows(self.rows)

    def set_rows(self, rows: Iterable[Row] | LazyRows[Any] | Prepared,
                 search: list[str] | None = None) -> None:
        """Replace all rows; keep sort, filter, marks of surviving keys and the cursor's key.

        `rows` may come `Prepared` (`FastTable.prepare`): their index, widths and search
        texts are taken as built, and no row is made here.
        `search`: `search_text(row)` of each row, in order, when the caller has built them
        already (a slice at a time: ~5 µs a row, 50 ms at 10,000 rows in one piece). Without
        them the rows have none until a filter needs them (`search_wanted` says when a caller
        should build them); a filter set meanwhile keeps showing the rows it showed that are
        still there (`filter_pending`) until `set_search`."""
        keep_key = self.cursor_key
        keep_pos = self.cursor
        prepared: Prepared | None
        given: Iterable[Row] | LazyRows[Any]
        if isinstance(rows, Prepared):
            prepared, given, search = rows, rows.rows, rows.search
        else:
            prepared, given = None, rows
        rows = given if isinstance(given, LazyRows) else list(given)
        if search is not None and len(search) != len(rows):
            raise ValueError(f"{len(search)} search texts for {len(rows)} rows")
        shown: list[str] = []
        if search is None and not self.query.is_empty and len(rows) > EAGER_SEARCH_ROWS:
            shown = [self._key_at(i) for i in self.view]
        self.rows = rows
        self.rows_version += 1
        if prepared is not None:
            self._index = prepared.index
        else:
            keys = rows.keys() if isinstance(rows, LazyRows) else [row.key for row in rows]
            self._index = {key: i for i, key in enumerate(keys)}
            del keys
        self._search = search
        self._sorted_search = []
        if shown:
            index = self._index
            self.view = [index[key] for key in shown if key in index]
        if self.marked:  # with none, intersection_update still walks every key
            self.marked.intersection_update(self._index)
        # Widths measured for another list of columns (set_columns meanwhile) are not these.
        self._natural = (prepared.widths if prepared is not None
                         and prepared.columns is self.columns else None)
        self.generation += 1
        self._resort()
        self._refilter(keep_key, keep_pos)

    def update_row(
        self, key: str, cells: tuple[CellValue, ...], values: tuple[Any, ...] | None = None
    ) -> bool:
        """Change one row in place, O(1). The row keeps its place in the view until the next
        filter, sort or set_rows, so live updates never move rows under the cursor."""
        index = self._index.get(key)
        if index is None:
            return False
        if isinstance(self.rows, LazyRows):
            self.rows.replace(index, Row(key, cells, values))
        else:
            self.rows[index] = Row(key, cells, values)
        self.rows_version += 1
        if self._search is not None:
            self._search[index] = self.search_text(self.rows[index])
        # _sorted_search is rebuilt lazily: mark it stale by dropping it.
        self._sorted_search = []
        self.generation += 1
        return True

    def held_search_text(self, row: Row) -> str:
        """`search_text(row)`, as the very text held for the row's key when it reads the same:
        a reload of rows that did not change keeps their texts (one copy at the peak, and
        the new one freed at once), while a filter is set."""
        text = self.search_text(row)
        index = self._index.get(row.key)
        if self._search is not None and index is not None:
            held = self._search[index]
            if held == text:
                return held
        return text

    def set_search(self, search: list[str]) -> bool:
        """Give the rows their search texts (built for exactly `self.rows`); a pending filter
        is applied now. True if the view changed (it was pending)."""
        if len(search) != len(self.rows):
            raise ValueError(f"{len(search)} search texts for {len(self.rows)} rows")
        pending = self.filter_pending
        self._search = search
        self._sorted_search = []
        if pending:
            self._refilter(self.cursor_key, 0)
        return pending

    @staticmethod
    def search_text(row: Row) -> str:
        """What the filter searches in a row: its cells' text, one line each, lower case."""
        # Inlined cell_text: this runs once per row in set_rows (300,000 rows ~ 0.2 s).
        return _CELL_SEP.join(
            [
                c if c.__class__ is str else (c[0] if c.__class__ is tuple else cell_text(c))
                for c in row.cells
            ]
        ).lower()

    # -- filter and sort ------------------------------------------------------------------

    def filter(self, query: str) -> str | None:
        """Apply a filter query; returns (and stores) an error message, or None.

        On error the previous query and view stay, so the UI never sees an exception.
        """
        try:
            parsed = parse_query(query)
        except re.error as error:
            self.filter_error = f"invalid regex: {error}"
            return self.filter_error
        self.filter_error = None
        previous = self.query
        self.query = parsed
        narrowing = (
            parsed.pattern is None
            and previous.pattern is None
            and not parsed.invert
            and not previous.invert
            and not previous.is_empty
            and previous.needle in parsed.needle
            and self._search is not None
            and not self._sorted_search_stale
        )
        # A row that no longer matches sends the cursor to the top, as in k9s.
        self._refilter(self.cursor_key, 0, narrow=narrowing)
        return None

    @property
    def _sorted_search_stale(self) -> bool:
        return len(self._sorted_search) != len(self._sorted)

    def sort_by(self, column_key: str | None, reverse: bool | None = None) -> None:
        """Sort by a column's raw values (stable, None last). `reverse=None` toggles the
        direction when the column is already the sort column, else sorts ascending.
        `column_key=None` restores the original row order."""
        if column_key is not None:
            self.column_index(column_key)  # raises KeyError early for a typo
        if reverse is None:
            reverse = not self._sort.reverse if column_key == self._sort.column else False
        self._sort = _Sort(column_key, reverse)
        keep_key, keep_pos = self.cursor_key, self.cursor
        self._resort()
        self._refilter(keep_key, keep_pos)

    def _resort(self) -> None:
        # The index's own ints (one object each past 256): not a second 30,000 of them.
        index = self._index
        order = list(index.values()) if len(index) == len(self.rows) else list(
            range(len(self.rows)))
        column_key = self._sort.column
        if column_key is not None:
            col = self.column_index(column_key)
            sort_key = self.columns[col].sort_key
            rows = self.rows
            values = rows.column(col) if isinstance(rows, LazyRows) else [
                row.values[col] if row.values is not None else cell_text(row.cells[col])
                for row in rows
            ]
            if sort_key is not None:
                values = [None if v is None else sort_key(v) for v in values]
            present = [i for i in order if values[i] is not None]
            missing = [i for i in order if values[i] is None]
            reverse = self._sort.reverse
            try:
                # list.sort is stable in both directions, so equal values keep row order.
                present.sort(key=values.__getitem__, reverse=reverse)
            except TypeError:
                # Mixed types in one column: compare their text rather than fail.
                present.sort(key=lambda i: str(values[i]), reverse=reverse)
            order = present + missing
        self._sorted = order
        self._sorted_search = []
        self.generation += 1

    def _refilter(self, keep_key: str | None, keep_pos: int, narrow: bool = False) -> None:
        query = self.query
        if query.is_empty:
            self.view = list(self._sorted)
        elif self._search is None and len(self.rows) > EAGER_SEARCH_ROWS:
            # Pending (see `filter_pending`): the rows shown so far, in the current order.
            shown = set(self.view)
            self.view = [i for i in self._sorted if i in shown]
        else:
            if self._search is None:
                self._search = [self.search_text(row) for row in self.rows]
            if narrow:
                # Typing one more character only narrows: scan the current view, not all rows.
                base = self.view
                search = self._search
                texts = [search[i] for i in base]
            else:
                search = self._search
                if self._sorted_search_stale:
                    self._sorted_search = [search[i] for i in self._sorted]
                base = self._sorted
                texts = self._sorted_search
            if query.pattern is not None:
                find = query.pattern.search
                hits: Iterable[bool] = (find(t) is not None for t in texts)
            else:
                needle = query.needle
                hits = (needle in t for t in texts)
            if query.invert:
                hits = (not hit for hit in hits)
            self.view = list(compress(base, hits))
        self.generation += 1
        self._restore_cursor(keep_key, keep_pos)

    def _restore_cursor(self, key: str | None, position: int) -> None:
        if not self.view:
            self.cursor = -1
            return
        if key is not None:
            index = self._index.get(key)
            if index is not None:
                # The common case (cursor near the top) is found quickly; worst case O(n).
                try:
                    self.cursor = self.view.index(index)
                    return
                except ValueError:
                    pass
        self.cursor = min(max(position, 0), len(self.view) - 1)

    # -- cursor and marks ----------------------------------------------------------------

    def move_cursor(self, position: int) -> bool:
        """Clamp and set the cursor; True if it moved."""
        if not self.view:
            changed = self.cursor != -1
            self.cursor = -1
            return changed
        position = min(max(position, 0), len(self.view) - 1)
        changed = position != self.cursor
        self.cursor = position
        return changed

    def toggle_mark(self, key: str | None = None) -> bool | None:
        """Toggle the mark on a row (default: the cursor row); returns the new state."""
        key = key if key is not None else self.cursor_key
        if key is None or key not in self._index:
            return None
        if key in self.marked:
            self.marked.discard(key)
            return False
        self.marked.add(key)
        return True

    def clear_marks(self) -> None:
        self.marked.clear()
