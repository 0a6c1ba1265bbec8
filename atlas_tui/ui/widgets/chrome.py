"""The lines around every screen: who and where (header), the path (breadcrumbs),
and the detail pane for the selected row."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from atlas_tui.ui.widgets.table import cut_middle


class AtlasHeader(Static):
    """Profile, endpoint host and read-only state: always visible, never ambiguous.

    `warning` is the endpoint's transport warning (`Profile.transport_warning`: TLS NOT
    VERIFIED, UNENCRYPTED), shown in the theme's error colour on every screen."""

    DEFAULT_CSS = """
    AtlasHeader { height: 1; background: $primary-background; color: $text; }
    """

    def __init__(self, profile: str, host: str, read_only: bool, version: str = "",
                 warning: str | None = None,
                 clock_known: Callable[[], bool] | None = None) -> None:
        super().__init__(id="atlas-header")
        self.profile = profile
        self.host = host
        self.read_only = read_only
        self.version = version
        self.warning = warning
        # False when the server sends no Date header: ages use this computer's clock.
        self.clock_known = clock_known

    def render(self) -> Text:
        text = Text(" atlas-tui ", style="bold")
        text.append("│ ")
        text.append(self.profile, style="bold")
        text.append(f" @ {self.host}")
        if self.warning:
            error = self.app.current_theme.error or "red"
            text.append(" │ ")
            text.append(f" {self.warning} ", style=f"bold #ffffff on {error}")
        if self.read_only:  # before anything optional: it must never be cut off
            text.append(" │ ")
            text.append("READ-ONLY", style="bold reverse")
        if self.version:
            text.append(f" │ CloudStack {self.version}", style="dim")
        if self.clock_known is not None and not self.clock_known():
            # No Date header (CloudStack sends none): times are this computer's, skew unknown.
            text.append(" │ local clock", style="dim")
        return text


SEPARATOR = " › "
SHORTEST_PART = 6  # a crumb cut shorter than this no longer says which one it is


def fit_path(path: tuple[str, ...], room: int) -> list[str]:
    """The crumbs in at most `room` cells (separators included): the longest one is cut in
    the middle first; when all are short, the leading ones go (the current place stays)."""
    parts = list(path)

    def width() -> int:
        return sum(cell_len(p) for p in parts) + len(SEPARATOR) * max(0, len(parts) - 1)

    while parts and width() > room:
        # The current place (the last crumb) is cut only when nothing else can give way.
        cuttable = [i for i in range(len(parts) - 1) if cell_len(parts[i]) > SHORTEST_PART]
        if not cuttable and cell_len(parts[-1]) > SHORTEST_PART and len(parts) == 1:
            cuttable = [0]
        if cuttable:
            longest = max(cuttable, key=lambda i: cell_len(parts[i]))
            length = cell_len(parts[longest])
            excess = width() - room
            parts[longest] = cut_middle(parts[longest], max(SHORTEST_PART, length - excess))
        elif len(parts) > 2 or (len(parts) == 2 and parts[0] != "…"):
            if parts[0] == "…":
                parts.pop(1)
            else:
                parts[0] = "…"
        else:
            parts[-1] = cut_middle(parts[-1], max(1, room - (width() - cell_len(parts[-1]))))
            break
    return parts


class Breadcrumbs(Static):
    """`demo › hello-atlas › ROOT-42 › snapshots`, and how fresh the list is.

    The age moves on its own: `tick()` (every second) repaints the line only when the age
    reads differently; it reads "just now" for a minute, then in minutes, so an idle screen
    writes a line a minute at most to the terminal, not a line a second. A list refreshes
    on its own every 30 s: within a minute the age says nothing a user acts on, and seconds
    would rewrite the line four times a minute. `loaded()` sets the age after a reload and
    repaints only when that reads differently too."""

    DEFAULT_CSS = """
    Breadcrumbs { height: 1; color: $text-muted; }
    """

    path: reactive[tuple[str, ...]] = reactive(tuple)
    updated: reactive[datetime | None] = reactive(None)
    status: reactive[str] = reactive("")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._right = ""  # the right-hand text (status or age) as last rendered

    def render(self) -> Text:
        right = self.status or self._freshness()
        # The path gives way to the status, never the reverse: long names are cut in the
        # middle (their ends tell them apart) until "updated ..." fits on the line.
        room = self.size.width - 1 - (len(right) + 2 if right else 0)
        text = Text(" ")
        parts = fit_path(self.path, room)
        for i, part in enumerate(parts):
            if i:
                text.append(" › ", style="dim")
            text.append(part, style="bold" if i == len(parts) - 1 else "")
        self._right = right
        if right:
            pad = max(1, self.size.width - text.cell_len - len(right) - 1)
            text.append(" " * pad)
            text.append(right, style="dim")
        return text

    def tick(self) -> None:
        """Repaint if the age (or status) reads differently now (see the class doc). The
        whole line: Textual writes a widget's line from its first cell whatever region of it
        is refreshed, so a repaint of the age's cells alone would write the same bytes."""
        if (self.status or self._freshness()) != self._right:
            self.refresh()

    def loaded(self, updated: datetime) -> None:
        """A load ended at `updated`: the status goes, the age restarts. Unlike setting the
        reactives, which repaints the line, this repaints only if it reads differently (an
        auto refresh within the minute reads "updated just now" before and after)."""
        self.set_reactive(Breadcrumbs.updated, updated)
        self.set_reactive(Breadcrumbs.status, "")
        self.tick()

    def _freshness(self) -> str:
        if self.updated is None:
            return "loading…"
        seconds = int((datetime.now(self.updated.tzinfo) - self.updated).total_seconds())
        if seconds < 60:
            return "updated just now"
        return f"updated {seconds // 60}m ago"


class DetailPane(VerticalScroll):
    """Every field of the selected resource, with its exact value."""

    DEFAULT_CSS = """
    DetailPane { height: 40%; border-top: solid $primary; display: none; }
    DetailPane.shown { display: block; }
    DetailPane > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="detail-body")

    def show_fields(self, title: str, fields: dict[str, Any] | None) -> None:
        body = self.query_one("#detail-body", Static)
        if not fields:
            body.update(Text("nothing selected", style="dim"))
            return
        text = Text()
        text.append(title + "\n", style="bold")
        width = min(20, max((len(k) for k in fields), default=0))
        # What operators look for first, then everything else alphabetically.
        first = [k for k in ("id", "name", "state", "type") if k in fields]
        for key in first + sorted(k for k in fields if k not in first):
            value = fields[key]
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            text.append(f"{key:<{width}} ", style="dim")
            text.append(f"{shown}\n")
        body.update(text)
