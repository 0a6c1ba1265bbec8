"""The lines around every screen: who and where (header), the path (breadcrumbs),
and the detail pane for the selected row."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static


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


class Breadcrumbs(Static):
    """`demo › hello-atlas › ROOT-42 › snapshots`, and how fresh the list is."""

    DEFAULT_CSS = """
    Breadcrumbs { height: 1; color: $text-muted; }
    """

    path: reactive[tuple[str, ...]] = reactive(tuple)
    updated: reactive[datetime | None] = reactive(None)
    status: reactive[str] = reactive("")

    def render(self) -> Text:
        text = Text(" ")
        for i, part in enumerate(self.path):
            if i:
                text.append(" › ", style="dim")
            text.append(part, style="bold" if i == len(self.path) - 1 else "")
        right = self.status or self._freshness()
        if right:
            pad = max(1, self.size.width - text.cell_len - len(right) - 1)
            text.append(" " * pad)
            text.append(right, style="dim")
        return text

    def _freshness(self) -> str:
        if self.updated is None:
            return "loading…"
        seconds = int((datetime.now(self.updated.tzinfo) - self.updated).total_seconds())
        if seconds < 5:
            return "updated just now"
        if seconds < 120:
            return f"updated {seconds}s ago"
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
